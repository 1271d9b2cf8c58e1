#include "ledger/consensus_statement.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::ledger {
namespace {

crypto::bls::SecretKey key(uint8_t fill) { return crypto::bls::SecretKey::from_seed(Bytes(32, fill)).value(); }

ConsensusStatement header_statement(const crypto::bls::SecretKey& author, uint8_t subject) {
    ConsensusStatement statement;
    statement.kind = StatementKind::header;
    statement.epoch = 3;
    statement.round = 10;
    statement.origin = author.public_key().bytes();
    statement.subject.fill(subject);
    return statement;
}

// The vector in docs/formats/consensus-statement.md.
TEST(ConsensusStatement, EncodingVector) {
    ConsensusStatement statement;
    statement.kind = StatementKind::vote;
    statement.epoch = 7;
    statement.round = 42;
    statement.origin.fill(0xaa);
    statement.subject.fill(0x11);
    const Bytes encoded = codec::encode(statement);
    EXPECT_EQ(encoded.size(), 1u + 8 + 8 + 96 + 32);
    EXPECT_EQ(hex_encode(encoded), "01" "0700000000000000" "2a00000000000000" + std::string(192, 'a') + std::string(64, '1'));
    EXPECT_EQ(hex_encode(statement.signing_digest()),
              hex_encode(crypto::blake3_derive_key("fleek-network consensus-statement v1", encoded)));
    EXPECT_EQ(codec::decode<ConsensusStatement>(encoded).value(), statement);
    Bytes bad = encoded;
    bad[0] = statement_kind_count;
    EXPECT_EQ(codec::decode<ConsensusStatement>(bad).error(), codec::DecodeError::unknown_tag);
}

TEST(ConsensusStatement, SignedRoundTrip) {
    const auto author = key(1);
    const SignedStatement signed_statement = sign_statement(header_statement(author, 1), author);
    const Bytes encoded = codec::encode(signed_statement);
    EXPECT_EQ(encoded.size(), 145u + 48u);
    EXPECT_EQ(codec::decode<SignedStatement>(encoded).value(), signed_statement);
}

TEST(ConsensusStatement, DetectsHeaderEquivocation) {
    const auto author = key(1);
    const auto a = sign_statement(header_statement(author, 1), author);
    const auto b = sign_statement(header_statement(author, 2), author);
    EXPECT_TRUE(check_equivocation(author.public_key(), a, b).has_value());
    EXPECT_EQ(check_equivocation(author.public_key(), a, a).error(), EvidenceError::not_conflicting);
    EXPECT_EQ(check_equivocation(key(2).public_key(), a, b).error(), EvidenceError::wrong_signer);
    auto other_round = header_statement(author, 2);
    other_round.round = 11;
    EXPECT_EQ(check_equivocation(author.public_key(), a, sign_statement(other_round, author)).error(),
              EvidenceError::not_conflicting);
    auto forged = b;
    forged.signature = a.signature;
    EXPECT_EQ(check_equivocation(author.public_key(), a, forged).error(), EvidenceError::bad_signature);
    forged.signature.fill(0);
    EXPECT_EQ(check_equivocation(author.public_key(), a, forged).error(), EvidenceError::invalid_signature_encoding);
}

TEST(ConsensusStatement, DetectsDoubleVotes) {
    const auto author = key(1);
    const auto voter = key(5);
    auto vote_a = header_statement(author, 1);
    vote_a.kind = StatementKind::vote;
    auto vote_b = vote_a;
    vote_b.subject.fill(2);
    const auto a = sign_statement(vote_a, voter);
    const auto b = sign_statement(vote_b, voter);
    EXPECT_TRUE(check_equivocation(voter.public_key(), a, b).has_value());
    EXPECT_EQ(check_equivocation(author.public_key(), a, b).error(), EvidenceError::bad_signature);
    // Every vote for one header is the same message, so votes aggregate.
    const auto other_voter = key(6);
    const auto c = sign_statement(vote_a, other_voter);
    const auto aggregate = crypto::bls::aggregate_signatures(std::vector{crypto::bls::Signature::from_bytes(a.signature).value(),
                                                                         crypto::bls::Signature::from_bytes(c.signature).value()})
                               .value();
    EXPECT_TRUE(crypto::bls::fast_aggregate_verify(std::vector{voter.public_key(), other_voter.public_key()},
                                                   vote_a.signing_digest(), aggregate));
}

TEST(ConsensusStatement, BlockStatementsAggregateAndProveDoubleSigning) {
    ConsensusStatement block;
    block.kind = StatementKind::block;
    block.epoch = 2;
    block.round = 100;  // height
    block.subject = block_statement_subject(crypto::Hash32{}, crypto::Hash32{});
    const auto a = key(1);
    const auto b = key(2);
    const auto signed_a = sign_statement(block, a);
    const auto signed_b = sign_statement(block, b);
    // Same message for every signer: one aggregate signature.
    const auto aggregate = crypto::bls::aggregate_signatures(std::vector{crypto::bls::Signature::from_bytes(signed_a.signature).value(),
                                                                         crypto::bls::Signature::from_bytes(signed_b.signature).value()})
                               .value();
    EXPECT_TRUE(crypto::bls::fast_aggregate_verify(std::vector{a.public_key(), b.public_key()}, block.signing_digest(), aggregate));
    // Signing another state at the same height is equivocation by that signer, not by others.
    ConsensusStatement other = block;
    crypto::Hash32 root{};
    root[0] = 1;
    other.subject = block_statement_subject(crypto::Hash32{}, root);
    const auto double_signed = sign_statement(other, a);
    EXPECT_TRUE(check_equivocation(a.public_key(), signed_a, double_signed).has_value());
    EXPECT_EQ(check_equivocation(b.public_key(), signed_a, double_signed).error(), EvidenceError::bad_signature);
}

}  // namespace
}  // namespace fleek::ledger
