#include "ledger/block_certificate.h"

namespace fleek::ledger {

ConsensusStatement block_statement(Epoch epoch, uint64_t height, const Hash32& block_digest, const Hash32& state_root) {
    ConsensusStatement statement;
    statement.kind = StatementKind::block;
    statement.epoch = epoch;
    statement.round = height;
    statement.origin.fill(0);
    statement.subject = block_statement_subject(block_digest, state_root);
    return statement;
}

std::string_view to_string(CertificateError error) noexcept {
    switch (error) {
        case CertificateError::wrong_committee_size: return "signer list does not match the committee";
        case CertificateError::too_few_signers: return "fewer signers than the quorum";
        case CertificateError::invalid_signature: return "aggregate signature does not verify";
    }
    return "invalid certificate";
}

void BlockCertificate::encode(codec::Writer& w) const {
    w.u64(epoch);
    w.u64(height);
    w.fixed(block_digest);
    w.fixed(state_root);
    w.bytes(signers, signers_max);
    w.fixed(signature);
}

Result<BlockCertificate, codec::DecodeError> BlockCertificate::decode(codec::Reader& r) {
    BlockCertificate out;
    auto epoch = r.u64();
    if (!epoch) return fail(epoch.error());
    out.epoch = *epoch;
    auto height = r.u64();
    if (!height) return fail(height.error());
    out.height = *height;
    auto digest = r.array<32>();
    if (!digest) return fail(digest.error());
    out.block_digest = *digest;
    auto root = r.array<32>();
    if (!root) return fail(root.error());
    out.state_root = *root;
    auto signers = r.bytes(signers_max);
    if (!signers) return fail(signers.error());
    for (const uint8_t bit : *signers) {
        if (bit > 1) return fail(codec::DecodeError::invalid_value);
    }
    out.signers.assign(signers->begin(), signers->end());
    auto signature = r.array<crypto::bls::signature_size>();
    if (!signature) return fail(signature.error());
    out.signature = *signature;
    return out;
}

Result<void, CertificateError> BlockCertificate::verify(const std::vector<CommitteeMember>& committee) const {
    if (signers.size() != committee.size() || committee.empty()) return fail(CertificateError::wrong_committee_size);
    std::vector<crypto::ConsensusPublicKey> keys;
    for (size_t i = 0; i < committee.size(); ++i) {
        if (signers[i] == 1) keys.push_back(committee[i].consensus_key);
    }
    if (keys.size() < quorum_weight(committee.size())) return fail(CertificateError::too_few_signers);
    auto aggregate = crypto::ConsensusSignature::from_bytes(signature);
    if (!aggregate) return fail(CertificateError::invalid_signature);
    const Hash32 digest = block_statement(epoch, height, block_digest, state_root).signing_digest();
    if (!crypto::bls::fast_aggregate_verify(keys, digest, *aggregate)) return fail(CertificateError::invalid_signature);
    return {};
}

BlockCertificateBuilder::BlockCertificateBuilder(Epoch epoch, uint64_t height, const Hash32& block_digest,
                                                 const Hash32& state_root, std::vector<CommitteeMember> committee)
    : m_committee(std::move(committee)),
      m_digest(block_statement(epoch, height, block_digest, state_root).signing_digest()),
      m_signatures(m_committee.size()) {
    m_template.epoch = epoch;
    m_template.height = height;
    m_template.block_digest = block_digest;
    m_template.state_root = state_root;
}

BlockCertificateBuilder::AddResult BlockCertificateBuilder::add(const crypto::ConsensusPublicKey& signer,
                                                                const crypto::ConsensusSignature& signature) {
    for (size_t i = 0; i < m_committee.size(); ++i) {
        if (m_committee[i].consensus_key != signer) continue;
        if (m_signatures[i]) return AddResult::duplicate;
        if (!signer.verify(m_digest, signature)) return AddResult::bad_signature;
        m_signatures[i] = signature;
        ++m_count;
        return AddResult::added;
    }
    return AddResult::not_a_member;
}

std::optional<BlockCertificate> BlockCertificateBuilder::certificate() const {
    if (!complete()) return std::nullopt;
    BlockCertificate out = m_template;
    out.signers.assign(m_committee.size(), 0);
    std::vector<crypto::ConsensusSignature> signatures;
    for (size_t i = 0; i < m_committee.size(); ++i) {
        if (m_signatures[i]) {
            out.signers[i] = 1;
            signatures.push_back(*m_signatures[i]);
        }
    }
    out.signature = crypto::bls::aggregate_signatures(signatures).value().bytes();
    return out;
}

}  // namespace fleek::ledger
