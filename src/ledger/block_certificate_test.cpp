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

TEST(BlockCertificate, Quorums) {
    EXPECT_EQ(committee_quorum(1), 1u);
    EXPECT_EQ(committee_quorum(4), 3u);
    EXPECT_EQ(committee_quorum(5), 3u);
    EXPECT_EQ(committee_quorum(7), 5u);
    EXPECT_EQ(committee_quorum(10), 7u);
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
