#include "rpc/backend.h"

#include "ledger/transaction.h"

namespace fleek::rpc {

std::string_view to_string(SubmitError error) noexcept {
    switch (error) {
        case SubmitError::malformed: return "malformed";
        case SubmitError::wrong_chain: return "wrong_chain";
        case SubmitError::bad_signature: return "bad_signature";
        case SubmitError::bad_nonce: return "bad_nonce";
        case SubmitError::too_large: return "too_large";
        case SubmitError::unavailable: return "unavailable";
        case SubmitError::unknown_sender: return "unknown_sender";
        case SubmitError::stopped: return "stopped";
        case SubmitError::nonce_pending: return "nonce_pending";
        case SubmitError::nonce_too_far_ahead: return "nonce_too_far_ahead";
    }
    return "unknown";
}

std::string_view describe(SubmitError error) noexcept {
    switch (error) {
        case SubmitError::malformed: return "the bytes are not a canonical signed transaction";
        case SubmitError::wrong_chain: return "the transaction names another chain id than this network's";
        case SubmitError::bad_signature: return "the signature does not verify for the sender";
        case SubmitError::bad_nonce: return "the sender already used this nonce (ask for the current nonce and sign again)";
        case SubmitError::too_large: return "the transaction is larger than 1 MiB";
        case SubmitError::unavailable: return "the node cannot relay transactions now; try again later";
        case SubmitError::unknown_sender: return "the sender is a node or consensus key of no registered node";
        case SubmitError::stopped:
            return "the node's runtime is not running (it failed or is shutting down) and relays nothing; use another node";
        case SubmitError::nonce_pending:
            return "another transaction with this nonce waits to execute; use flk_get_pending_nonce and sign with pending_nonce + 1, "
                   "or wait for the receipt";
        case SubmitError::nonce_too_far_ahead:
            return "the nonce is too far past the sender's last used nonce; use flk_get_pending_nonce and sign with pending_nonce + 1";
    }
    return "unknown";
}

uint64_t stored_nonce(const ledger::LedgerReader& ledger, const ledger::Sender& sender) {
    if (const auto* account = std::get_if<ledger::AccountSender>(&sender)) {
        const auto info = ledger.account(crypto::AccountAddress::from_bytes(account->address));
        return info ? info->nonce : 0;
    }
    std::optional<ledger::NodeIndex> index;
    if (const auto* node = std::get_if<ledger::NodeSender>(&sender)) {
        if (auto key = crypto::NodePublicKey::from_bytes(node->key)) index = ledger.node_index(*key);
    } else {
        const auto& consensus = std::get<ledger::ConsensusSender>(sender);
        if (auto key = crypto::ConsensusPublicKey::from_bytes(consensus.key)) index = ledger.node_index(*key);
    }
    const auto info = index ? ledger.node(*index) : std::nullopt;
    return info ? info->nonce : 0;
}

ChainSummary summarize(std::shared_ptr<const ledger::LedgerSnapshot> ledger) {
    ChainSummary out;
    out.height = ledger->height();
    out.state_root = ledger->state_root();
    out.chain = ledger->chain_info();
    out.epoch_info = ledger->epoch_info();
    out.params = ledger->params();
    out.committee = ledger->current_committee();
    out.ledger = std::move(ledger);
    return out;
}

std::shared_ptr<const ledger::LedgerSnapshot> Backend::ledger_snapshot() {
    const std::shared_ptr<const ChainSummary> summary = chain_summary();
    return summary ? summary->ledger : nullptr;
}

Result<void, SubmitError> check_against_state(const ledger::LedgerReader& ledger, const ledger::SignedTransaction& signed_transaction,
                                              const crypto::Hash32& digest) {
    const ledger::Transaction& transaction = signed_transaction.transaction;
    if (ledger.digest_executed(digest)) return fail(SubmitError::bad_nonce);
    if (!std::holds_alternative<ledger::AccountSender>(transaction.sender)) {
        std::optional<ledger::NodeIndex> index;
        if (const auto* node = std::get_if<ledger::NodeSender>(&transaction.sender)) {
            if (auto key = crypto::NodePublicKey::from_bytes(node->key)) index = ledger.node_index(*key);
        } else {
            const auto& consensus = std::get<ledger::ConsensusSender>(transaction.sender);
            if (auto key = crypto::ConsensusPublicKey::from_bytes(consensus.key)) index = ledger.node_index(*key);
        }
        if (!index || !ledger.node(*index)) return fail(SubmitError::unknown_sender);
    }
    if (transaction.nonce <= stored_nonce(ledger, transaction.sender)) return fail(SubmitError::bad_nonce);
    return {};
}

Result<crypto::Hash32, SubmitError> check_transaction(const ledger::LedgerReader& ledger, ByteSpan signed_transaction) {
    if (signed_transaction.size() > ledger::transaction_size_max) return fail(SubmitError::too_large);
    auto decoded = codec::decode<ledger::SignedTransaction>(signed_transaction);
    if (!decoded) return fail(SubmitError::malformed);
    if (decoded->transaction.chain_id != ledger.chain_info().chain_id) return fail(SubmitError::wrong_chain);
    const crypto::Hash32 digest = decoded->transaction.digest();
    if (auto state = check_against_state(ledger, *decoded, digest); !state) return fail(state.error());
    if (!ledger::verify_transaction_signature(*decoded, digest)) return fail(SubmitError::bad_signature);
    return digest;
}

}  // namespace fleek::rpc
