// The replicated part of a node: transport, gossip, the consensus instance of the current epoch
// when this node is in its committee, and the chain (ledger + block store + certificates).
// src/node/README.md §Runtime describes the threads and the message flow.
//
// Threads: the transport's I/O threads queue frames (and check the signature of a transaction a
// peer forwards); one core thread owns consensus, gossip and the chain and does all the work;
// callers (the RPC server) read the chain under a lock the core thread holds while it executes
// blocks and takes first (chain_lock.h), or read the summary published after each block.
#pragma once

#include "consensus/parameters.h"
#include "ledger/consensus_statement.h"
#include "ledger/genesis.h"
#include "ledger/transaction.h"
#include "net/gossip.h"
#include "net/transport.h"
#include "node/chain.h"
#include "node/health.h"
#include "rpc/backend.h"
#include "rpc/pending_pool.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace fleek::node {

// A sender's transactions must reach consensus in nonce order (the ledger takes nonce n + 1
// only), so every node routes all of one sender's transactions to the same committee member
// first: index `sender_route(sender, size)` of the committee in ledger order, where the index is
// the first 8 bytes (big-endian) of BLAKE3(sender tag || key) modulo the committee size, with the
// tag 0 for a node key, 1 for a consensus key and 2 for an account address. When that member is
// unreachable the next one in ledger order takes them.
size_t sender_route(const ledger::Sender& sender, size_t committee_size);

// What runs next to the runtime on its transport and gossip (the content network,
// node/content_network.h). Set before start.
struct RuntimeHooks {
    // Sees every frame on a transport I/O thread before the core thread does; true when it took
    // the frame. Must not block.
    std::function<bool(const crypto::NodePublicKey& from, net::Channel channel, Bytes& payload)> take_frame;
    // Gossip topics handled outside the runtime; the handlers run on the core thread.
    std::vector<std::pair<net::Topic, net::GossipHandler>> gossip;
};

struct RuntimeOptions {
    std::filesystem::path ledger_dir;
    std::filesystem::path chain_dir;
    std::filesystem::path consensus_dir;  // one store per epoch: <consensus_dir>/epoch-<n>
    ledger::Genesis genesis;
    net::TransportOptions transport;
    consensus::Parameters consensus;
    bool sync_writes = true;
    uint64_t sync_interval_ms = 500;     // ask a peer for missing blocks this often while behind
    uint64_t peers_refresh_ms = 2'000;   // re-read the node registry for transport peers
    size_t inbox_max = 100'000;          // frames and transactions waiting for the core thread
    // A transaction this node took from a client (or its own epoch driver) is routed again to
    // the next reachable committee member while it has no receipt: the member it went to may
    // have died with it in a queue, or an epoch change dropped the batch holding it. A copy that
    // executes twice is rejected the second time (repeated nonce); the receipt index keeps the first.
    uint64_t resend_after_ms = 5'000;    // doubled after each resend
    uint32_t resend_attempts = 4;        // then the node gives up (the client sends it again)
    size_t resend_tracked_max = 16'384;  // beyond that, transactions are routed once
    // Client transactions by sender and nonce until they execute (flk_get_pending_nonce).
    rpc::PendingPoolOptions pending;
    HealthLimits health;
    // Test hook: called on the core thread before a block's record is written (chain.h); false
    // makes the write fail like a storage failure, blocking in it holds the block's execution.
    std::function<bool(uint64_t height)> test_before_record_write;
    RuntimeHooks hooks;
};

// Why submit_slash_evidence() refused evidence.
enum class SlashEvidenceError : uint8_t {
    not_evidence,       // the statements do not prove that any member of their epoch's committee equivocated
    already_submitted,  // this node submitted a Slash for that node and consensus slot already
    not_registered,     // this node is not a registered node: it has no nonce to send a transaction with
    stopped,            // the runtime is not running
};
std::string_view to_string(SlashEvidenceError error) noexcept;

struct RuntimeStatus {
    uint64_t height = 0;
    uint64_t certified_height = 0;
    uint64_t known_height = 0;  // the highest height a peer has told us about
    ledger::Epoch epoch = 0;
    Hash32 state_root{};
    bool committee_member = false;
    size_t peers = 0;
    size_t peers_connected = 0;
    uint64_t transactions_submitted = 0;
    uint64_t transactions_forwarded = 0;
    uint64_t transactions_resent = 0;     // routed again for want of a receipt
    size_t transactions_awaiting_receipt = 0;
    uint64_t frames_refused = 0;  // frames that did not decode or came from a non-member
    bool running = true;          // false once the runtime failed or stopped
    std::string failure;          // why it failed
    uint64_t last_progress_ms = 0;   // when the height last changed (wall clock, ms)
    uint64_t verified_height = 0;    // the highest height of a verified certificate a peer sent
    uint64_t transactions_pending = 0;  // taken from clients or the node itself and not executed yet
    // Transactions peers forwarded that failed check_forwarded_transaction, by peer.
    std::map<crypto::NodePublicKey, uint64_t> transactions_refused_by_peer;
    uint64_t gossip_refused = 0;     // gossiped blocks and signatures that did not verify (not relayed)
    uint64_t slashes_submitted = 0;  // Slash transactions sent for equivocation evidence
    uint64_t delivery_batches_queued = 0;  // SubmitDeliveryAcknowledgments taken to be sent
};

class Runtime {
public:
    static Result<std::unique_ptr<Runtime>, std::string> start(RuntimeOptions options, const crypto::NodeSecretKey& node_key,
                                                               const crypto::ConsensusSecretKey& consensus_key);
    ~Runtime();
    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;

    // Stops the core thread and the transport; the chain is closed cleanly. Idempotent.
    void stop();

    // Runs `read` with the chain while no block executes. Thread-safe.
    void read(const std::function<void(const Chain&)>& read);
    // The same without waiting for a block to finish: only for Chain's store queries (block,
    // certificate, receipts, transaction; chain.h says which). Thread-safe.
    void read_store(const std::function<void(const Chain&)>& read);
    // The summary published after the last block (never waits for one that executes). Thread-safe.
    std::shared_ptr<const rpc::ChainSummary> summary();
    // A client's signed transaction: checked against the committed state (rpc::check_transaction)
    // and the pending transactions (rpc::PendingPool), then queued for the committee: this
    // node's worker when it is a member, else forwarded to a member. Errors: the check's, stopped
    // when the runtime is not running, unavailable when the inbox is full. Thread-safe.
    Result<crypto::Hash32, rpc::SubmitError> submit_transaction(Bytes transaction);
    // A sender's committed and pending nonces. Thread-safe.
    rpc::PendingNonce pending_nonce(const ledger::Sender& sender);
    // Equivocation evidence seen by this node: two conflicting statements signed by one member of
    // their epoch's committee (ledger::check_equivocation). Queued once per node and consensus
    // slot as a Slash transaction signed with this node's key, sent when no other transaction of
    // this node is in flight. Thread-safe.
    Result<void, SlashEvidenceError> submit_slash_evidence(const ledger::SignedStatement& first,
                                                           const ledger::SignedStatement& second);
    // A SubmitDeliveryAcknowledgments of this node's receipts: queued (never blocks), then
    // signed with the node key and the next nonce when no other transaction of this node is in
    // flight, and sent again (the same bytes) while no receipt shows it executed, at most 5
    // times. False when the runtime stopped or its inbox is full. Thread-safe.
    bool submit_delivery_acknowledgments(std::vector<ledger::SignedDeliveryReceipt> receipts);
    // Benchmark ingest (raw_ingest.h): straight to this node's worker when it is a committee
    // member, no checks and no ordering; refused (counted) otherwise. Thread-safe.
    bool submit_raw(Bytes transaction);
    RuntimeStatus status();
    rpc::Health health();
    // Why the runtime failed (a storage failure, a consensus store that cannot open), or nothing
    // while it runs. The process should stop: the node does nothing useful any more. Thread-safe.
    std::optional<std::string> failure();
    uint16_t pool_port() const;
    // How long the core thread waited for the chain lock held by readers (chain_lock.h).
    uint64_t chain_lock_wait_max_us() const;
    void reset_chain_lock_wait() const;
    // For the hooks' owner, from any thread: a gossip message (published by the core thread;
    // false when the inbox is full or the runtime stopped), a frame to a peer, the peers.
    bool publish(net::Topic topic, Bytes payload);
    net::SendResult send(const crypto::NodePublicKey& to, net::Channel channel, Bytes payload);
    // Transport::send_frame: takes `payload` only when it answers queued.
    net::SendResult send_frame(const crypto::NodePublicKey& to, net::Channel channel, net::FramePayload& payload);
    std::vector<net::PeerStatus> peer_status() const;
    std::string metrics_text();

    struct Impl;

private:
    explicit Runtime(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::node
