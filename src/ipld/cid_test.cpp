#include "ipld/cid.h"

#include "crypto/hash.h"
#include "ipld/murmur3.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::ipld {
namespace {

// content.md §5.2, produced with multiformats 14.0.5 and kubo's ipfs_cid.
constexpr std::string_view hello_raw = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4";
constexpr std::string_view hello_v0 = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";
constexpr std::string_view hello_v1 = "bafybeicg2rebjoofv4kbyovkw7af3rpiitvnl6i7ckcywaq6xjcxnc2mby";
constexpr std::string_view hello_blake3 = "bafkr4ig4ljhnxasawambeqcsymycobuw7ftxdjr3iusquxax2maa5artku";
constexpr std::string_view hello_blake3_z = "zb38SLoTKbWB4QCXs3PZBxSSRcxBP82qnp52Hh5P9L87eXpyA";

TEST(Cid, RawSha256OfHelloWorld) {
    const Cid cid = Cid::of(multicodec::raw, as_bytes("hello world\n"));
    EXPECT_EQ(cid.to_string(), hello_raw);
    EXPECT_EQ(hex_encode(cid.bytes()), "01551220a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
    EXPECT_EQ(cid.version(), 1u);
    EXPECT_EQ(cid.codec(), multicodec::raw);
    EXPECT_EQ(cid.hash_code(), multicodec::sha2_256);
    EXPECT_EQ(hex_encode(cid.multihash()), "1220a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
    const Cid parsed = Cid::parse(hello_raw).value();
    EXPECT_EQ(parsed, cid);
    EXPECT_TRUE(parsed.verify(as_bytes("hello world\n")));
    EXPECT_FALSE(parsed.verify(as_bytes("hello world!")));
}

TEST(Cid, Version0And1ConvertBothWays) {
    const Cid v0 = Cid::parse(hello_v0).value();
    EXPECT_EQ(v0.version(), 0u);
    EXPECT_EQ(v0.codec(), multicodec::dag_pb);
    EXPECT_EQ(v0.bytes().size(), 34u);
    EXPECT_EQ(v0.to_string(), hello_v0);
    const Cid v1 = v0.to_v1();
    EXPECT_EQ(v1.to_string(), hello_v1);
    EXPECT_EQ(v1.to_v0().value(), v0);
    EXPECT_EQ(Cid::parse(hello_v1).value(), v1);
    EXPECT_EQ(Cid::parse(hello_raw).value().to_v0().error(), CidError::not_convertible_to_v0);
    // The same multihash, so both name the same block.
    EXPECT_TRUE(std::ranges::equal(v0.multihash(), v1.multihash()));
}

TEST(Cid, Blake3CidDigestIsTheBlake3Hash) {
    const Cid cid = Cid::parse(hello_blake3).value();
    EXPECT_EQ(cid.hash_code(), multicodec::blake3);
    const auto blake3 = crypto::blake3(as_bytes("hello world\n"));
    EXPECT_TRUE(std::ranges::equal(cid.digest(), blake3));
    EXPECT_TRUE(cid.verify(as_bytes("hello world\n")));
    EXPECT_EQ(cid.to_string(Multibase::base58btc), hello_blake3_z);
    EXPECT_EQ(Cid::parse(hello_blake3_z).value(), cid);
    EXPECT_EQ(Cid::of(multicodec::raw, as_bytes("hello world\n"), multicodec::blake3), cid);
}

TEST(Cid, EveryMultibaseRoundTrips) {
    const Cid cid = Cid::parse(hello_v1).value();
    for (const auto base : {Multibase::base32, Multibase::base58btc, Multibase::base36, Multibase::base16}) {
        const std::string text = cid.to_string(base);
        EXPECT_EQ(Cid::parse(text).value(), cid) << text;
    }
    std::string upper = "B" + std::string(hello_v1.substr(1));
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(Cid::parse(upper).value(), cid);
    EXPECT_EQ(cid.to_string(Multibase::base36).front(), 'k');
    EXPECT_EQ(cid.to_string(Multibase::base16).substr(0, 9), "f01701220");
}

TEST(Cid, IdentityProbe) {
    // The trustless gateway probe CID: raw, identity multihash of nothing.
    const Cid cid = Cid::parse("bafkqaaa").value();
    EXPECT_EQ(hex_encode(cid.bytes()), "01550000");
    EXPECT_TRUE(cid.verify({}));
    EXPECT_FALSE(cid.verify(as_bytes("x")));
}

TEST(Cid, RejectsMalformedCids) {
    EXPECT_EQ(Cid::parse("").error(), CidError::empty);
    EXPECT_EQ(Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff50").error(), CidError::invalid_cidv0);  // '0' is not base58
    EXPECT_EQ(Cid::parse("xafkqaaa").error(), CidError::unsupported_multibase);
    EXPECT_EQ(Cid::parse("bafk!qaaa").error(), CidError::invalid_multibase);
    EXPECT_EQ(Cid::parse("f01551220ab").error(), CidError::truncated);
    EXPECT_EQ(Cid::parse("F01551220AB").error(), CidError::truncated);
    EXPECT_EQ(Cid::parse("f0155122Aab").error(), CidError::invalid_multibase);  // mixed case
    // An explicit version 0, a version 2, a v0 multihash behind a multibase prefix.
    EXPECT_EQ(Cid::from_bytes(Bytes{0x00, 0x55, 0x00, 0x00}).error(), CidError::unsupported_version);
    EXPECT_EQ(Cid::from_bytes(Bytes{0x02, 0x55, 0x00, 0x00}).error(), CidError::unsupported_version);
    const Cid v0 = Cid::parse(hello_v0).value();
    EXPECT_EQ(Cid::parse("z" + base58_encode(v0.bytes())).error(), CidError::unsupported_version);
    // sha2-256 digests are 32 bytes; non-minimal varints; trailing bytes; a digest past the end.
    EXPECT_EQ(Cid::from_bytes(Bytes{0x01, 0x55, 0x12, 0x01, 0xaa}).error(), CidError::wrong_digest_size);
    EXPECT_EQ(Cid::from_bytes(Bytes{0x01, 0xd5, 0x00, 0x00, 0x00}).error(), CidError::invalid_varint);
    EXPECT_EQ(Cid::from_bytes(Bytes{0x01, 0x55, 0x00, 0x00, 0x00}).error(), CidError::trailing_bytes);
    EXPECT_EQ(Cid::from_bytes(Bytes{0x01, 0x55, 0x00, 0x05, 0x00}).error(), CidError::truncated);
    EXPECT_EQ(Cid::from_bytes(Bytes{0x12, 0x20, 0x00}).error(), CidError::truncated);
    Bytes long_identity{0x01, 0x55, 0x00, 0x81, 0x01};
    long_identity.resize(long_identity.size() + 129, 0);
    EXPECT_EQ(Cid::from_bytes(long_identity).error(), CidError::digest_too_long);
}

TEST(Cid, UnknownHashFunctionsParseButNeverVerify) {
    // murmur3-x64-64 is not a content hash we compute; such a CID names a block we never accept.
    const Cid cid = Cid::v1(multicodec::raw, multicodec::murmur3_x64_64, Bytes(8, 1));
    EXPECT_FALSE(is_supported_hash(cid.hash_code()));
    EXPECT_FALSE(cid.verify(as_bytes("anything")));
    EXPECT_EQ(Cid::from_bytes(cid.bytes()).value(), cid);
}

TEST(Cid, Blake2b256AndSha512Verify) {
    const Bytes data = to_bytes("go-car uses blake2b-256");
    const Cid blake2b = Cid::of(multicodec::dag_cbor, data, multicodec::blake2b_256);
    EXPECT_EQ(hex_encode(blake2b.bytes()).substr(0, 10), "0171a0e402");
    EXPECT_TRUE(blake2b.verify(data));
    const Cid sha512 = Cid::of(multicodec::raw, data, multicodec::sha2_512);
    EXPECT_EQ(sha512.digest().size(), 64u);
    EXPECT_TRUE(sha512.verify(data));
}

TEST(Cid, ReadPrefixStopsAtTheEndOfTheCid) {
    const Cid cid = Cid::parse(hello_raw).value();
    Bytes bytes = cid.bytes();
    bytes.push_back(0xff);
    const auto prefixed = Cid::read_prefix(bytes).value();
    EXPECT_EQ(prefixed.cid, cid);
    EXPECT_EQ(prefixed.size, cid.bytes().size());
}

TEST(Murmur3, MatchesJavaScriptReferenceAndHamtBuckets) {
    // @multiformats/murmur3 2.2.8 murmur3128 output (h1 then h2, big-endian) of the same strings.
    const auto f299 = murmur3_x64_128(as_bytes("f299.txt"));
    EXPECT_EQ(f299.h1, 0x028ab4d2e97639e5ULL);
    EXPECT_EQ(f299.h2, 0x0d3783858a2aaf1fULL);
    const auto hello = murmur3_x64_128(as_bytes("hello"));
    EXPECT_EQ(hello.h1, 0xcbd8a7b341bd9b02ULL);
    EXPECT_EQ(hello.h2, 0x5b1e906a48ae1d19ULL);
    EXPECT_EQ(murmur3_x64_128({}).h1, 0u);
    EXPECT_EQ(hex_encode(hamt_hash(as_bytes("f088.txt"))), "03b76b7620711615");
    EXPECT_EQ(hex_encode(hamt_hash(as_bytes("f033.txt"))), "0881fbc4a762b2a1");
    // Exactly one block, one block and one tail byte, one block and a 15-byte tail.
    EXPECT_EQ(murmur3_x64_128(as_bytes("0123456789abcdef")).h1, 0x4be06d94cf4ad1a7ULL);
    EXPECT_EQ(murmur3_x64_128(as_bytes("abcdefghijklmnopq")).h1, 0x7564747f88bda657ULL);
    const auto long_tail = murmur3_x64_128(as_bytes("abcdefghijklmnopqrstuvwxyz01234"));
    EXPECT_EQ(long_tail.h1, 0x4bf06228635658a8ULL);
    EXPECT_EQ(long_tail.h2, 0xbedbd26090f9ef7aULL);
}

TEST(CidError, EveryErrorHasAMessage) {
    for (int e = 0; e <= static_cast<int>(CidError::not_convertible_to_v0); ++e) {
        EXPECT_NE(to_string(static_cast<CidError>(e)), "unknown CID error");
    }
    EXPECT_EQ(multicodec_name(0x70), "dag-pb");
    EXPECT_EQ(multicodec_name(0x1234), "0x1234");
}

}  // namespace
}  // namespace fleek::ipld
