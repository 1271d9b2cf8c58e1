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
};
std::string_view to_string(SubmitError error) noexcept;
// A sentence for people: what is wrong and what to do.
std::string_view describe(SubmitError error) noexcept;

class Backend {  // implemented by the node; every method is thread-safe
public:
    virtual ~Backend() = default;
    // Runs `read` with the ledger, serialized with block execution (no block executes meanwhile).
    virtual void read_ledger(const std::function<void(const ledger::Ledger&)>& read) = 0;
    // Checks a signed transaction (decode, chain id, signature, nonce not already used) and relays
    // it to the committee; returns its digest. check_transaction() below does the checks.
    virtual Result<crypto::Hash32, SubmitError> submit_transaction(Bytes signed_transaction) = 0;
    virtual std::optional<ledger::Block> block(uint64_t height) = 0;
    virtual std::optional<ledger::BlockCertificate> block_certificate(uint64_t height) = 0;
    virtual std::optional<TransactionLocation> transaction(const crypto::Hash32& digest) = 0;
    virtual crypto::NodePublicKey node_key() = 0;
    virtual crypto::ConsensusPublicKey consensus_key() = 0;
    virtual std::string metrics_text() = 0;  // Prometheus text of the node's own metrics (may be empty)
};

// The checks a node makes before relaying a transaction, against the committed state: size,
// canonical decoding, chain id, a registered sender, a nonce above the sender's stored nonce
// (nonces may run ahead: several transactions can wait in the mempool) and the signature.
// Returns the transaction's digest. Call it inside Backend::read_ledger.
Result<crypto::Hash32, SubmitError> check_transaction(const ledger::Ledger& ledger, ByteSpan signed_transaction);

}  // namespace fleek::rpc
