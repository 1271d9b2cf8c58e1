#include "ledger/block_certificate.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::ledger {
namespace {

struct Member {
    crypto::ConsensusSecretKey secret;
    CommitteeMember public_part;
};

std::vector<Member> members(size_t n) {
    std::vector<Member> out;
    for (size_t i = 0; i < n; ++i) {
        auto secret = crypto::ConsensusSecretKey::from_seed(Bytes(32, static_cast<uint8_t>(i + 1))).value();
        auto node = crypto::NodeSecretKey::from_seed(Bytes(32, static_cast<uint8_t>(i + 101))).value();
        CommitteeMember member{static_cast<NodeIndex>(i), node.public_key(), secret.public_key(), "127.0.0.1", {}};
        out.push_back({std::move(secret), std::move(member)});
    }
    return out;
}

std::vector<CommitteeMember> committee_of(const std::vector<Member>& all) {
    std::vector<CommitteeMember> out;
    for (const auto& m : all) out.push_back(m.public_part);
    return out;
}

// The smallest signer count a certificate of an n-member committee needs, written from the BFT
// definition (util/quorum.h), not from the code: f = ⌊(n − 1)/3⌋ members may be faulty; a quorum
// of n − f leaves the honest members live, makes two quorums share more than f members and meets
// every set of f + 1. n = 5 needs 4 (with 3, two certificates for conflicting blocks could share
// only one member, who may be the faulty one); n = 3 needs all three.
constexpr size_t quorum_by_definition[] = {1, 2, 3, 3, 4, 5, 5, 6, 7, 7};

// A certificate whose signer list names the first `count` members, with their real aggregate.
BlockCertificate signed_by_first(const std::vector<Member>& all, size_t count, const Hash32& digest, const Hash32& root) {
    BlockCertificate certificate;
    certificate.epoch = 2;
    certificate.height = 11;
    certificate.block_digest = digest;
    certificate.state_root = root;
    certificate.signers.assign(all.size(), 0);
    const Hash32 message = block_statement(2, 11, digest, root).signing_digest();
    std::vector<crypto::ConsensusSignature> signatures;
    for (size_t i = 0; i < count; ++i) {
        certificate.signers[i] = 1;
        signatures.push_back(all[i].secret.sign(message));
    }
    if (!signatures.empty()) certificate.signature = crypto::bls::aggregate_signatures(signatures).value().bytes();
    return certificate;
}

TEST(BlockCertificate, NeedsTheQuorumOfTheDefinitionForOneToTenMembers) {
    Hash32 digest{};
    digest.fill(5);
    Hash32 root{};
    root.fill(6);
    for (size_t n = 1; n <= 10; ++n) {
        SCOPED_TRACE(n);
        const size_t quorum = quorum_by_definition[n - 1];
        const auto all = members(n);
        const auto committee = committee_of(all);
        EXPECT_EQ(quorum_weight(n), quorum);
        if (quorum > 1) {
            EXPECT_EQ(signed_by_first(all, quorum - 1, digest, root).verify(committee).error(), CertificateError::too_few_signers);
        }
        EXPECT_TRUE(signed_by_first(all, quorum, digest, root).verify(committee).has_value());
        // The builder completes exactly at the quorum.
        BlockCertificateBuilder builder(2, 11, digest, root, committee);
        for (size_t i = 0; i < quorum; ++i) {
            EXPECT_FALSE(builder.complete()) << i;
            EXPECT_FALSE(builder.certificate().has_value());
            ASSERT_EQ(builder.add(all[i].secret.public_key(), all[i].secret.sign(builder.signing_digest())),
                      BlockCertificateBuilder::AddResult::added);
        }
        EXPECT_TRUE(builder.complete());
        EXPECT_EQ(builder.certificate().value(), signed_by_first(all, quorum, digest, root));
    }
    // An empty committee certifies nothing.
    EXPECT_EQ(signed_by_first(members(0), 0, digest, root).verify({}).error(), CertificateError::wrong_committee_size);
}

TEST(BlockCertificate, BuildVerifyAndEncode) {
    const auto all = members(4);
    Hash32 digest{};
    digest.fill(1);
    Hash32 root{};
    root.fill(2);
    BlockCertificateBuilder builder(3, 42, digest, root, committee_of(all));
    const Hash32 message = block_statement(3, 42, digest, root).signing_digest();
    EXPECT_EQ(builder.signing_digest(), message);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_FALSE(builder.complete());
        EXPECT_EQ(builder.add(all[i].secret.public_key(), all[i].secret.sign(message)), BlockCertificateBuilder::AddResult::added);
    }
    EXPECT_EQ(builder.add(all[0].secret.public_key(), all[0].secret.sign(message)), BlockCertificateBuilder::AddResult::duplicate);
    EXPECT_EQ(builder.add(all[3].secret.public_key(), all[0].secret.sign(message)), BlockCertificateBuilder::AddResult::bad_signature);
    const auto outsider = crypto::ConsensusSecretKey::from_seed(Bytes(32, 99)).value();
    EXPECT_EQ(builder.add(outsider.public_key(), outsider.sign(message)), BlockCertificateBuilder::AddResult::not_a_member);
    ASSERT_TRUE(builder.complete());
    const BlockCertificate certificate = builder.certificate().value();
    EXPECT_EQ(certificate.signers, (std::vector<uint8_t>{1, 1, 1, 0}));
    EXPECT_TRUE(certificate.verify(committee_of(all)).has_value());

    const Bytes encoded = codec::encode(certificate);
    EXPECT_EQ(encoded.size(), 8u + 8 + 32 + 32 + 4 + 4 + 48);
    EXPECT_EQ(codec::decode<BlockCertificate>(encoded).value(), certificate);
}

TEST(BlockCertificate, RejectsForgeries) {
    const auto all = members(4);
    Hash32 digest{};
    BlockCertificateBuilder builder(1, 7, digest, digest, committee_of(all));
    for (size_t i = 0; i < 3; ++i) (void)builder.add(all[i].secret.public_key(), all[i].secret.sign(builder.signing_digest()));
    const BlockCertificate good = builder.certificate().value();

    BlockCertificate other_root = good;
    other_root.state_root[0] ^= 1;
    EXPECT_EQ(other_root.verify(committee_of(all)).error(), CertificateError::invalid_signature);
    BlockCertificate other_height = good;
    other_height.height += 1;
    EXPECT_EQ(other_height.verify(committee_of(all)).error(), CertificateError::invalid_signature);
    BlockCertificate claims_fourth = good;
    claims_fourth.signers[3] = 1;  // claims a signer whose signature is not in the aggregate
    EXPECT_EQ(claims_fourth.verify(committee_of(all)).error(), CertificateError::invalid_signature);
    BlockCertificate too_few = good;
    too_few.signers[0] = 0;
    EXPECT_EQ(too_few.verify(committee_of(all)).error(), CertificateError::too_few_signers);
    EXPECT_EQ(good.verify(committee_of(members(5))).error(), CertificateError::wrong_committee_size);
    Bytes bad_bit = codec::encode(good);
    bad_bit[8 + 8 + 32 + 32 + 4] = 2;
    EXPECT_EQ(codec::decode<BlockCertificate>(bad_bit).error(), codec::DecodeError::invalid_value);
}

}  // namespace
}  // namespace fleek::ledger
