#include "crypto/ed25519.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <sstream>

namespace fleek::crypto::ed25519 {
namespace {

using testing::read_text;
using testing::source_path;

struct Vector {
    Bytes seed, public_key, message, signature;
};

std::vector<Vector> rfc8032_vectors() {
    std::vector<Vector> vectors;
    std::istringstream lines(read_text(source_path("tests/vectors/ed25519/rfc8032.txt")));
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> fields;
        std::istringstream parts(line);
        std::string field;
        while (std::getline(parts, field, ':')) fields.push_back(field);
        if (line.back() == ':') fields.emplace_back();
        EXPECT_EQ(fields.size(), 4u) << line;
        vectors.push_back({hex_decode(fields[0]).value(), hex_decode(fields[1]).value(), hex_decode(fields[2]).value(),
                           hex_decode(fields[3]).value()});
    }
    return vectors;
}

TEST(Ed25519, VectorFileIsUnchanged) {
    EXPECT_EQ(testing::sha256_hex(read_text(source_path("tests/vectors/ed25519/rfc8032.txt"))),
              "cffaf056dd87f3a0f0ccd7c80cc7ad387a84d266912cd29856d2df671d5ccfba");
}

TEST(Ed25519, Rfc8032Vectors) {
    const auto vectors = rfc8032_vectors();
    ASSERT_EQ(vectors.size(), 5u);
    for (const auto& vector : vectors) {
        auto key = SecretKey::from_seed(vector.seed);
        ASSERT_TRUE(key.has_value());
        EXPECT_EQ(hex_encode(key->public_key().bytes()), hex_encode(vector.public_key));
        const Signature signature = key->sign(vector.message);
        EXPECT_EQ(signature.to_hex(), hex_encode(vector.signature));

        auto public_key = PublicKey::from_bytes(vector.public_key);
        ASSERT_TRUE(public_key.has_value());
        auto parsed = Signature::from_bytes(vector.signature);
        ASSERT_TRUE(parsed.has_value());
        EXPECT_TRUE(public_key->verify(vector.message, *parsed));

        // A changed message, signature or key fails.
        Bytes message = vector.message;
        message.push_back(0);
        EXPECT_FALSE(public_key->verify(message, *parsed));
        for (size_t i : {size_t{0}, size_t{31}, size_t{32}, size_t{63}}) {
            Bytes bad = vector.signature;
            bad[i] ^= 0x01;
            EXPECT_FALSE(public_key->verify(vector.message, Signature::from_bytes(bad).value())) << i;
        }
        const auto other = SecretKey::from_seed(Bytes(32, 7)).value();
        EXPECT_FALSE(other.public_key().verify(vector.message, *parsed));
    }
}

TEST(Ed25519, RejectsMalformedPublicKeys) {
    EXPECT_EQ(PublicKey::from_bytes(Bytes(31, 1)).error(), KeyError::wrong_length);
    EXPECT_EQ(PublicKey::from_bytes(Bytes(33, 1)).error(), KeyError::wrong_length);
    // Identity, a point of small order, and a non-canonical y >= p.
    const std::string_view invalid[] = {
        "0100000000000000000000000000000000000000000000000000000000000000",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };
    for (auto text : invalid) EXPECT_EQ(PublicKey::from_bytes(hex_decode(text).value()).error(), KeyError::invalid_point) << text;
    EXPECT_EQ(PublicKey::from_base58("not base58 0OIl").error(), KeyError::invalid_encoding);
    EXPECT_EQ(Signature::from_bytes(Bytes(63, 0)).error(), KeyError::wrong_length);
    EXPECT_EQ(SecretKey::from_seed(Bytes(31, 0)).error(), KeyError::wrong_length);
}

TEST(Ed25519, RejectsMalleatedSignatures) {
    // S + L, the group order, is the same signature in another spelling: must not verify.
    const auto key = SecretKey::from_seed(Bytes(32, 9)).value();
    const Bytes message = to_bytes("fleek");
    const Signature signature = key.sign(message);
    ASSERT_TRUE(key.public_key().verify(message, signature));
    const uint8_t order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                               0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                               0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
    Bytes malleated(signature.bytes().begin(), signature.bytes().end());
    unsigned carry = 0;
    for (size_t i = 0; i < 32; ++i) {
        carry += malleated[32 + i] + order[i];
        malleated[32 + i] = static_cast<uint8_t>(carry);
        carry >>= 8;
    }
    EXPECT_FALSE(key.public_key().verify(message, Signature::from_bytes(malleated).value()));
}

TEST(Ed25519, GeneratedKeysSignAndRoundTripAsBase58) {
    const SecretKey a = SecretKey::generate();
    const SecretKey b = SecretKey::generate();
    EXPECT_NE(a.public_key(), b.public_key());
    const std::string text = a.public_key().to_base58();
    EXPECT_EQ(PublicKey::from_base58(text).value(), a.public_key());
    const Signature signature = a.sign(as_bytes("hello"));
    EXPECT_TRUE(a.public_key().verify(as_bytes("hello"), signature));
    EXPECT_FALSE(b.public_key().verify(as_bytes("hello"), signature));
    const SecretKey copy = a.clone();
    EXPECT_EQ(copy.public_key(), a.public_key());
    EXPECT_EQ(copy.sign(as_bytes("x")), a.sign(as_bytes("x")));  // Ed25519 is deterministic
}

}  // namespace
}  // namespace fleek::crypto::ed25519
