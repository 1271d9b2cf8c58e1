#include "node/relay_policy.h"

#include "ledger/block_certificate.h"

#include <algorithm>

namespace fleek::node {

std::string_view to_string(GossipBlockAction action) noexcept {
    switch (action) {
        case GossipBlockAction::refuse: return "refuse";
        case GossipBlockAction::add_certificate: return "add_certificate";
        case GossipBlockAction::execute: return "execute";
        case GossipBlockAction::relay_only: return "relay_only";
    }
    return "unknown";
}

GossipBlockAction classify_gossip_block(const CertifiedBlock& block, uint64_t our_height,
                                        const std::vector<ledger::CommitteeMember>& committee) {
    const ledger::BlockCertificate& certificate = block.certificate;
    const uint64_t height = block.block.block.height;
    if (!block.block.block.epoch || certificate.epoch != *block.block.block.epoch || certificate.height != height ||
        height == 0 || certificate.block_digest != block.block.digest()) {
        return GossipBlockAction::refuse;
    }
    if (committee.empty() || !certificate.verify(committee)) return GossipBlockAction::refuse;
    if (height <= our_height) return GossipBlockAction::add_certificate;
    if (height == our_height + 1) return GossipBlockAction::execute;
    return GossipBlockAction::relay_only;
}

bool verify_block_signature(const BlockSignature& signature, const std::vector<ledger::CommitteeMember>& committee) {
    auto signer = crypto::ConsensusPublicKey::from_bytes(signature.signer);
    auto bls_signature = crypto::ConsensusSignature::from_bytes(signature.signature);
    if (!signer || !bls_signature) return false;
    const bool member = std::any_of(committee.begin(), committee.end(),
                                    [&](const ledger::CommitteeMember& m) { return m.consensus_key == *signer; });
    if (!member) return false;
    const auto statement = ledger::block_statement(signature.epoch, signature.height, signature.block_digest, signature.state_root);
    return signer->verify(statement.signing_digest(), *bls_signature);
}

Result<ledger::SignedTransaction, rpc::SubmitError> check_forwarded_transaction(ByteSpan transaction, uint64_t chain_id) {
    if (transaction.size() > ledger::transaction_size_max) return fail(rpc::SubmitError::too_large);
    auto decoded = codec::decode<ledger::SignedTransaction>(transaction);
    if (!decoded) return fail(rpc::SubmitError::malformed);
    if (decoded->transaction.chain_id != chain_id) return fail(rpc::SubmitError::wrong_chain);
    if (!ledger::verify_transaction_signature(*decoded, decoded->transaction.digest())) return fail(rpc::SubmitError::bad_signature);
    return std::move(*decoded);
}

}  // namespace fleek::node
