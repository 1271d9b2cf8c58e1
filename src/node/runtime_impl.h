// The runtime's state and its core-thread functions (runtime.h). Private to src/node: runtime.cpp
// holds the life cycle, the core loop, consensus, block execution, gossip, sync, peers, status
// and health; runtime_transactions.cpp the transactions (client, forwarded, the node's own: the
// epoch protocol and Slash evidence), their nonce order, routing and resending.
#pragma once

#include "consensus/node.h"
#include "consensus/rocksdb_store.h"
#include "net/gossip.h"
#include "node/chain_lock.h"
#include "node/runtime.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <variant>

namespace fleek::node {

// This node's own transactions waiting to be sent (Slash evidence, delivery batches); more are dropped.
inline constexpr size_t node_methods_queued_max = 4096;

// First byte of a request-channel frame.
// `transaction` is a first hop (a receiver outside the committee routes it on once more);
// `transaction_relayed` is a second hop (taken by a member, dropped by anyone else).
enum class RequestKind : uint8_t { sync = 0, transaction = 1, transaction_relayed = 2 };

inline uint64_t now_us() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

Bytes tagged(uint8_t tag, ByteSpan body);
size_t route_index(const Hash32& key, size_t committee_size);

struct FrameItem {
    crypto::NodePublicKey from;
    net::Channel channel;
    Bytes payload;
};
struct TransactionItem {  // from a client (checked) or this node
    Bytes bytes;
};
struct ForwardedItem {  // from a peer, signature checked on the I/O thread
    crypto::NodePublicKey from;
    RequestKind kind;
    Bytes bytes;
};
struct RawTransactionItem {  // benchmark ingest: straight to our worker
    Bytes bytes;
};
struct NodeMethodItem {  // a transaction of this node's own (Slash, delivery acknowledgments), signed when sent
    ledger::Method method;
};
struct PublishItem {  // a gossip message from another thread (RuntimeHooks' owner)
    net::Topic topic;
    Bytes payload;
};
using InboxItem = std::variant<FrameItem, TransactionItem, ForwardedItem, RawTransactionItem, NodeMethodItem, PublishItem>;

struct Runtime::Impl {
    Impl(RuntimeOptions runtime_options, const crypto::NodeSecretKey& node, const crypto::ConsensusSecretKey& consensus_secret);

    RuntimeOptions options;
    crypto::NodeSecretKey node_key;
    crypto::ConsensusSecretKey consensus_key;

    std::unique_ptr<Chain> chain;
    ChainLock chain_lock;  // the core thread holds it while it changes the chain

    std::unique_ptr<net::Transport> transport;
    std::unique_ptr<net::Gossip> gossip;

    // The consensus instance of `consensus_epoch`, when this node is in its committee.
    std::optional<consensus::Committee> committee;
    ledger::Epoch consensus_epoch = 0;
    std::unique_ptr<consensus::RocksDbStore> consensus_store;
    std::unique_ptr<consensus::Node> consensus;
    std::map<crypto::NodePublicKey, consensus::AuthorityIndex> authority_by_key;
    std::vector<crypto::NodePublicKey> committee_keys;  // of the chain's current epoch
    std::deque<Bytes> waiting_transactions;             // refused by a busy worker; retried
    // Per-sender nonce order for this worker: a transaction whose nonce is ahead of the next one
    // waits (bounded) until the gap fills, since the ledger takes nonce n + 1 only.
    struct SenderQueue {
        uint64_t next_nonce = 0;
        uint64_t touched_ms = 0;
        std::map<uint64_t, std::pair<Bytes, uint64_t>> held;  // nonce -> (transaction, received ms)
    };
    std::map<Bytes, SenderQueue> senders;
    size_t held_transactions = 0;

    // Transactions taken from clients, by digest, until a receipt shows they executed
    // (RuntimeOptions::resend_after_ms). `resend_due` orders them by due time; an entry whose
    // due time no longer matches the map is stale and skipped.
    struct AwaitingReceipt {
        Bytes transaction;
        uint64_t due_ms = 0;
        uint32_t resends = 0;
    };
    std::map<Hash32, AwaitingReceipt> awaiting_receipt;
    std::multimap<uint64_t, Hash32> resend_due;
    std::atomic<uint64_t> resent{0};
    rpc::PendingPool pending;  // client transactions by sender and nonce (thread-safe)

    std::mutex inbox_mutex;
    std::condition_variable inbox_ready;
    std::deque<InboxItem> inbox;
    bool stopping = false;
    std::thread core;

    std::mt19937_64 rng;
    uint64_t known_height = 0;     // the highest height a peer claimed (sync)
    uint64_t verified_height = 0;  // the highest height of a certificate that verified
    uint64_t last_sync_ms = 0;
    // Blocks executed before a restart whose certificate was not complete yet: the peers'
    // signatures for them were gossiped while this node was down, so only sync brings the
    // certificates. [uncertified_from, uncertified_to]; uncertified_from == 0: none.
    uint64_t uncertified_from = 0;
    uint64_t uncertified_to = 0;
    uint64_t last_certificate_sync_ms = 0;
    uint64_t last_progress_ms = 0;
    uint64_t progress_ms = 0;  // for health: when the height last changed, from the start
    uint64_t last_peers_ms = 0;
    uint64_t last_height = 0;
    std::vector<crypto::NodePublicKey> peer_keys;
    std::set<crypto::NodePublicKey> connected_peers;  // refreshed every tick
    std::map<crypto::NodePublicKey, uint64_t> last_connected_ms;
    uint64_t started_ms = 0;
    std::vector<Bytes> to_publish_blocks;  // certified blocks to gossip once a handler returns
    // Committees by epoch as the ledger had them at `committees_height` (gossip checks).
    std::map<ledger::Epoch, std::vector<ledger::CommitteeMember>> committees;
    uint64_t committees_height = ~uint64_t{0};

    // This node's own transactions (node key): one in flight at a time, its nonce here.
    uint64_t driver_nonce = 0;
    uint64_t driver_sent_ms = 0;
    uint64_t last_driver_ms = 0;
    struct QueuedMethod {
        ledger::Method method;  // Slash or SubmitDeliveryAcknowledgments
        uint32_t attempts = 0;  // sends so far
    };
    std::deque<QueuedMethod> slash_queue;  // evidence and delivery batches waiting for their turn
    struct SlashInFlight {
        Hash32 digest{};
        QueuedMethod queued;
    };
    std::optional<SlashInFlight> slash_in_flight;
    std::atomic<uint64_t> delivery_batches_queued{0};  // SubmitDeliveryAcknowledgments taken by submit_node_method
    std::mutex slash_mutex;
    std::set<Bytes> slash_slots;  // (node, kind, epoch, round, origin) already queued

    // Swapped by the core thread after each block: the summary and a snapshot of the committed
    // state (summary->ledger), which the JSON-RPC threads read without the chain lock.
    std::mutex summary_mutex;
    std::shared_ptr<const rpc::ChainSummary> summary;

    std::mutex status_mutex;
    RuntimeStatus status;
    std::string failure_reason;  // guarded by status_mutex
    std::map<crypto::NodePublicKey, uint64_t> refused_by_peer;  // guarded by status_mutex
    std::atomic<bool> failed{false};
    std::atomic<bool> running{true};
    std::atomic<uint64_t> submitted{0};
    std::atomic<uint64_t> forwarded{0};
    std::atomic<uint64_t> refused{0};
    std::atomic<uint64_t> gossip_refused{0};
    std::atomic<uint64_t> slashes_submitted{0};
    std::atomic<uint64_t> executed_transactions{0};
    std::atomic<uint64_t> executed_blocks{0};

    // ---- runtime.cpp: inbox, loop, failure ----
    bool push(InboxItem item);
    void run();
    void fail_runtime(std::string reason);
    void on_transport_frame(const crypto::NodePublicKey& from, net::Channel channel, Bytes payload);

    // ---- runtime.cpp: consensus and the chain ----
    void reconfigure();
    void start_instance(ledger::Epoch epoch, const std::vector<ledger::CommitteeMember>& members);
    void flush_consensus();
    Result<std::optional<ledger::BlockCertificate>, ChainError> add_signature(const BlockSignature& signature);
    void on_signature_result(const Result<std::optional<ledger::BlockCertificate>, ChainError>& result);
    void publish_pending_blocks();
    void publish_summary();  // call with chain_lock held, after the chain changed
    std::shared_ptr<const rpc::ChainSummary> current_summary();  // any thread
    const std::vector<ledger::CommitteeMember>& committee_of(ledger::Epoch epoch);  // takes chain_lock
    void on_frame(FrameItem& frame);
    void on_request(const FrameItem& frame);
    void on_sync_response(const FrameItem& frame);
    bool on_gossip_signature(ByteSpan payload);
    bool on_gossip_block(ByteSpan payload);

    // ---- runtime.cpp: timers, peers, status ----
    void tick();
    void request_sync(uint64_t from_height);
    void recover_certificates(uint64_t now_ms);
    void refresh_peers();
    void update_status();
    bool reachable(const crypto::NodePublicKey& key, uint64_t now_ms) const;

    // ---- runtime_transactions.cpp ----
    Result<crypto::Hash32, rpc::SubmitError> submit_client_transaction(Bytes transaction);
    rpc::PendingNonce pending_nonce(const ledger::Sender& sender);
    rpc::PendingPool::HasReceipt receipt_within(uint64_t height) const;
    Result<void, SlashEvidenceError> submit_slash_evidence(const ledger::SignedStatement& first,
                                                           const ledger::SignedStatement& second);
    bool submit_node_method(ledger::Method method);
    void on_forwarded(ForwardedItem& item);
    uint64_t stored_nonce(const ledger::Sender& sender);
    void submit_in_order(Bytes transaction, uint64_t now_ms);
    void release_held(SenderQueue& queue);
    void expire_held(uint64_t now_ms);
    size_t route_of(ByteSpan transaction) const;
    void on_transaction(Bytes transaction);
    void await_receipt(const Hash32& digest, const Bytes& transaction, uint64_t now_ms);
    void forget_executed(const ledger::BlockResult& result);  // their receipts exist now
    void resend_unexecuted(uint64_t now_ms);
    void route(Bytes transaction, RequestKind kind);
    void route(Bytes transaction, RequestKind kind, size_t first);
    void submit_local(Bytes transaction);
    Hash32 beacon_secret(ledger::Epoch epoch, uint64_t round) const;
    std::optional<ledger::Method> epoch_method(const ledger::Ledger& ledger, ledger::NodeIndex me, uint64_t now_ms) const;
    void send_node_transaction(uint64_t now_ms);
};

}  // namespace fleek::node
