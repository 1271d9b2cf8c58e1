// Finality of a block (brief §7): after executing block h, each committee member of the block's
// epoch signs the block statement (consensus_statement.h, kind block: epoch, height, subject =
// digest of the block digest and the state root after it). A quorum of such signatures
// (util/quorum.h: ⌊2n/3⌋+1 of n members, who weigh one each) aggregates into a
// BlockCertificate, which anyone who knows the committee can check with one pairing check.
// Format: docs/formats/block-certificate.md.
#pragma once

#include "ledger/consensus_statement.h"
#include "ledger/ledger.h"
#include "util/quorum.h"

#include <vector>

namespace fleek::ledger {

// The statement a committee member signs for block `height` of `epoch`.
ConsensusStatement block_statement(Epoch epoch, uint64_t height, const Hash32& block_digest, const Hash32& state_root);

enum class CertificateError : uint8_t {
    wrong_committee_size,  // a signer bitmap of another length than the committee
    too_few_signers,       // fewer than the quorum
    invalid_signature,     // not a BLS signature, or not the signers' aggregate
};
std::string_view to_string(CertificateError error) noexcept;

struct BlockCertificate {
    static constexpr uint32_t signers_max = 1024;

    Epoch epoch = 0;
    uint64_t height = 0;
    Hash32 block_digest{};
    Hash32 state_root{};
    // signers[i] is 1 when the i-th member of the epoch's committee (committee_members order)
    // signed; one byte per member.
    std::vector<uint8_t> signers;
    ByteArray<crypto::bls::signature_size> signature{};

    void encode(codec::Writer& w) const;
    static Result<BlockCertificate, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const BlockCertificate&, const BlockCertificate&) = default;

    // Checks the quorum and the aggregate signature against the epoch's committee.
    Result<void, CertificateError> verify(const std::vector<CommitteeMember>& committee) const;
};

// Collects the committee's signatures on one block; yields the certificate at the quorum.
class BlockCertificateBuilder {
public:
    BlockCertificateBuilder(Epoch epoch, uint64_t height, const Hash32& block_digest, const Hash32& state_root,
                            std::vector<CommitteeMember> committee);

    enum class AddResult : uint8_t { added, duplicate, not_a_member, bad_signature };
    // A member's signature over block_statement(...).signing_digest().
    AddResult add(const crypto::ConsensusPublicKey& signer, const crypto::ConsensusSignature& signature);
    bool complete() const noexcept { return m_count >= quorum_weight(m_committee.size()); }
    // The certificate, once complete().
    std::optional<BlockCertificate> certificate() const;
    const Hash32& signing_digest() const noexcept { return m_digest; }

private:
    BlockCertificate m_template;
    std::vector<CommitteeMember> m_committee;
    Hash32 m_digest{};
    std::vector<std::optional<crypto::ConsensusSignature>> m_signatures;
    size_t m_count = 0;
};

}  // namespace fleek::ledger
