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

// Known answers for OUR wrapper (keys, signatures, proofs of possession, aggregates), computed
// by @noble/curves, an implementation independent of blst (tests/vectors/bls/generate.mjs).
// The RFC 9380 vectors above only exercise blst's hashing directly.
constexpr std::string_view min_sig_vectors_sha256 = "34126ec6ef6f8a5f4f60a584b8f9f7509ca657cb988f3292a763f4fce80d54bf";

nlohmann::json min_sig_vectors() {
    const std::string text = read_text(testing::source_path("tests/vectors/bls/min_sig_pop.json"));
    EXPECT_EQ(testing::sha256_hex(text), min_sig_vectors_sha256);
    return nlohmann::json::parse(text);
}

Bytes unhex(const nlohmann::json& value) { return hex_decode(value.get<std::string>()).value(); }

TEST(BlsKnownAnswers, KeysSignaturesAndProofsMatchAnIndependentImplementation) {
    const auto vectors = min_sig_vectors();
    ASSERT_EQ(vectors.at("signature_dst").get<std::string>(), signature_dst);
    ASSERT_EQ(vectors.at("possession_dst").get<std::string>(), possession_dst);
    size_t signatures = 0;
    for (const auto& vector : vectors.at("keys")) {
        const SecretKey key = SecretKey::from_bytes(unhex(vector.at("secret_key"))).value();
        EXPECT_EQ(hex_encode(key.public_key().bytes()), vector.at("public_key").get<std::string>());
        EXPECT_EQ(key.prove_possession().to_hex(), vector.at("proof_of_possession").get<std::string>());
        const PublicKey public_key = PublicKey::from_bytes(unhex(vector.at("public_key"))).value();
        EXPECT_TRUE(public_key.verify_possession(Signature::from_bytes(unhex(vector.at("proof_of_possession"))).value()));
        for (const auto& item : vector.at("signatures")) {
            const Bytes message = unhex(item.at("message"));
            const Signature expected = Signature::from_bytes(unhex(item.at("signature"))).value();
            EXPECT_EQ(key.sign(message).to_hex(), item.at("signature").get<std::string>());
            EXPECT_TRUE(public_key.verify(message, expected));
            Bytes other = message;
            other.push_back(0);
            EXPECT_FALSE(public_key.verify(other, expected));
            // A signature is not a proof of possession, nor the reverse: the DSTs differ.
            EXPECT_FALSE(public_key.verify_possession(expected));
            ++signatures;
        }
    }
    EXPECT_EQ(signatures, 16u);
}

TEST(BlsKnownAnswers, AggregatesMatchAnIndependentImplementation) {
    const auto vectors = min_sig_vectors();
    std::vector<PublicKey> keys;
    for (const auto& vector : vectors.at("keys")) keys.push_back(PublicKey::from_bytes(unhex(vector.at("public_key"))).value());
    ASSERT_EQ(keys.size(), 4u);

    const auto& fast = vectors.at("fast_aggregate");
    const Bytes message = unhex(fast.at("message"));
    std::vector<Signature> same;
    for (const auto& vector : vectors.at("keys")) same.push_back(Signature::from_bytes(unhex(vector.at("signatures").at(3).at("signature"))).value());
    EXPECT_EQ(hex_encode(aggregate_public_keys(keys).value().bytes()), fast.at("aggregate_public_key").get<std::string>());
    const Signature fast_signature = aggregate_signatures(same).value();
    EXPECT_EQ(fast_signature.to_hex(), fast.at("aggregate_signature").get<std::string>());
    EXPECT_TRUE(fast_aggregate_verify(keys, message, Signature::from_bytes(unhex(fast.at("aggregate_signature"))).value()));
    EXPECT_FALSE(fast_aggregate_verify(std::span(keys).first(3), message, fast_signature));

    const auto& distinct = vectors.at("aggregate");
    std::vector<Bytes> messages;
    std::vector<Signature> each;
    for (size_t i = 0; i < keys.size(); ++i) {
        messages.push_back(unhex(distinct.at("messages").at(i)));
        each.push_back(Signature::from_bytes(unhex(vectors.at("keys").at(i).at("signatures").at(i).at("signature"))).value());
    }
    std::vector<ByteSpan> views(messages.begin(), messages.end());
    const Signature aggregate = aggregate_signatures(each).value();
    EXPECT_EQ(aggregate.to_hex(), distinct.at("aggregate_signature").get<std::string>());
    EXPECT_TRUE(aggregate_verify(keys, views, Signature::from_bytes(unhex(distinct.at("aggregate_signature"))).value()));
    std::swap(views[0], views[1]);
    EXPECT_FALSE(aggregate_verify(keys, views, aggregate));
}

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
