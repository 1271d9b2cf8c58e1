#include "origins/resolver.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>

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
    EXPECT_EQ(resolver->block_locations(raw.multihash()).value(), std::vector<BlockLocation>{location});
    // Blocks are found by multihash, whatever the codec of the CID asking.
    const ipld::Cid same_hash_dag_pb = ipld::Cid::v1(ipld::multicodec::dag_pb, ipld::multicodec::sha2_256, raw.digest());
    EXPECT_EQ(resolver->block_locations(same_hash_dag_pb.multihash()).value(), std::vector<BlockLocation>{location});
    EXPECT_EQ(resolver->http("https://example.com/a#integrity=sha256-x").value(), (HttpRecord{filled(3), 7}));
    EXPECT_FALSE(resolver->http("https://example.com/a").value().has_value());
    const auto counts = resolver->count();
    EXPECT_EQ(counts.ipfs, 1u);
    EXPECT_EQ(counts.blocks, 1u);
    EXPECT_EQ(counts.car_blocks, 1u);
    EXPECT_EQ(counts.http, 1u);
    EXPECT_EQ(resolver->forget_car(filled(2)).value(), 1u);
    EXPECT_TRUE(resolver->block_locations(raw.multihash()).value().empty());
    // The record stays (its content may still be held); the block index is empty.
    EXPECT_EQ(resolver->ipfs(v0).value(), file);
    EXPECT_EQ(resolver->count().blocks + resolver->count().car_blocks, 0u);
}

// A block held in two CARs is found in both; forgetting one CAR (evicted) removes every block
// location inside it, and only those.
TEST(Resolver, ForgettingACarRemovesAllItsBlocksAndOnlyThose) {
    ScratchDirectory scratch;
    auto resolver = Resolver::open(scratch / "resolver").value();
    const auto multihash = [](std::string_view text) {
        const ipld::Cid cid = ipld::Cid::of(ipld::multicodec::raw, as_bytes(text));
        return Bytes(cid.multihash().begin(), cid.multihash().end());
    };
    const Bytes shared = multihash("shared");
    const Bytes only_a = multihash("only in a");
    const Bytes only_b = multihash("only in b");
    Resolver::IpfsBatch a;
    a.blocks = {{shared, {filled(0xa0), 100, 6}}, {only_a, {filled(0xa0), 200, 9}}};
    Resolver::IpfsBatch b;
    b.blocks = {{shared, {filled(0xb0), 50, 6}}, {only_b, {filled(0xb0), 80, 9}}};
    ASSERT_TRUE(resolver->put_ipfs(a).has_value());
    ASSERT_TRUE(resolver->put_ipfs(b).has_value());
    EXPECT_EQ(resolver->block_locations(shared).value(),
              (std::vector<BlockLocation>{{filled(0xa0), 100, 6}, {filled(0xb0), 50, 6}}));
    EXPECT_EQ(resolver->count().blocks, 4u);
    EXPECT_EQ(resolver->forget_car(filled(0xa0)).value(), 2u);
    EXPECT_EQ(resolver->block_locations(shared).value(), (std::vector<BlockLocation>{{filled(0xb0), 50, 6}}));
    EXPECT_TRUE(resolver->block_locations(only_a).value().empty());
    EXPECT_EQ(resolver->block_locations(only_b).value().size(), 1u);
    EXPECT_EQ(resolver->forget_car(filled(0xa0)).value(), 0u);  // already forgotten
    EXPECT_EQ(resolver->count().blocks, 2u);
    EXPECT_EQ(resolver->count().car_blocks, 2u);
}

// A database written with the single `blocks` family (multihash -> location) opens, its block
// locations converted, the old family gone.
TEST(Resolver, ConvertsTheOldBlockIndex) {
    ScratchDirectory scratch;
    const ipld::Cid raw = ipld::Cid::of(ipld::multicodec::raw, as_bytes("old"));
    const BlockLocation location{filled(7), 59, 3};
    {
        rocksdb::DBOptions options;
        options.create_if_missing = true;
        options.create_missing_column_families = true;
        const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
            {rocksdb::kDefaultColumnFamilyName, {}}, {"ipfs", {}}, {"blocks", {}}, {"http", {}}};
        std::vector<rocksdb::ColumnFamilyHandle*> handles;
        rocksdb::DB* raw_db = nullptr;
        ASSERT_TRUE(rocksdb::DB::Open(options, (scratch / "resolver").string(), families, &handles, &raw_db).ok());
        std::unique_ptr<rocksdb::DB> db(raw_db);
        const Bytes value = encode_block_location(location);
        ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[2], rocksdb::Slice(as_string_view(raw.multihash()).data(), raw.multihash().size()),
                            rocksdb::Slice(reinterpret_cast<const char*>(value.data()), value.size())).ok());
        for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
        db->Close();
    }
    {
        auto resolver = Resolver::open(scratch / "resolver").value();
        EXPECT_EQ(resolver->block_locations(raw.multihash()).value(), std::vector<BlockLocation>{location});
        EXPECT_EQ(resolver->forget_car(filled(7)).value(), 1u);  // the reverse entry came along
    }
    std::vector<std::string> families;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), (scratch / "resolver").string(), &families).ok());
    EXPECT_EQ(std::count(families.begin(), families.end(), "blocks"), 0);
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
