#include "consensus/node_test_support.h"
#include "consensus/signature.h"
#include "consensus/types.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::consensus {
namespace {

using testing::committee_of;

Digest filled(uint8_t value) {
    Digest d{};
    d.fill(value);
    return d;
}

Header sample_header() {
    Header h;
    h.epoch = 7;
    h.round = 3;
    h.author = 1;
    h.created_at_ms = 1000;
    h.payload = {PayloadEntry{filled(0x11), 0}};
    h.parents = {filled(0x22), filled(0x33), filled(0x44)};
    h.signature.fill(0x55);
    return h;
}

// The vectors of docs/formats/consensus-messages.md.
TEST(ConsensusFormats, BatchVector) {
    Batch batch{{to_bytes("fleek"), Bytes{}}};
    const Bytes encoded = codec::encode(batch);
    EXPECT_EQ(hex_encode(encoded), "0200000005000000666c65656b00000000");
    EXPECT_EQ(hex_encode(batch_digest(batch)),
              hex_encode(crypto::blake3_derive_key("fleek-network consensus-batch v1", encoded)));
    // Length framing: ["ab", "c"] and ["a", "bc"] hash differently.
    EXPECT_NE(batch_digest(Batch{{to_bytes("ab"), to_bytes("c")}}), batch_digest(Batch{{to_bytes("a"), to_bytes("bc")}}));
    EXPECT_EQ(hex_encode(batch_digest(batch)), "cee12d397d37db57e951cf381825b849de2dcfaa49cbc381c59cffaaf4653adc");
}

TEST(ConsensusFormats, HeaderVector) {
    const Header h = sample_header();
    const Bytes encoded = codec::encode(h);
    EXPECT_EQ(encoded.size(), 8u + 8 + 2 + 8 + 4 + 36 + 4 + 96 + 48);
    EXPECT_EQ(hex_encode(Bytes(encoded.begin(), encoded.begin() + 34)),
              "0700000000000000" "0300000000000000" "0100" "e803000000000000" "01000000" "11111111");
    EXPECT_EQ(hex_encode(h.digest()),
              hex_encode(crypto::blake3_derive_key("fleek-network consensus-header v1", h.signed_encoding())));
    // The signature is not part of the digest.
    Header resigned = h;
    resigned.signature.fill(0x99);
    EXPECT_EQ(resigned.digest(), h.digest());
    EXPECT_EQ(hex_encode(h.digest()), "966c0466552de22baf4bc35915507b76eb79279b4d45e539b82f4a675b3bfa1a");
    EXPECT_EQ(codec::decode<Header>(encoded).value(), h);
}

TEST(ConsensusFormats, HeaderDecoderRejectsUnsortedParents) {
    Header h = sample_header();
    std::swap(h.parents[0], h.parents[1]);
    codec::Writer w;
    h.encode(w);
    EXPECT_EQ(codec::decode<Header>(w.view()).error(), codec::DecodeError::invalid_value);
    h.parents = {filled(0x22), filled(0x22)};
    EXPECT_EQ(codec::decode<Header>(codec::encode(h)).error(), codec::DecodeError::invalid_value);
}

TEST(ConsensusFormats, VoteAndCertificateVectors) {
    Vote v{7, 3, 1, filled(0x66), 2, {}};
    v.signature.fill(0x77);
    EXPECT_EQ(hex_encode(codec::encode(v)), "0700000000000000" "0300000000000000" "0100" + std::string(64, '6') + "0200" +
                                                std::string(96, '7'));
    Certificate c{sample_header(), signer_bitmap(4, std::vector<AuthorityIndex>{0, 1, 2}), {}};
    c.aggregate_signature.fill(0x88);
    const Bytes encoded = codec::encode(c);
    const Bytes header = codec::encode(c.header);
    EXPECT_EQ(hex_encode(Bytes(encoded.begin() + static_cast<std::ptrdiff_t>(header.size()), encoded.end())),
              "01000000" "07" + std::string(96, '8'));
    // A certificate is named by its header digest, whoever signed it.
    Certificate other = c;
    other.signers = signer_bitmap(4, std::vector<AuthorityIndex>{1, 2, 3});
    EXPECT_EQ(make_vertex(c)->digest, make_vertex(other)->digest);
    EXPECT_EQ(make_vertex(c)->digest, c.header.digest());
}

TEST(ConsensusFormats, EveryMessageRoundTrips) {
    std::vector<Message> messages;
    messages.emplace_back(sample_header());
    messages.emplace_back(Vote{7, 3, 1, filled(1), 2, {}});
    messages.emplace_back(Certificate{sample_header(), Bytes{0x07}, {}});
    messages.emplace_back(CertificatesRequest{7, {filled(1), filled(2)}});
    messages.emplace_back(CertificateRangeRequest{7, 5, {Bytes{0x03}, Bytes{0x0f}}, 256, 4 << 20});
    messages.emplace_back(CertificatesResponse{7, {Certificate{sample_header(), Bytes{0x07}, {}}}});
    messages.emplace_back(BatchMessage{7, Batch{{to_bytes("tx")}}});
    messages.emplace_back(BatchAck{7, filled(3)});
    messages.emplace_back(BatchRequest{7, {filled(4)}});
    messages.emplace_back(BatchResponse{7, {Batch{{to_bytes("a"), to_bytes("b")}}}});
    for (const Message& m : messages) {
        const Bytes bytes = encode_message(m);
        auto decoded = decode_message(bytes);
        ASSERT_TRUE(decoded.has_value()) << m.index();
        EXPECT_EQ(*decoded, m);
        EXPECT_EQ(epoch_of(*decoded), 7u);
        EXPECT_EQ(plane_of(m), m.index() >= 6 ? Plane::worker : Plane::primary);
        Bytes longer = bytes;
        longer.push_back(0);
        EXPECT_EQ(decode_message(longer).error(), codec::DecodeError::trailing_bytes);
        EXPECT_FALSE(decode_message(ByteSpan(bytes).first(bytes.size() - 1)).has_value());
    }
    EXPECT_EQ(decode_message(Bytes{6}).error(), codec::DecodeError::unknown_tag);
    EXPECT_EQ(decode_message(Bytes{20}).error(), codec::DecodeError::unknown_tag);
    EXPECT_EQ(hex_encode(encode_message(BatchAck{7, filled(3)})), "11" "0700000000000000" + hex_encode(filled(3)));
}

TEST(Committee, ThresholdsAndOrder) {
    EXPECT_EQ(committee_of(4, 7).quorum(), 3u);
    EXPECT_EQ(committee_of(4, 7).validity(), 2u);
    EXPECT_EQ(committee_of(7, 7).quorum(), 5u);
    EXPECT_EQ(committee_of(7, 7).validity(), 3u);
    EXPECT_EQ(committee_of(10, 7).quorum(), 7u);
    EXPECT_EQ(committee_of(10, 7).validity(), 4u);
    const auto c = committee_of(5, 7);
    for (size_t i = 1; i < c.size(); ++i) {
        EXPECT_LT(c.member(static_cast<AuthorityIndex>(i - 1)).consensus_key.bytes(),
                  c.member(static_cast<AuthorityIndex>(i)).consensus_key.bytes());
    }
    EXPECT_EQ(c.index_of(c.member(3).consensus_key), 3);
    EXPECT_EQ(Committee::create(1, {}).error(), CommitteeError::empty);
    auto members = c.members();
    members.push_back(members[0]);
    EXPECT_EQ(Committee::create(1, members).error(), CommitteeError::duplicate_key);
}

TEST(Committee, LeaderScheduleVector) {
    const auto c = committee_of(4, 1);
    std::string leaders;
    for (Round r = 2; r <= 20; r += 2) leaders += std::to_string(c.leader(r));
    // leader(r) = u64le(object_digest("consensus-leader", u64 epoch || u64 round)[0..8]) mod n
    codec::Writer w;
    w.u64(1);
    w.u64(2);
    const Digest d = crypto::object_digest("consensus-leader", w.view());
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | d[static_cast<size_t>(i)];
    EXPECT_EQ(c.leader(2), value % 4);
    EXPECT_EQ(leaders, "0130033002");
    // Every member leads some round.
    std::set<AuthorityIndex> seen;
    for (Round r = 2; r <= 200; r += 2) seen.insert(c.leader(r));
    EXPECT_EQ(seen.size(), 4u);
}

TEST(Committee, SignerBitmaps) {
    const Bytes bitmap = signer_bitmap(10, std::vector<AuthorityIndex>{0, 3, 9});
    EXPECT_EQ(hex_encode(bitmap), "0902");
    EXPECT_EQ(bitmap_signers(10, bitmap).value(), (std::vector<AuthorityIndex>{0, 3, 9}));
    EXPECT_FALSE(bitmap_signers(10, Bytes{0x01}).has_value());            // wrong size
    EXPECT_FALSE(bitmap_signers(10, Bytes{0x00, 0x04}).has_value());      // bit 10 is not a member
}

void check_scheme(const Committee& c, bool bls) {
    std::vector<std::shared_ptr<const SignatureScheme>> signers;
    for (AuthorityIndex i = 0; i < c.size(); ++i) {
        if (bls) {
            // Find the secret key of member i.
            for (size_t k = 0; k < c.size(); ++k) {
                auto key = crypto::bls::SecretKey::from_seed(Bytes(32, static_cast<uint8_t>(k + 1))).value();
                if (key.public_key() == c.member(i).consensus_key) signers.push_back(make_bls_scheme(c, std::move(key)));
            }
        } else {
            signers.push_back(make_test_scheme(c, i));
        }
    }
    ASSERT_EQ(signers.size(), c.size());
    const auto statement = vote_statement(c, c.epoch(), 5, 1, filled(0xab));
    std::vector<SignatureBytes> signatures;
    for (AuthorityIndex i = 0; i < 3; ++i) {
        signatures.push_back(signers[i]->sign(statement));
        EXPECT_TRUE(signers[0]->verify(i, statement, signatures.back()));
        EXPECT_FALSE(signers[0]->verify(static_cast<AuthorityIndex>(i + 1), statement, signatures.back()));
    }
    const auto aggregate = signers[0]->aggregate(signatures).value();
    const std::vector<AuthorityIndex> who{0, 1, 2};
    EXPECT_TRUE(signers[3]->verify_aggregate(who, statement, aggregate));
    EXPECT_FALSE(signers[3]->verify_aggregate(std::vector<AuthorityIndex>{0, 1, 3}, statement, aggregate));
    EXPECT_FALSE(signers[3]->verify_aggregate(std::vector<AuthorityIndex>{0, 1}, statement, aggregate));
    auto other = statement;
    other.subject = filled(0xac);
    EXPECT_FALSE(signers[3]->verify_aggregate(who, other, aggregate));
    SignatureBytes corrupted = aggregate;
    corrupted[3] ^= 1;
    EXPECT_FALSE(signers[3]->verify_aggregate(who, statement, corrupted));
    EXPECT_FALSE(signers[3]->verify_aggregate({}, statement, aggregate));
}

TEST(SignatureScheme, BlsSignsStatementsAndAggregates) {
    const auto c = committee_of(4, 7);
    check_scheme(c, true);
    // What a BLS vote signs is exactly the ledger's vote statement.
    auto key = crypto::bls::SecretKey::from_seed(Bytes(32, 1)).value();
    const auto index = c.index_of(key.public_key()).value();
    const auto statement = vote_statement(c, 7, 9, 2, filled(1));
    EXPECT_EQ(statement.kind, ledger::StatementKind::vote);
    EXPECT_EQ(statement.origin, c.member(2).consensus_key.bytes());
    const auto scheme = make_bls_scheme(c, key.clone());
    EXPECT_EQ(scheme->sign(statement), ledger::sign_statement(statement, key).signature);
    EXPECT_TRUE(scheme->verify(index, statement, scheme->sign(statement)));
}

TEST(SignatureScheme, TestSchemeRejectsForgeries) { check_scheme(committee_of(4, 7), false); }

}  // namespace
}  // namespace fleek::consensus
