#include "crypto/hash.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <random>

namespace fleek::crypto {
namespace {

using testing::read_text;
using testing::source_path;

constexpr std::string_view blake3_vectors_sha256 = "dcb91ea8accc77e6d6e632af7cdc1a99a9f3ae78cf648da595c7d064db32f624";

struct Blake3Vectors {
    nlohmann::json json;
    std::string key;
    std::string context;
};

const Blake3Vectors& blake3_vectors() {
    static const Blake3Vectors vectors = [] {
        const std::string text = read_text(source_path("tests/vectors/blake3/test_vectors.json"));
        Blake3Vectors loaded{nlohmann::json::parse(text), "", ""};
        loaded.key = loaded.json.at("key").get<std::string>();
        loaded.context = loaded.json.at("context_string").get<std::string>();
        return loaded;
    }();
    return vectors;
}

Bytes pattern_input(size_t size) {
    Bytes input(size);
    for (size_t i = 0; i < size; ++i) input[i] = static_cast<uint8_t>(i % 251);
    return input;
}

std::string extended(const Blake3Hasher& hasher, size_t size) {
    Bytes out(size);
    hasher.finalize_xof(out);
    return hex_encode(out);
}

TEST(Blake3, VectorFileIsUnchanged) {
    EXPECT_EQ(testing::sha256_hex(read_text(source_path("tests/vectors/blake3/test_vectors.json"))),
              blake3_vectors_sha256);
}

TEST(Blake3, OfficialVectorsAllModesAllLengths) {
    const auto& vectors = blake3_vectors();
    ASSERT_EQ(vectors.key.size(), 32u);
    const auto key = std::span<const uint8_t, 32>(as_bytes(vectors.key).data(), 32);
    size_t cases = 0;
    for (const auto& vector : vectors.json.at("cases")) {
        const size_t size = vector.at("input_len").get<size_t>();
        const std::string hash = vector.at("hash").get<std::string>();
        const std::string keyed_hash = vector.at("keyed_hash").get<std::string>();
        const std::string derive_key = vector.at("derive_key").get<std::string>();
        const Bytes input = pattern_input(size);
        const size_t out_size = hash.size() / 2;

        // Extended output of every mode.
        EXPECT_EQ(extended(Blake3Hasher().update(input), out_size), hash) << size;
        EXPECT_EQ(extended(Blake3Hasher::keyed(key).update(input), out_size), keyed_hash) << size;
        EXPECT_EQ(extended(Blake3Hasher::derive_key(vectors.context).update(input), out_size), derive_key) << size;

        // The 32-byte forms are prefixes of the extended output.
        EXPECT_EQ(hex_encode(blake3(input)), hash.substr(0, 64)) << size;
        EXPECT_EQ(hex_encode(blake3_keyed(key, input)), keyed_hash.substr(0, 64)) << size;
        EXPECT_EQ(hex_encode(blake3_derive_key(vectors.context, input)), derive_key.substr(0, 64)) << size;

        // Seeking into the output stream gives the matching slice.
        Bytes tail(out_size - 40);
        Blake3Hasher().update(input).finalize_xof(tail, 40);
        EXPECT_EQ(hex_encode(tail), hash.substr(80)) << size;
        ++cases;
    }
    EXPECT_EQ(cases, 35u);
}

TEST(Blake3, ComparisonDetectsAOneByteChange) {
    // The vector check above must be able to fail. The same comparison that accepts the
    // official hash of this input (so a wrong hasher fails here too) rejects the hash with one
    // digit changed, and one flipped input byte changes the hash.
    const auto& vector = blake3_vectors().json.at("cases").at(5);
    const std::string official = vector.at("hash").get<std::string>().substr(0, 64);
    const Bytes input = pattern_input(vector.at("input_len").get<size_t>());
    ASSERT_FALSE(input.empty());
    const std::string computed = hex_encode(blake3(input));
    EXPECT_EQ(computed, official);
    std::string changed = official;
    changed[10] = changed[10] == '0' ? '1' : '0';
    EXPECT_NE(computed, changed);
    Bytes flipped = input;
    flipped[flipped.size() / 2] ^= 0x01;
    EXPECT_NE(hex_encode(blake3(flipped)), official);
}

TEST(Blake3, IncrementalUpdatesMatchOneShot) {
    std::mt19937 rng(3);
    const Bytes input = pattern_input(102400);
    const Hash32 expected = blake3(input);
    for (int round = 0; round < 20; ++round) {
        Blake3Hasher hasher;
        size_t offset = 0;
        while (offset < input.size()) {
            const size_t step = std::min<size_t>(input.size() - offset, 1 + rng() % 5000);
            hasher.update(ByteSpan(input).subspan(offset, step));
            offset += step;
        }
        EXPECT_EQ(hasher.finalize(), expected);
        hasher.reset();
        EXPECT_EQ(hasher.finalize(), blake3({}));
    }
}

TEST(Blake3, MatchesB3sum) {
    testing::ScratchDirectory dir;
    for (size_t size : {size_t{0}, size_t{1}, size_t{1024}, size_t{1025}, size_t{262145}}) {
        const Bytes input = pattern_input(size);
        const auto path = dir / ("input-" + std::to_string(size));
        testing::write_text(path, as_string_view(input));
        const std::string command = "b3sum --no-names " + path.string();
        FILE* pipe = ::popen(command.c_str(), "r");
        ASSERT_NE(pipe, nullptr);
        char line[128] = {};
        ASSERT_NE(std::fgets(line, sizeof(line), pipe), nullptr) << "is b3sum installed? run scripts/setup-deps";
        ASSERT_EQ(::pclose(pipe), 0);
        EXPECT_EQ(std::string(line).substr(0, 64), hex_encode(blake3(input))) << size;
    }
}

TEST(Sha256, NistVectors) {
    EXPECT_EQ(hex_encode(sha256(as_bytes(""))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex_encode(sha256(as_bytes("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(hex_encode(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha2, Sha384AndSha512NistVectors) {
    EXPECT_EQ(hex_encode(sha384(as_bytes("abc"))),
              "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    EXPECT_EQ(hex_encode(sha512(as_bytes("abc"))),
              "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Sha2, IncrementalEqualsOneShot) {
    const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    for (const auto variant : {Sha2Variant::sha256, Sha2Variant::sha384, Sha2Variant::sha512}) {
        Sha2Hasher hasher(variant);
        for (size_t i = 0; i < text.size(); i += 7) hasher.update(as_bytes(std::string_view(text).substr(i, 7)));
        const Bytes digest = hasher.finalize();
        ASSERT_EQ(digest.size(), Sha2Hasher::digest_size(variant));
        switch (variant) {
            case Sha2Variant::sha256: EXPECT_EQ(hex_encode(digest), hex_encode(sha256(as_bytes(text)))); break;
            case Sha2Variant::sha384: EXPECT_EQ(hex_encode(digest), hex_encode(sha384(as_bytes(text)))); break;
            case Sha2Variant::sha512: EXPECT_EQ(hex_encode(digest), hex_encode(sha512(as_bytes(text)))); break;
        }
    }
}

TEST(Blake2b256, Rfc7693Vectors) {
    EXPECT_EQ(hex_encode(blake2b_256(as_bytes(""))), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    EXPECT_EQ(hex_encode(blake2b_256(as_bytes("abc"))), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(Keccak256, EthereumVectors) {
    EXPECT_EQ(hex_encode(keccak256(as_bytes(""))), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    EXPECT_EQ(hex_encode(keccak256(as_bytes("abc"))), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    // Not SHA3-256, whose digest of "" is a7ffc6f8...434a.
    EXPECT_NE(hex_encode(keccak256(as_bytes(""))).substr(0, 8), "a7ffc6f8");
}

TEST(ObjectDigest, IsDomainSeparatedDeriveKey) {
    const Bytes encoding = {1, 2, 3};
    EXPECT_EQ(object_digest("transaction", encoding), blake3_derive_key("fleek-network transaction v1", encoding));
    EXPECT_NE(object_digest("transaction", encoding), object_digest("block", encoding));
    EXPECT_NE(object_digest("transaction", encoding), blake3(encoding));
}

}  // namespace
}  // namespace fleek::crypto
