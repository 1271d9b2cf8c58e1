#include "crypto/bls.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <blst_aux.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

namespace fleek::crypto::bls {
namespace {

using testing::read_text;

std::filesystem::path vectors_dir() { return FLEEK_BLST_VECTORS_DIR; }

const std::map<std::string, std::string> vector_file_sha256 = {
    {"BLS12381G1_XMD_SHA-256_SSWU_NU_.json", "1931b45a08985cb0f5dd277266b9a1468df34948c65b068d9bcfde396310dfc1"},
    {"BLS12381G1_XMD_SHA-256_SSWU_RO_.json", "9ed93f6ae3e5d3e2ef48d7f3a954ac4ccc0702f693e62b2f48798348618ef6cc"},
    {"BLS12381G2_XMD_SHA-256_SSWU_NU_.json", "d0c4807b8ddda91dc83d3cd3cc4064709975a15ebd88eee7ba214269a49cb61b"},
    {"BLS12381G2_XMD_SHA-256_SSWU_RO_.json", "7ff2010d99cd886ab8e951ae1ed657b57e6b95fe6029fa4a0f519ea5ca29f126"},
    {"expand_message_xmd_SHA256_256.json", "80091f7b5a512629b2e0be984f7d292e6fffe1bf988f67a046bc46d37e953259"},
    {"expand_message_xmd_SHA256_38.json", "3b25eccae95ec06a261ea6cedc81520236e74823cfcbe0afe8c02bdf2983f63b"},
};

nlohmann::json load_vectors(const std::string& name) {
    return nlohmann::json::parse(read_text(vectors_dir() / name));
}

// "0x..." field element(s) of a vector, as the big-endian bytes blst serializes. G2 coordinates
// are "c0,c1" in the vectors and c1 || c0 in the serialization.
std::string coordinate_hex(const std::string& text) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1) {
        parts.push_back(text.substr(start, comma - start));
    }
    parts.push_back(text.substr(start));
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += std::string(strip_0x(*it));
    return out;
}

TEST(BlsVectors, FilesAreUnchanged) {
    for (const auto& [name, digest] : vector_file_sha256) {
        EXPECT_EQ(testing::sha256_hex(read_text(vectors_dir() / name)), digest) << name;
    }
}

// Hashes or encodes each vector's message to the group and compares the uncompressed point.
template <class Point, size_t SerializedSize>
void check_curve_vectors(const std::string& file,
                         void (*map_to_group)(Point*, const byte*, size_t, const byte*, size_t, const byte*, size_t),
                         void (*serialize)(byte*, const Point*)) {
    const auto json = load_vectors(file);
    const std::string dst = json.at("dst").get<std::string>();
    size_t count = 0;
    for (const auto& vector : json.at("vectors")) {
        const std::string message = vector.at("msg").get<std::string>();
        Point point;
        map_to_group(&point, reinterpret_cast<const byte*>(message.data()), message.size(),
                     reinterpret_cast<const byte*>(dst.data()), dst.size(), nullptr, 0);
        byte serialized[SerializedSize];
        serialize(serialized, &point);
        const std::string expected =
            coordinate_hex(vector.at("P").at("x").get<std::string>()) + coordinate_hex(vector.at("P").at("y").get<std::string>());
        EXPECT_EQ(hex_encode(ByteSpan(serialized, sizeof(serialized))), expected) << file << " msg=" << message;
        ++count;
    }
    EXPECT_EQ(count, 5u) << file;
}

TEST(BlsVectors, HashToG1) {
    check_curve_vectors<blst_p1, 96>("BLS12381G1_XMD_SHA-256_SSWU_RO_.json", blst_hash_to_g1, blst_p1_serialize);
}
TEST(BlsVectors, EncodeToG1) {
    check_curve_vectors<blst_p1, 96>("BLS12381G1_XMD_SHA-256_SSWU_NU_.json", blst_encode_to_g1, blst_p1_serialize);
}
TEST(BlsVectors, HashToG2) {
    check_curve_vectors<blst_p2, 192>("BLS12381G2_XMD_SHA-256_SSWU_RO_.json", blst_hash_to_g2, blst_p2_serialize);
}
TEST(BlsVectors, EncodeToG2) {
    check_curve_vectors<blst_p2, 192>("BLS12381G2_XMD_SHA-256_SSWU_NU_.json", blst_encode_to_g2, blst_p2_serialize);
}

TEST(BlsVectors, ExpandMessageXmd) {
    size_t count = 0;
    for (const std::string file : {"expand_message_xmd_SHA256_256.json", "expand_message_xmd_SHA256_38.json"}) {
        const auto json = load_vectors(file);
        const std::string dst = json.at("DST").get<std::string>();
        for (const auto& vector : json.at("tests")) {
            const std::string message = vector.at("msg").get<std::string>();
            const size_t size = std::stoul(vector.at("len_in_bytes").get<std::string>(), nullptr, 16);
            Bytes out(size);
            blst_expand_message_xmd(out.data(), out.size(), reinterpret_cast<const byte*>(message.data()),
                                    message.size(), reinterpret_cast<const byte*>(dst.data()), dst.size());
            EXPECT_EQ(hex_encode(out), vector.at("uniform_bytes").get<std::string>()) << file << " msg=" << message;
            ++count;
        }
    }
    EXPECT_GE(count, 10u);
}

SecretKey key_from(uint8_t fill) { return SecretKey::from_seed(Bytes(32, fill)).value(); }

TEST(Bls, SignAndVerify) {
    const SecretKey key = key_from(1);
    const Bytes message = to_bytes("block 42");
    const Signature signature = key.sign(message);
    EXPECT_TRUE(key.public_key().verify(message, signature));
    EXPECT_FALSE(key.public_key().verify(to_bytes("block 43"), signature));
    EXPECT_FALSE(key_from(2).public_key().verify(message, signature));
    // Deterministic: the same key and message give the same signature.
    EXPECT_EQ(key.sign(message), signature);
}

TEST(Bls, KeyDerivationIsDeterministicAndSeedChecked) {
    EXPECT_EQ(key_from(5).public_key(), key_from(5).public_key());
    EXPECT_NE(key_from(5).public_key(), key_from(6).public_key());
    EXPECT_EQ(SecretKey::from_seed(Bytes(31, 1)).error(), KeyError::seed_too_short);
    EXPECT_NE(SecretKey::generate().public_key(), SecretKey::generate().public_key());
}

TEST(Bls, SecretKeyBytesRoundTrip) {
    const SecretKey key = key_from(3);
    const auto bytes = key.to_bytes();
    const SecretKey again = SecretKey::from_bytes(bytes.view()).value();
    EXPECT_EQ(again.public_key(), key.public_key());
    EXPECT_EQ(SecretKey::from_bytes(Bytes(32, 0)).error(), KeyError::invalid_scalar);
    EXPECT_EQ(SecretKey::from_bytes(Bytes(32, 0xff)).error(), KeyError::invalid_scalar);  // >= group order
    EXPECT_EQ(SecretKey::from_bytes(Bytes(31, 1)).error(), KeyError::wrong_length);
    EXPECT_EQ(key.clone().public_key(), key.public_key());
}

TEST(Bls, EncodingsRoundTrip) {
    const SecretKey key = key_from(4);
    const Signature signature = key.sign(as_bytes("m"));
    EXPECT_EQ(key.public_key().bytes().size(), 96u);
    EXPECT_EQ(signature.bytes().size(), 48u);
    EXPECT_EQ(PublicKey::from_bytes(key.public_key().bytes()).value(), key.public_key());
    EXPECT_EQ(PublicKey::from_base58(key.public_key().to_base58()).value(), key.public_key());
    EXPECT_EQ(Signature::from_bytes(signature.bytes()).value(), signature);
}

TEST(Bls, RejectsMalformedPoints) {
    EXPECT_EQ(PublicKey::from_bytes(Bytes(95, 0)).error(), KeyError::wrong_length);
    EXPECT_EQ(Signature::from_bytes(Bytes(49, 0)).error(), KeyError::wrong_length);
    // The identity (compressed, infinity flag) is not a usable key or signature.
    Bytes infinity_g1(48, 0);
    infinity_g1[0] = 0xc0;
    EXPECT_EQ(Signature::from_bytes(infinity_g1).error(), KeyError::invalid_point);
    Bytes infinity_g2(96, 0);
    infinity_g2[0] = 0xc0;
    EXPECT_EQ(PublicKey::from_bytes(infinity_g2).error(), KeyError::invalid_point);
    // Without the compression flag, or with x >= p, nothing decodes.
    Bytes uncompressed_flag(48, 0x11);
    EXPECT_EQ(Signature::from_bytes(uncompressed_flag).error(), KeyError::invalid_point);
    Bytes too_large(48, 0xff);
    too_large[0] = 0x9f;
    EXPECT_EQ(Signature::from_bytes(too_large).error(), KeyError::invalid_point);
    EXPECT_EQ(PublicKey::from_base58("3yZe7d").error(), KeyError::wrong_length);
    EXPECT_EQ(PublicKey::from_base58("0").error(), KeyError::invalid_encoding);
}

TEST(Bls, RejectsCurvePointsOutsideTheSubgroup) {
    // Small x coordinates give points of the curve; almost all of them lie outside the prime-order
    // subgroup (the cofactor is large). Each one that decodes must still be refused.
    size_t found_g1 = 0;
    for (uint8_t x = 1; x < 64 && found_g1 < 3; ++x) {
        Bytes bytes(48, 0);
        bytes[0] = 0x80;
        bytes[47] = x;
        blst_p1_affine point;
        if (blst_p1_uncompress(&point, bytes.data()) != BLST_SUCCESS || blst_p1_affine_in_g1(&point)) continue;
        EXPECT_EQ(Signature::from_bytes(bytes).error(), KeyError::invalid_point);
        ++found_g1;
    }
    EXPECT_EQ(found_g1, 3u);
    size_t found_g2 = 0;
    for (uint8_t x = 1; x < 64 && found_g2 < 3; ++x) {
        Bytes bytes(96, 0);
        bytes[0] = 0x80;
        bytes[95] = x;
        blst_p2_affine point;
        if (blst_p2_uncompress(&point, bytes.data()) != BLST_SUCCESS || blst_p2_affine_in_g2(&point)) continue;
        EXPECT_EQ(PublicKey::from_bytes(bytes).error(), KeyError::invalid_point);
        ++found_g2;
    }
    EXPECT_EQ(found_g2, 3u);
}

TEST(Bls, ProofOfPossession) {
    const SecretKey key = key_from(7);
    const Signature proof = key.prove_possession();
    EXPECT_TRUE(key.public_key().verify_possession(proof));
    EXPECT_FALSE(key_from(8).public_key().verify_possession(proof));
    EXPECT_FALSE(key.public_key().verify_possession(key_from(8).prove_possession()));
    // Domain separation: a signature over the key bytes is not a proof, and a proof is not a
    // signature over the key bytes.
    EXPECT_FALSE(key.public_key().verify_possession(key.sign(key.public_key().bytes())));
    EXPECT_FALSE(key.public_key().verify(key.public_key().bytes(), proof));
}

TEST(Bls, FastAggregateVerifyOfOneHundredSigners) {
    std::vector<SecretKey> keys;
    std::vector<PublicKey> public_keys;
    std::vector<Signature> signatures;
    const Bytes message = to_bytes("certificate digest");
    for (int i = 0; i < 100; ++i) {
        keys.push_back(SecretKey::from_seed(Bytes(32, static_cast<uint8_t>(i))).value());
        public_keys.push_back(keys.back().public_key());
        signatures.push_back(keys.back().sign(message));
    }
    const Signature aggregate = aggregate_signatures(signatures).value();
    EXPECT_TRUE(fast_aggregate_verify(public_keys, message, aggregate));
    EXPECT_FALSE(fast_aggregate_verify(public_keys, to_bytes("other"), aggregate));
    // One signer missing from the keys, or from the signature.
    EXPECT_FALSE(fast_aggregate_verify(std::span(public_keys).first(99), message, aggregate));
    EXPECT_FALSE(fast_aggregate_verify(public_keys, message,
                                       aggregate_signatures(std::span(signatures).first(99)).value()));
    // The aggregate public key verifies the aggregate signature directly.
    EXPECT_TRUE(aggregate_public_keys(public_keys).value().verify(message, aggregate));
    EXPECT_FALSE(fast_aggregate_verify({}, message, aggregate));
}

TEST(Bls, AggregateVerifyOfDistinctMessages) {
    std::vector<PublicKey> public_keys;
    std::vector<Bytes> messages;
    std::vector<Signature> signatures;
    for (int i = 0; i < 10; ++i) {
        const SecretKey key = SecretKey::from_seed(Bytes(32, static_cast<uint8_t>(100 + i))).value();
        messages.push_back(to_bytes("vote " + std::to_string(i)));
        public_keys.push_back(key.public_key());
        signatures.push_back(key.sign(messages.back()));
    }
    std::vector<ByteSpan> views(messages.begin(), messages.end());
    const Signature aggregate = aggregate_signatures(signatures).value();
    EXPECT_TRUE(aggregate_verify(public_keys, views, aggregate));
    std::swap(views[0], views[1]);
    EXPECT_FALSE(aggregate_verify(public_keys, views, aggregate));
    std::swap(views[0], views[1]);
    EXPECT_FALSE(aggregate_verify(public_keys, std::span(views).first(9), aggregate));
    EXPECT_FALSE(aggregate_verify(std::span(public_keys).first(9), std::span(views).first(9), aggregate));
}

TEST(Bls, AggregatingNothingFails) {
    EXPECT_EQ(aggregate_signatures({}).error(), KeyError::empty);
    EXPECT_EQ(aggregate_public_keys({}).error(), KeyError::empty);
}

}  // namespace
}  // namespace fleek::crypto::bls
