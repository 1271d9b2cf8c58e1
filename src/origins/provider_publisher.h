// This node's own provider records (docs/formats/provider-records.md §Publishing).
//
// Sans-IO: the node tells it when content enters the blockstore (announce) and when it leaves
// (withdraw), and asks it on a timer for the announcements due for refresh; it hands back signed
// records, which the node applies to its own ProviderTable and publishes on the `providers`
// gossip topic in batches (provider_batches). It keeps no state on disk:
// - sequences are max(previous + 1, now_ms × 1000), so they keep growing across restarts as long
//   as the clock does (as gossip sequences do);
// - at start the node announces what its blockstore holds; records of content evicted while the
//   node was down lapse at their expiry (at most announce_ttl_ms).
// Not thread-safe.
#pragma once

#include "origins/provider_record.h"

#include <map>
#include <set>

namespace fleek::origins {

struct ProviderPublisherOptions {
    uint64_t announce_ttl_ms = 12 * 3600 * 1000;
    // An announcement is refreshed once less than this is left of it.
    uint64_t refresh_margin_ms = 6 * 3600 * 1000;
    // At most this many announced contents; receivers hold records_per_provider_max (65,536)
    // per provider, tombstones included, so this leaves room for withdrawals.
    size_t announced_max = 49152;
};

enum class PublishError : uint8_t { limit_reached };

class ProviderPublisher {
public:
    ProviderPublisher(crypto::NodeSecretKey key, ProviderPublisherOptions options = {});

    // Announces (or re-announces) `content`; limit_reached when announced_max others are announced.
    Result<ProviderRecord, PublishError> announce(const crypto::Hash32& content, uint64_t now_ms);
    // The withdrawal of `content`, or nothing when it was not announced. Its expiry is
    // now + announce_ttl_ms: no announcement signed before it lives longer.
    std::optional<ProviderRecord> withdraw(const crypto::Hash32& content, uint64_t now_ms);
    // Fresh announcements for at most `max` contents whose announcement ends within
    // refresh_margin_ms, soonest first.
    std::vector<ProviderRecord> refresh(uint64_t now_ms, size_t max);

    size_t announced() const noexcept { return m_announced.size(); }
    bool is_announced(const crypto::Hash32& content) const { return m_announced.contains(content); }
    const crypto::NodePublicKey& key() const noexcept { return m_key.public_key(); }

private:
    uint64_t next_sequence(uint64_t now_ms);
    ProviderRecord sign_announcement(const crypto::Hash32& content, uint64_t now_ms);

    crypto::NodeSecretKey m_key;
    ProviderPublisherOptions m_options;
    uint64_t m_sequence = 0;
    std::map<crypto::Hash32, uint64_t> m_announced;              // content -> expires_at_ms
    std::set<std::pair<uint64_t, crypto::Hash32>> m_by_expiry;  // (expires_at_ms, content)
};

}  // namespace fleek::origins
