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
    }
    return "unknown";
}

Result<crypto::Hash32, SubmitError> check_transaction(const ledger::Ledger& ledger, ByteSpan signed_transaction) {
    if (signed_transaction.size() > ledger::transaction_size_max) return fail(SubmitError::too_large);
    auto decoded = codec::decode<ledger::SignedTransaction>(signed_transaction);
    if (!decoded) return fail(SubmitError::malformed);
    const ledger::Transaction& transaction = decoded->transaction;
    if (transaction.chain_id != ledger.chain_info().chain_id) return fail(SubmitError::wrong_chain);
    const crypto::Hash32 digest = transaction.digest();
    if (ledger.digest_executed(digest)) return fail(SubmitError::bad_nonce);

    std::optional<uint64_t> stored_nonce;
    if (const auto* account = std::get_if<ledger::AccountSender>(&transaction.sender)) {
        const auto info = ledger.account(crypto::AccountAddress::from_bytes(account->address));
        stored_nonce = info ? info->nonce : 0;
    } else {
        std::optional<ledger::NodeIndex> index;
        if (const auto* node = std::get_if<ledger::NodeSender>(&transaction.sender)) {
            if (auto key = crypto::NodePublicKey::from_bytes(node->key)) index = ledger.node_index(*key);
        } else {
            const auto& consensus = std::get<ledger::ConsensusSender>(transaction.sender);
            if (auto key = crypto::ConsensusPublicKey::from_bytes(consensus.key)) index = ledger.node_index(*key);
        }
        const auto info = index ? ledger.node(*index) : std::nullopt;
        if (!info) return fail(SubmitError::unknown_sender);
        stored_nonce = info->nonce;
    }
    if (transaction.nonce <= *stored_nonce) return fail(SubmitError::bad_nonce);
    if (!ledger::verify_transaction_signature(*decoded, digest)) return fail(SubmitError::bad_signature);
    return digest;
}

}  // namespace fleek::rpc
