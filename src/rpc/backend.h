// What the JSON-RPC methods need from a running node. The node (src/node) implements it; tests
// implement it over an in-memory ledger (tests/support/rpc_test_backend.h).
//
// Thread safety: every method may be called from several RPC threads at once.
#pragma once

#include "crypto/keys.h"
#include "ledger/block.h"
#include "ledger/block_certificate.h"
#include "ledger/ledger.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fleek::rpc {

// Where an executed transaction landed.
struct TransactionLocation {
    uint64_t height = 0;  // the block that executed it
    uint32_t index = 0;   // its position in that block
    ledger::TransactionReceipt receipt;
};

// Why a transaction was not accepted for relay (before it reaches consensus).
enum class SubmitError : uint8_t {
    malformed,       // the bytes are not a canonical SignedTransaction
    wrong_chain,     // another network's chain id
    bad_signature,   // the signature does not verify for the sender
    bad_nonce,       // the sender already used this nonce
    too_large,       // over ledger::transaction_size_max
    unavailable,     // the node cannot relay now (not connected to the committee, shutting down, full)
    unknown_sender,  // a node or consensus key of no registered node
    stopped,         // the node's runtime is not running (it failed or is shutting down): nothing is relayed
    nonce_pending,   // another transaction of the sender with this nonce waits on this node (not executed yet)
    nonce_too_far_ahead,  // the nonce is more than pending_nonce_ahead_max past the sender's last used one
};
std::string_view to_string(SubmitError error) noexcept;
// A sentence for people: what is wrong and what to do.
std::string_view describe(SubmitError error) noexcept;

// What the node publishes after each block: the values most reads need, and a snapshot of the
// committed state for the others, read without waiting for a block that executes, and without
// delaying one (Backend::chain_summary).
struct ChainSummary {
    // The state of the block at `height` (ledger/reader.h); every other field is read from it.
    std::shared_ptr<const ledger::LedgerSnapshot> ledger;
    uint64_t height = 0;
    crypto::Hash32 state_root{};
    ledger::ChainInfo chain;
    ledger::EpochInfo epoch_info;
    ledger::ProtocolParams params;
    std::vector<ledger::CommitteeMember> committee;  // of chain.epoch, in ledger order
};

// GET /health and flk_health: whether the node does its job, and why not.
struct Health {
    bool healthy = true;
    std::string reason;  // empty when healthy; else a sentence: what is wrong, with the numbers
};

// A sender's nonces as this node knows them (flk_get_pending_nonce).
struct PendingNonce {
    uint64_t nonce = 0;          // the last nonce used by an executed transaction (committed state)
    uint64_t pending_nonce = 0;  // the last one taken, counting the transactions waiting on this node
    uint64_t pending = 0;        // transactions of the sender waiting on this node (gaps included)
};

class Backend {  // implemented by the node; every method is thread-safe
public:
    virtual ~Backend() = default;
    // Checks a signed transaction (decode, chain id, signature, nonce not already used) and relays
    // it to the committee; returns its digest. check_transaction() below does the checks.
    virtual Result<crypto::Hash32, SubmitError> submit_transaction(Bytes signed_transaction) = 0;
    virtual std::optional<ledger::Block> block(uint64_t height) = 0;
    virtual std::optional<ledger::BlockCertificate> block_certificate(uint64_t height) = 0;
    virtual std::optional<TransactionLocation> transaction(const crypto::Hash32& digest) = 0;
    virtual crypto::NodePublicKey node_key() = 0;
    virtual crypto::ConsensusPublicKey consensus_key() = 0;
    virtual std::string metrics_text() = 0;  // Prometheus text of the node's own metrics (may be empty)
    // The summary of the last executed block; never waits for a block that executes.
    virtual std::shared_ptr<const ChainSummary> chain_summary() = 0;
    // The committed state of the last executed block (chain_summary()->ledger), for every other
    // ledger read: it never waits for a block that executes, nor delays one. Null if none.
    std::shared_ptr<const ledger::LedgerSnapshot> ledger_snapshot();
    virtual Health health() = 0;
    virtual PendingNonce pending_nonce(const crypto::AccountAddress& address) = 0;
};

// The checks a node makes before relaying a transaction, against the committed state: size,
// canonical decoding, chain id, a registered sender, a nonce above the sender's stored nonce
// (nonces may run ahead: several transactions can wait in the mempool) and the signature.
// Returns the transaction's digest. `ledger` is the committed state (a snapshot or the Ledger).
Result<crypto::Hash32, SubmitError> check_transaction(const ledger::LedgerReader& ledger, ByteSpan signed_transaction);

// The stateful part of check_transaction, for a transaction decoded and signature-checked
// already: not executed before, a registered sender, a nonce above its stored nonce.
Result<void, SubmitError> check_against_state(const ledger::LedgerReader& ledger, const ledger::SignedTransaction& transaction,
                                              const crypto::Hash32& digest);

// The last nonce `sender` used in the committed state (0 for a new account or an unknown node).
uint64_t stored_nonce(const ledger::LedgerReader& ledger, const ledger::Sender& sender);

// The summary of a committed state (what a backend publishes after each block, with `ledger`).
ChainSummary summarize(std::shared_ptr<const ledger::LedgerSnapshot> ledger);

}  // namespace fleek::rpc
