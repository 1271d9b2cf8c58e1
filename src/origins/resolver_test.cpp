#include "origins/resolver.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::origins {
namespace {

using testing::ScratchDirectory;

Hash32 filled(uint8_t value) {
    Hash32 hash{};
    hash.fill(value);
    return hash;
}

TEST(Resolver, StoresAndReloadsRecords) {
    ScratchDirectory scratch;
    const ipld::Cid v0 = ipld::Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").value();
    const ipld::Cid raw = ipld::Cid::of(ipld::multicodec::raw, as_bytes("hello world\n"));
    const IpfsRecord file{ResolvedKind::file, filled(1), 12, filled(2)};
    const BlockLocation location{filled(2), 59, 12};
    {
        auto resolver = Resolver::open(scratch / "resolver").value();
        Resolver::IpfsBatch batch;
        batch.records.emplace_back(v0, file);
        batch.blocks.emplace_back(Bytes(raw.multihash().begin(), raw.multihash().end()), location);
        ASSERT_TRUE(resolver->put_ipfs(batch).has_value());
        ASSERT_TRUE(resolver->put_http("https://example.com/a#integrity=sha256-x", HttpRecord{filled(3), 7}).has_value());
        // A v0 CID and its v1 form are one key.
        EXPECT_EQ(resolver->ipfs(v0.to_v1()).value(), file);
        EXPECT_FALSE(resolver->ipfs(raw).value().has_value());
    }
    auto resolver = Resolver::open(scratch / "resolver").value();
    EXPECT_EQ(resolver->ipfs(v0).value(), file);
    EXPECT_EQ(resolver->block(raw.multihash()).value(), location);
    // Blocks are found by multihash, whatever the codec of the CID asking.
    const ipld::Cid same_hash_dag_pb = ipld::Cid::v1(ipld::multicodec::dag_pb, ipld::multicodec::sha2_256, raw.digest());
    EXPECT_EQ(resolver->block(same_hash_dag_pb.multihash()).value(), location);
    EXPECT_EQ(resolver->http("https://example.com/a#integrity=sha256-x").value(), (HttpRecord{filled(3), 7}));
    EXPECT_FALSE(resolver->http("https://example.com/a").value().has_value());
    const auto counts = resolver->count();
    EXPECT_EQ(counts.ipfs, 1u);
    EXPECT_EQ(counts.blocks, 1u);
    EXPECT_EQ(counts.http, 1u);
    ASSERT_TRUE(resolver->remove_blocks({Bytes(raw.multihash().begin(), raw.multihash().end())}).has_value());
    EXPECT_FALSE(resolver->block(raw.multihash()).value().has_value());
}

TEST(Resolver, RecordEncodingsAreCanonical) {
    const IpfsRecord record{ResolvedKind::directory, filled(0xaa), 3, filled(0xbb)};
    const Bytes encoded = encode_ipfs_record(record);
    EXPECT_EQ(encoded.size(), 1 + 1 + 32 + 8 + 32u);
    EXPECT_EQ(encoded[0], 1);  // version
    EXPECT_EQ(encoded[1], 1);  // kind: directory
    EXPECT_EQ(decode_ipfs_record(encoded).value(), record);
    Bytes trailing = encoded;
    trailing.push_back(0);
    EXPECT_FALSE(decode_ipfs_record(trailing).has_value());
    Bytes bad_kind = encoded;
    bad_kind[1] = 3;
    EXPECT_FALSE(decode_ipfs_record(bad_kind).has_value());
    Bytes bad_version = encoded;
    bad_version[0] = 2;
    EXPECT_FALSE(decode_ipfs_record(bad_version).has_value());
    const BlockLocation location{filled(1), 1ull << 40, 1u << 20};
    EXPECT_EQ(decode_block_location(encode_block_location(location)).value(), location);
    EXPECT_EQ(encode_block_location(location).size(), 1 + 32 + 8 + 4u);
    const HttpRecord http{filled(9), 42};
    EXPECT_EQ(decode_http_record(encode_http_record(http)).value(), http);
    EXPECT_FALSE(decode_http_record(Bytes{1, 2, 3}).has_value());
}

TEST(Resolver, GoldenEncodings) {
    // docs/formats/ipfs-resolver.md
    EXPECT_EQ(hex_encode(encode_ipfs_record({ResolvedKind::directory, filled(0xaa), 3, filled(0xbb)})),
              "0101" + std::string(64, 'a') + "0300000000000000" + std::string(64, 'b'));
    EXPECT_EQ(hex_encode(encode_block_location({filled(0xbb), 59, 12})), "01" + std::string(64, 'b') + "3b000000000000000c000000");
    EXPECT_EQ(hex_encode(encode_http_record({filled(0xcc), 12})), "01" + std::string(64, 'c') + "0c00000000000000");
}

TEST(Resolver, OpenFailsWithAClearMessage) {
    ScratchDirectory scratch;
    testing::write_text(scratch / "file", "not a directory");
    auto resolver = Resolver::open(scratch / "file" / "resolver");
    ASSERT_FALSE(resolver.has_value());
    EXPECT_NE(resolver.error().find("resolver"), std::string::npos);
}

}  // namespace
}  // namespace fleek::origins
