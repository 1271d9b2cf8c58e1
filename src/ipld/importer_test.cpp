#include "ipld/importer.h"

#include "ipld/dag.h"
#include "ipld/murmur3.h"
#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <set>

namespace fleek::ipld {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDirectory;

// The test pattern: byte i = (i * 2654435761 >> 13) & 0xff.
Bytes pattern(size_t size) {
    Bytes out(size);
    for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>((uint64_t{i} * 2654435761ULL) >> 13);
    return out;
}

struct Collected {
    std::map<Cid, Bytes> blocks;
    size_t puts = 0;
    BlockSink sink() {
        return [this](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
            if (!cid.verify(block)) return fail(std::string("block does not match its CID"));
            blocks.emplace(cid, Bytes(block.begin(), block.end()));
            ++puts;
            return {};
        };
    }
};

std::string cid_of(ByteSpan content, const ImportOptions& options) {
    Collected collected;
    return import_bytes(content, options, collected.sink()).value().cid.to_string();
}

TEST(Importer, KuboDefaultsMatchIpfsCid) {
    // Expected values printed by Debian's ipfs_cid (kubo's default DAG) for the same bytes; the
    // end-to-end test compares with ipfs_cid itself on more sizes.
    const ImportOptions kubo = ImportOptions::kubo();
    EXPECT_EQ(cid_of(as_bytes("hello world\n"), kubo), "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
    EXPECT_EQ(cid_of({}, kubo), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
    const Bytes data = pattern(45613057);
    const std::pair<size_t, std::string_view> expected[] = {
        {1, "QmS9JArPwa55ePgDnyg6TzX24mYTS1b1vLqWNebyVotKxQ"},
        {262144, "QmNwnLWLH9TpyqLgbkR59nSnAM7fysdNP38nvvnG1fUfxN"},
        {262145, "QmVcGVNYziqEKpMg2VPqJs9dEE96ARThahu7skZ9zwJkGD"},
        {1048576, "QmQH2hiiYv3wtd23zJbvNNFs3oFoK2dNE5WNERCNRumQqb"},
        {45613056, "QmQCa8sNRPfXPrpMV5ZRixN6JMe9NxhZxJwVJeGbN7gBbk"},   // 174 leaves: one full node
        {45613057, "QmaKSvvcpupqLYvuHKMKGVf3EWbvXezbjBURzcmUGeAZgc"},   // 175 leaves: a second level
    };
    for (const auto& [size, cid] : expected) EXPECT_EQ(cid_of(ByteSpan(data).first(size), kubo), cid) << size;
    // ipfs_cid's "CIDv1" is the same root written as a CIDv1.
    EXPECT_EQ(Cid::parse("QmaKSvvcpupqLYvuHKMKGVf3EWbvXezbjBURzcmUGeAZgc").value().to_v1().to_string(),
              "bafybeifr7vmabqcjxcexhn2aauslfjkjsvq7ovrvt3b5km7d3p42vl44ke");
}

TEST(Importer, IpfsCarDefaultsMatchIpfsCarPack) {
    // Roots printed by `ipfs-car pack --no-wrap` 3.1.0 for the same bytes.
    const ImportOptions car = ImportOptions::ipfs_car();
    const Bytes data = pattern(3000000);
    EXPECT_EQ(cid_of(as_bytes("hello world\n"), car), "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
    EXPECT_EQ(cid_of({}, car), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
    EXPECT_EQ(cid_of(ByteSpan(data).first(1), car), "bafkreidogqfzz75tpkmjzjke425xqcrmpcib2p5tg44hnbirumdbpl5adu");
    EXPECT_EQ(cid_of(ByteSpan(data).first(1048576), car), "bafkreihvmadxbkdjlkc7y65w2gfebjnybivyuooin42gug2y7dgmd2h54y");
    EXPECT_EQ(cid_of(ByteSpan(data).first(1048577), car), "bafybeibrc6qztrjarey74wrirr5mltzcmx4h4i6mverjl3bhiskj4u4qwm");
    EXPECT_EQ(cid_of(data, car), "bafybeialyz6bwid5eqigf5r65r4igwfbdsaeav37uk65ykju3fgpgiv7n4");
}

TEST(Importer, IpfsCarWrapsFilesInADirectory) {
    ScratchDirectory scratch;
    testing::write_text(scratch / "hello.txt", "hello world\n");
    Collected collected;
    const ImportedNode root = import_path(scratch / "hello.txt", ImportOptions::ipfs_car(), collected.sink()).value();
    EXPECT_EQ(root.cid.to_string(), "bafybeidhkumeonuwkebh2i4fc7o7lguehauradvlk57gzake6ggjsy372a");
    // Without wrapping, a path to a file is the file.
    ImportOptions no_wrap = ImportOptions::ipfs_car();
    no_wrap.wrap = false;
    EXPECT_EQ(import_path(scratch / "hello.txt", no_wrap, collected.sink()).value().cid.to_string(),
              "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4");
}

TEST(Importer, StreamingInAnySplitGivesTheSameRoot) {
    const Bytes data = pattern(700000);
    ImportOptions options = ImportOptions::kubo();
    options.chunk_size = 1000;
    options.max_links = 3;  // a deep tree from few bytes
    const std::string whole = cid_of(data, options);
    for (const size_t piece : {1u, 999u, 1000u, 1001u, 65536u}) {
        Collected collected;
        FileImporter importer(options, collected.sink());
        for (size_t at = 0; at < data.size(); at += piece) {
            ASSERT_TRUE(importer.write(ByteSpan(data).subspan(at, std::min(piece, data.size() - at))).has_value());
        }
        EXPECT_EQ(importer.finish().value().cid.to_string(), whole) << piece;
    }
}

TEST(Importer, BalancedLayoutKeepsEveryLeafAtTheSameDepth) {
    ImportOptions options = ImportOptions::kubo_v1();
    options.chunk_size = 10;
    options.max_links = 3;
    for (const size_t leaves : {1u, 2u, 3u, 4u, 9u, 10u, 27u, 28u}) {
        const Bytes data = pattern(leaves * 10);
        Collected collected;
        const ImportedNode root = import_bytes(data, options, collected.sink()).value();
        EXPECT_EQ(root.content_size, data.size());
        // Walk down: every path from the root reaches a raw leaf after the same number of steps.
        std::vector<std::pair<Cid, size_t>> stack{{root.cid, 0}};
        std::set<size_t> leaf_depths;
        uint64_t dag_bytes = 0;
        while (!stack.empty()) {
            auto [cid, depth] = stack.back();
            stack.pop_back();
            const Bytes& block = collected.blocks.at(cid);
            dag_bytes += block.size();
            if (cid.codec() == multicodec::raw) {
                leaf_depths.insert(depth);
                continue;
            }
            const PbNode node = decode_dag_pb(block).value();
            EXPECT_LE(node.links.size(), 3u);
            for (const auto& link : node.links) stack.emplace_back(link.hash, depth + 1);
        }
        EXPECT_EQ(leaf_depths.size(), 1u) << leaves;
        EXPECT_EQ(root.dag_size, dag_bytes) << leaves;  // Tsize counts every block once per path
        size_t expected_depth = 0;
        for (size_t capacity = 1; capacity < leaves; capacity *= 3) ++expected_depth;
        EXPECT_EQ(*leaf_depths.begin(), expected_depth) << leaves;
    }
}

TEST(Importer, DirectoriesSortLinksAndShardPastTheThreshold) {
    ImportOptions options = ImportOptions::kubo_v1();
    Collected collected;
    std::vector<NamedNode> entries;
    for (const std::string name : {"b.txt", "a.txt", "c"}) {
        entries.push_back({name, import_bytes(as_bytes(name), options, collected.sink()).value()});
    }
    const ImportedNode flat = import_directory(entries, options, collected.sink()).value();
    const PbNode node = decode_dag_pb(collected.blocks.at(flat.cid)).value();
    ASSERT_EQ(node.links.size(), 3u);
    EXPECT_EQ(*node.links[0].name, "a.txt");
    EXPECT_EQ(*node.links[2].name, "c");
    EXPECT_EQ(hex_encode(*node.data), "0801");
    // Over the entry-count threshold the same entries become a HAMT with fanout 256.
    options.sharding = ImportOptions::Sharding::entry_count;
    options.shard_threshold = 2;
    const ImportedNode sharded = import_directory(entries, options, collected.sink()).value();
    const auto decoded_shard = decode_dag_pb(collected.blocks.at(sharded.cid));
    ASSERT_TRUE(decoded_shard.has_value());
    const PbNode& shard = *decoded_shard;
    ASSERT_TRUE(shard.data.has_value());
    const UnixfsData data = decode_unixfs(shard.data.value()).value();
    EXPECT_EQ(data.type, UnixfsType::hamt_shard);
    EXPECT_EQ(data.fanout, 256u);
    EXPECT_EQ(data.hash_type, 0x22u);
    for (const auto& link : shard.links) {
        const std::string& name = *link.name;
        const std::string entry = name.substr(2);
        EXPECT_EQ(name.substr(0, 2), fmt::format("{:02X}", hamt_bucket(entry, 0, 8))) << name;
    }
    // Duplicate and invalid names are refused.
    entries.push_back(entries[0]);
    EXPECT_FALSE(import_directory(entries, options, collected.sink()).has_value());
    EXPECT_FALSE(import_directory({{"a/b", entries[0].node}}, options, collected.sink()).has_value());
}

TEST(Importer, HamtBucketsMatchTheJavaScriptShard) {
    // content.md §5.5: names from a js-ipfs-unixfs-importer shard and their level-0 buckets.
    EXPECT_EQ(hamt_bucket("f299.txt", 0, 8), 0x02u);
    EXPECT_EQ(hamt_bucket("f088.txt", 0, 8), 0x03u);
    EXPECT_EQ(hamt_bucket("f033.txt", 0, 8), 0x08u);
    // Deeper levels take the next bytes of h1 = 028ab4d2e97639e5, then rehash.
    EXPECT_EQ(hamt_bucket("f299.txt", 1, 8), 0x8au);
    EXPECT_EQ(hamt_bucket("f299.txt", 7, 8), 0xe5u);
    EXPECT_EQ(hamt_bucket("f299.txt", 8, 8), hamt_hash(as_bytes(std::string("f299.txt") + '\x01'))[0]);
    EXPECT_EQ(hamt_bucket("f299.txt", 0, 4), 0x0u);
    EXPECT_EQ(hamt_bucket("f299.txt", 1, 4), 0x2u);
}

TEST(Importer, PathWalkFollowsTheOptions) {
    ScratchDirectory scratch;
    fs::create_directories(scratch / "tree/sub/deeper");
    fs::create_directories(scratch / "tree/empty");
    testing::write_text(scratch / "tree/a.txt", "a");
    testing::write_text(scratch / "tree/.hidden", "h");
    testing::write_text(scratch / "tree/sub/deeper/b.txt", "b");
    fs::create_symlink("a.txt", scratch / "tree/link");
    Collected collected;
    // kubo: symlinks and empty directories kept, hidden files skipped.
    const ImportedNode kubo = import_path(scratch / "tree", ImportOptions::kubo(), collected.sink()).value();
    MemoryBlockSource source(collected.blocks);
    const auto names_of = [&](const Cid& cid) {
        const DagNode node = load_node(source, cid).value();
        const auto listing = list_directory(source, node).value();
        std::vector<std::string> names;
        for (const auto& entry : listing) names.push_back(entry.name);
        return names;
    };
    EXPECT_EQ(names_of(kubo.cid), (std::vector<std::string>{"a.txt", "empty", "link", "sub"}));
    const auto link = resolve_path(source, kubo.cid, "link").value();
    EXPECT_EQ(link.target.kind, NodeKind::symlink);
    EXPECT_EQ(as_string_view(*link.target.unixfs.data), "a.txt");
    // ipfs-car: files only.
    const ImportedNode car = import_path(scratch / "tree", ImportOptions::ipfs_car(), collected.sink()).value();
    EXPECT_EQ(names_of(car.cid), (std::vector<std::string>{"a.txt", "sub"}));
    // ipfs-car names files relative to the deepest directory holding all of them.
    const ImportedNode stripped = import_path(scratch / "tree/sub", ImportOptions::ipfs_car(), collected.sink()).value();
    EXPECT_EQ(names_of(stripped.cid), (std::vector<std::string>{"b.txt"}));
}

}  // namespace
}  // namespace fleek::ipld
