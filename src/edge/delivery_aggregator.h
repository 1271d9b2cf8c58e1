// The node's delivery receipt aggregator (docs/formats/delivery-receipts.md §The node's
// aggregator): keeps the newest client-signed receipt of each session on disk, hands batches to
// a submitter that sends them in SubmitDeliveryAcknowledgments transactions, and forgets a
// receipt once the ledger shows it claimed (or its epoch is too old to claim).
//
//   auto aggregator = DeliveryAggregator::open(dir, identity, claims, submit, options);
//   aggregator->record(receipt);   // synced to disk before it returns ok
//   aggregator->record_batch(receipts);  // the same for many, with one synced write (group commit)
//   aggregator->poll(now_ms);      // from a timer: submits what is due
//
// Invariants:
// - A receipt counts for the node only once record() returned ok: it is then in RocksDB (a
//   synced write), so a kill -9 loses none; record() of an older or equal amount stores nothing.
// - A receipt leaves the store only when the ledger's claim for its session reaches its amount,
//   when the session was claimed by another node or service (it can never count), or when its
//   epoch is older than the previous one (the ledger refuses it).
// - A receipt is handed to the submitter again only after resubmit_delay_ms, and never once the
//   ledger shows it claimed; after a reopen every stored receipt is submitted once at the first
//   poll (nothing is known to be in flight).
// - No wall clock: time is poll()'s argument. Thread-safe (one mutex; record_batch() holds it
//   across its synced write: one fsync per batch, however many receipts it holds).
#pragma once

#include "ledger/delivery.h"
#include "ledger/types.h"
#include "util/result.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rocksdb {
class DB;
}

namespace fleek::edge {

// What the aggregator reads of the ledger (the node wires it to its ledger snapshot).
class ClaimReader {
public:
    virtual ~ClaimReader() = default;
    virtual ledger::Epoch epoch() const = 0;
    // This node's index, once it is staked.
    virtual std::optional<ledger::NodeIndex> node_index() const = 0;
    // The ledger's SessionClaim of (epoch, client key, session id), if any.
    virtual std::optional<ledger::SessionClaim> session_claim(ledger::Epoch epoch, const ledger::ClientKeyBytes& client_key,
                                                              const ledger::SessionId& session_id) const = 0;
};

// Sends one SubmitDeliveryAcknowledgments transaction, signed with the node key, holding
// `receipts` (≤ 1,000). Returns true when the transaction was handed to consensus; false leaves
// the receipts due at the next poll. Called from poll() with the aggregator's lock held: it must
// not call back into the aggregator (queue the transaction and return).
using DeliverySubmitter = std::function<bool(const std::vector<ledger::SignedDeliveryReceipt>& receipts)>;

struct DeliveryAggregatorOptions {
    uint64_t batch_interval_ms = 10'000;                                     // a batch is due this long after the last
    uint32_t batch_receipts_max = ledger::delivery_receipts_per_tx_max;      // ... or as soon as this many wait
    uint64_t resubmit_delay_ms = 30'000;                                     // a submitted receipt waits this long
    size_t sessions_max = 1'000'000;                                         // receipts kept at once (memory bound)
};

// Who the aggregator collects for: receipts for another chain or node are refused.
struct DeliveryIdentity {
    uint64_t chain_id = 0;
    ledger::NodeKeyBytes node_key{};
};

enum class AggregatorError : uint8_t {
    io,             // RocksDB could not be opened, read or written (nothing was recorded)
    wrong_chain,    // the receipt names another chain id
    wrong_node,     // the receipt names another node
    wrong_epoch,    // older than the ledger's previous epoch, or beyond the next one
    bad_signature,  // the client key's signature does not verify
    full,           // sessions_max receipts are kept; a new session is refused
};
const char* to_string(AggregatorError error);

enum class RecordOutcome : uint8_t {
    stored,     // the newest receipt of its session, now on disk
    not_newer,  // the session already holds this amount or more: nothing stored
};

struct AggregatorStats {
    size_t stored = 0;       // receipts kept now
    uint64_t amount_kept = 0;  // the sum of their amounts (saturating): what they durably acknowledge
    size_t unsubmitted = 0;  // of those, never handed to the submitter since they were recorded or reopened
    uint64_t submitted_batches = 0;
    uint64_t claimed = 0;    // receipts removed because the ledger claimed them
    uint64_t expired = 0;    // removed because their epoch is too old
    uint64_t foreign = 0;    // removed because their session belongs to another node or service
    uint64_t discarded = 0;  // stored entries that did not decode or verify at open, deleted
    uint64_t synced_writes = 0;  // synced RocksDB writes by record()/record_batch() (one per batch that stored something)
};

class DeliveryAggregator {
public:
    static Result<std::unique_ptr<DeliveryAggregator>, AggregatorError> open(const std::filesystem::path& directory,
                                                                              const DeliveryIdentity& identity,
                                                                              const ClaimReader& claims,
                                                                              DeliverySubmitter submit,
                                                                              const DeliveryAggregatorOptions& options = {});
    ~DeliveryAggregator();
    DeliveryAggregator(const DeliveryAggregator&) = delete;
    DeliveryAggregator& operator=(const DeliveryAggregator&) = delete;

    // Verifies the receipt (chain, node, epoch, signature) and keeps it if it is the newest of
    // its session, on disk with a synced write before returning.
    Result<RecordOutcome, AggregatorError> record(const ledger::SignedDeliveryReceipt& receipt);
    // record() of each receipt, one result per receipt in order, with every receipt stored in ONE
    // synced write (group commit): all of them are on disk, or (io) none. Of several receipts of
    // one session the newest is stored, the others are not_newer.
    std::vector<Result<RecordOutcome, AggregatorError>> record_batch(std::span<const ledger::SignedDeliveryReceipt> receipts);

    // Submits every batch that is due at now_ms (batch_receipts_max waiting, or
    // batch_interval_ms since the last batch), after dropping what the ledger claimed.
    // Returns the number of batches handed to the submitter.
    Result<size_t, AggregatorError> poll(uint64_t now_ms);

    // Units of each service that this node's kept receipts of `client_key` hold above what the
    // ledger already claimed: what the client will still be charged for them.
    std::map<ledger::ServiceId, uint64_t> unexecuted_units(const ledger::ClientKeyBytes& client_key) const;

    AggregatorStats stats() const;

private:
    // In memory: client key first, so one client's receipts are one range.
    struct Key {
        ledger::ClientKeyBytes client_key{};
        ledger::Epoch epoch = 0;
        ledger::SessionId session_id{};
        friend auto operator<=>(const Key&, const Key&) = default;
    };
    struct Entry {
        ledger::SignedDeliveryReceipt receipt;
        std::optional<uint64_t> submitted_ms;  // when last handed to the submitter
    };
    enum class Fate : uint8_t { keep, claimed, expired, foreign };

    DeliveryAggregator(rocksdb::DB* db, const DeliveryIdentity& identity, const ClaimReader& claims, DeliverySubmitter submit,
                       const DeliveryAggregatorOptions& options);
    static Key key_of(const ledger::SignedDeliveryReceipt& receipt);
    static Bytes db_key(const Key& key);
    Result<void, AggregatorError> load();
    Fate fate(const Entry& entry, ledger::Epoch epoch, std::optional<ledger::NodeIndex> node) const;
    bool eligible(const Entry& entry, uint64_t now_ms) const;
    bool batch_due(uint64_t now_ms) const;
    // One batch of eligible receipts, dropping (and deleting on disk) those that are settled.
    Result<std::vector<Key>, AggregatorError> collect_batch(uint64_t now_ms);

    rocksdb::DB* m_db;
    DeliveryIdentity m_identity;
    const ClaimReader& m_claims;
    DeliverySubmitter m_submit;
    DeliveryAggregatorOptions m_options;

    mutable std::mutex m_mutex;
    std::map<Key, Entry> m_entries;
    size_t m_unsubmitted = 0;                   // entries with no submitted_ms
    uint64_t m_amount_kept = 0;                 // the sum of the entries' amounts (saturating)
    std::optional<uint64_t> m_last_batch_ms;    // unset until the first batch: due at once
    AggregatorStats m_stats;
};

}  // namespace fleek::edge
