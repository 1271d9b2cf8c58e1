// The providers of each content hash, from verified provider records
// (docs/formats/provider-records.md).
//
// Sans-IO: the node feeds records (from gossip batches and snapshot pages) with the current
// wall-clock time; the table never reads a clock, a socket or the disk. Not thread-safe: the node
// calls it from one thread (or under one lock).
//
// Rules, per (provider, content):
// - A record is stored only after its provider is found registered (the injected check; the node
//   passes the ledger's node registry) and its signature verifies.
// - The sequence only grows: a record whose sequence is not above the held one is stale and
//   ignored, so a replayed announcement can never undo a newer withdrawal.
// - A withdrawal stays as a tombstone until the later of its own expiry and the expiry of what it
//   replaced, so any announcement it superseded has expired before the tombstone is dropped.
// - expires_at_ms must be in the future and at most ttl_max_ms + clock_skew_max_ms ahead.
// Bounds: at most records_per_provider_max entries per provider and records_max in all
// (tombstones included). A new entry over a bound evicts the entry that expires soonest — of the
// same provider when that provider is at its own bound, otherwise of the provider holding the most
// entries — so a provider flooding records only displaces its own, and memory stays bounded.
// Iteration is in key order (content hash, then provider key): results are deterministic.
#pragma once

#include "origins/node_key_check.h"
#include "origins/provider_record.h"

#include <map>
#include <set>

namespace fleek::origins {

struct ProviderTableOptions {
    size_t records_max = size_t{1} << 20;
    size_t records_per_provider_max = size_t{1} << 16;
    uint64_t ttl_max_ms = 24 * 3600 * 1000;  // how far ahead an expiry may be
    uint64_t clock_skew_max_ms = 60 * 1000;  // tolerated difference between the nodes' clocks
};

// A record that was not refused.
enum class ProviderApplied : uint8_t {
    accepted,   // stored: new, or newer than the entry held for (provider, content)
    duplicate,  // exactly the record already held
    stale,      // its sequence is not above the held one
    expired,    // expires_at_ms is not in the future
};
// A record refused: the sender passed on something invalid.
enum class ProviderRefusal : uint8_t {
    malformed,         // did not decode
    wrong_origin,      // a gossip batch holding a record of another provider than its origin
    unknown_provider,  // the provider key is not registered
    bad_signature,
    expiry_too_far,    // expires more than ttl_max_ms + clock_skew_max_ms from now
};
std::string_view to_string(ProviderApplied outcome) noexcept;
std::string_view to_string(ProviderRefusal refusal) noexcept;

// What a batch (or page) did, record by record.
struct ProviderApplyCounts {
    size_t accepted = 0, duplicate = 0, stale = 0, expired = 0, refused = 0;
    std::optional<ProviderRefusal> first_refusal;
    void add(const Result<ProviderApplied, ProviderRefusal>& outcome);
};

class ProviderTable {
public:
    ProviderTable(ProviderTableOptions options, NodeKeyCheck is_registered);

    Result<ProviderApplied, ProviderRefusal> apply(const ProviderRecord& record, uint64_t now_ms);
    // A `providers` gossip payload from `origin`: every record must be by `origin` (else nothing is
    // applied). The gossip handler returns `counts.refused == 0`.
    ProviderApplyCounts apply_batch(const crypto::NodePublicKey& origin, ByteSpan payload, uint64_t now_ms);

    // The nodes announcing `content` whose announcement has not expired, in key order, at most max.
    std::vector<crypto::NodePublicKey> providers(const crypto::Hash32& content, uint64_t now_ms, size_t max = 64) const;
    // Drops entries (announcements and tombstones) whose time is over.
    void expire(uint64_t now_ms);
    // Drops every entry of a node (it left the registry).
    void forget_provider(const crypto::NodePublicKey& provider);

    // One page of the current records (unexpired announcements and withdrawals) after the
    // request's cursor. Scans at most 4 × max_records entries, so one request costs bounded work.
    ProviderSnapshotPage snapshot_page(const ProviderSnapshotRequest& request, uint64_t now_ms) const;

    size_t size() const noexcept { return m_entries.size(); }
    size_t size_of(const crypto::NodePublicKey& provider) const;
    size_t provider_count() const noexcept { return m_by_provider.size(); }
    uint64_t evicted() const noexcept { return m_evicted; }
    // The entry held for (provider, content), announcement or tombstone, expired or not.
    const ProviderRecord* find(const crypto::Hash32& content, const crypto::NodePublicKey& provider) const;
    const ProviderTableOptions& options() const noexcept { return m_options; }

private:
    struct Entry {
        ProviderRecord record;
        uint64_t keep_until_ms = 0;
    };
    using ByKeepUntil = std::set<std::pair<uint64_t, crypto::Hash32>>;

    void index(const crypto::NodePublicKey& provider, uint64_t keep_until_ms, const crypto::Hash32& content);
    void unindex(const crypto::NodePublicKey& provider, uint64_t keep_until_ms, const crypto::Hash32& content);
    void evict_soonest(const crypto::NodePublicKey& provider);
    void make_room(const crypto::NodePublicKey& provider);

    ProviderTableOptions m_options;
    NodeKeyCheck m_is_registered;
    std::map<ProviderKey, Entry> m_entries;
    std::map<crypto::NodePublicKey, ByKeepUntil> m_by_provider;
    std::set<std::pair<size_t, crypto::NodePublicKey>> m_sizes;  // (entries, provider)
    uint64_t m_evicted = 0;
};

}  // namespace fleek::origins
