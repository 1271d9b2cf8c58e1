#include "ipld/dag.h"

#include "ipld/car.h"
#include "ipld/importer.h"
#include "tests/support/files.h"
#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>
#include <set>

namespace fleek::ipld {
namespace {

using testing::read_text;
using testing::source_path;

using testing::random_bytes;

struct Store {
    std::map<Cid, Bytes> blocks;
    BlockSink sink() {
        return [this](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
            blocks.emplace(cid, Bytes(block.begin(), block.end()));
            return {};
        };
    }
};

Bytes read_all(BlockSource& source, const DagNode& node, uint64_t offset = 0, uint64_t length = UINT64_MAX) {
    Bytes out;
    auto read = read_file(source, node, offset, length, [&](ByteSpan piece) {
        out.insert(out.end(), piece.begin(), piece.end());
        return true;
    });
    EXPECT_TRUE(read.has_value()) << (read ? "" : read.error().message());
    return out;
}

TEST(Dag, ReadsEveryRangeOfADeepFile) {
    ImportOptions options = ImportOptions::kubo();
    options.chunk_size = 100;
    options.max_links = 4;
    const Bytes content = random_bytes(10'000, 1);
    Store store;
    const ImportedNode root = import_bytes(content, options, store.sink()).value();
    MemoryBlockSource source(store.blocks);
    const DagNode node = load_node(source, root.cid).value();
    EXPECT_EQ(node.kind, NodeKind::file);
    EXPECT_EQ(node.file_size(), content.size());
    EXPECT_EQ(read_all(source, node), content);
    std::mt19937 rng(2);
    for (int i = 0; i < 50; ++i) {
        const uint64_t offset = rng() % content.size();
        const uint64_t length = rng() % 700;
        const Bytes piece = read_all(source, node, offset, length);
        const uint64_t end = std::min<uint64_t>(content.size(), offset + length);
        EXPECT_EQ(piece, Bytes(content.begin() + static_cast<std::ptrdiff_t>(offset), content.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    EXPECT_TRUE(read_all(source, node, content.size(), 10).empty());
}

TEST(Dag, MissingAndInconsistentBlocksAreErrors) {
    ImportOptions options = ImportOptions::kubo_v1();
    options.chunk_size = 100;
    const Bytes content = random_bytes(1000, 3);
    Store store;
    const ImportedNode root = import_bytes(content, options, store.sink()).value();
    // A missing leaf.
    std::map<Cid, Bytes> missing = store.blocks;
    missing.erase(Cid::of(multicodec::raw, ByteSpan(content).subspan(500, 100)));
    MemoryBlockSource missing_source(missing);
    const DagNode node = load_node(missing_source, root.cid).value();
    auto read = read_file(missing_source, node, 0, UINT64_MAX, [](ByteSpan) { return true; });
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().code, DagErrorCode::missing_block);
    // A parent whose blocksizes disagree with its leaves (a well-formed but lying DAG).
    PbNode parent = decode_dag_pb(store.blocks.at(root.cid)).value();
    UnixfsData data = decode_unixfs(*parent.data).value();
    data.blocksizes[0] += 1;
    data.blocksizes[1] -= 1;
    parent.data = encode_unixfs(data);
    const Bytes lying_bytes = encode_dag_pb(parent);
    const Cid lying = Cid::of(multicodec::dag_pb, lying_bytes);
    store.blocks.emplace(lying, lying_bytes);
    MemoryBlockSource source(store.blocks);
    const DagNode lying_node = load_node(source, lying).value();
    read = read_file(source, lying_node, 0, UINT64_MAX, [](ByteSpan) { return true; });
    ASSERT_FALSE(read.has_value());
    EXPECT_EQ(read.error().code, DagErrorCode::invalid_dag);
    // A filesize that does not add up is refused when decoding.
    data.blocksizes[0] -= 1;
    data.blocksizes[1] += 1;
    data.filesize = *data.filesize + 1;
    parent.data = encode_unixfs(data);
    const Bytes bad = encode_dag_pb(parent);
    EXPECT_EQ(decode_node(Cid::of(multicodec::dag_pb, bad), bad).error().code, DagErrorCode::invalid_dag);
}

TEST(Dag, HamtDirectoriesListAndResolve) {
    ImportOptions options = ImportOptions::ipfs_car();
    Store store;
    std::vector<NamedNode> entries;
    for (int i = 0; i < 1500; ++i) {
        const std::string name = "file-" + std::to_string(i) + ".txt";
        entries.push_back({name, import_bytes(as_bytes(name), options, store.sink()).value()});
    }
    const ImportedNode root = import_directory(entries, options, store.sink()).value();
    MemoryBlockSource source(store.blocks);
    const DagNode node = load_node(source, root.cid).value();
    ASSERT_EQ(node.kind, NodeKind::hamt_shard);
    const auto listing = list_directory(source, node).value();
    ASSERT_EQ(listing.size(), 1500u);
    EXPECT_TRUE(std::is_sorted(listing.begin(), listing.end(), [](const auto& a, const auto& b) { return a.name < b.name; }));
    for (const int i : {0, 7, 999, 1499}) {
        const std::string name = "file-" + std::to_string(i) + ".txt";
        std::vector<Cid> visited;
        const auto entry = find_entry(source, node, name, &visited).value();
        ASSERT_TRUE(entry.has_value()) << name;
        const ResolvedPath path = resolve_path(source, root.cid, "/" + name).value();
        EXPECT_EQ(path.segments.size(), 2u);
        EXPECT_EQ(path.segments.back(), entry->cid);
        EXPECT_EQ(read_all(source, path.target), to_bytes(name));
        // The proof holds the root, the sub-shards on the way, and the target.
        EXPECT_EQ(path.proof.size(), 2 + visited.size());
    }
    EXPECT_FALSE(find_entry(source, node, "nope").value().has_value());
    EXPECT_EQ(resolve_path(source, root.cid, "nope").error().code, DagErrorCode::not_found);
    EXPECT_EQ(resolve_path(source, root.cid, "file-1.txt/x").error().code, DagErrorCode::not_a_directory);
    // Entity scope of a HAMT: the shard nodes, not the entries.
    size_t shard_blocks = 0;
    ASSERT_TRUE(traverse(source, root.cid, DagScope::entity, std::nullopt, {}, [&](const Cid& cid, ByteSpan) {
                    EXPECT_EQ(cid.codec(), multicodec::dag_pb);
                    ++shard_blocks;
                    return true;
                }).has_value());
    EXPECT_GT(shard_blocks, 1u);
    size_t all_blocks = 0;
    ASSERT_TRUE(traverse(source, root.cid, DagScope::all, std::nullopt, {}, [&](const Cid&, ByteSpan) {
                    ++all_blocks;
                    return true;
                }).has_value());
    EXPECT_EQ(all_blocks, shard_blocks + 1500);
}

// A HAMT whose entries are not where their names hash to is refused, whatever the reader: the
// listing (what the origin stores), not only a lookup (which follows the hash and so never sees
// a misplaced entry).
TEST(Dag, MisplacedHamtEntriesAreRefused) {
    ImportOptions options = ImportOptions::ipfs_car();  // fanout 256, murmur3-x64-64
    options.shard_threshold = 20;  // 300 entries: sub-shards, and free buckets in the root
    Store store;
    std::vector<NamedNode> entries;
    for (int i = 0; i < 300; ++i) {
        const std::string name = "file-" + std::to_string(i) + ".txt";
        entries.push_back({name, import_bytes(as_bytes(name), options, store.sink()).value()});
    }
    const ImportedNode root = import_directory(entries, options, store.sink()).value();
    const PbNode root_pb = decode_dag_pb(store.blocks.at(root.cid)).value();
    std::set<std::string> labels;
    const PbLink* leaf = nullptr;
    const PbLink* sub_shard = nullptr;
    for (const auto& link : root_pb.links) {
        labels.insert(link.name->substr(0, 2));
        if (link.name->size() > 2 && leaf == nullptr) leaf = &link;
        if (link.name->size() == 2 && sub_shard == nullptr) sub_shard = &link;
    }
    ASSERT_NE(leaf, nullptr);
    ASSERT_NE(sub_shard, nullptr);
    std::string free_label;
    for (uint32_t bucket = 0; bucket < 256 && free_label.empty(); ++bucket) {
        const std::string label = fmt::format("{:02X}", bucket);
        if (labels.count(label) == 0) free_label = label;
    }
    ASSERT_FALSE(free_label.empty());
    // The same root with one link changed, stored under its own CID.
    const auto variant = [&](const PbLink& changed, const std::string& new_name) {
        PbNode pb = root_pb;
        for (auto& link : pb.links) {
            if (link.name == changed.name) link.name = new_name;
        }
        sort_links(pb.links);
        const Bytes bytes = encode_dag_pb(pb);
        const Cid cid = Cid::of(multicodec::dag_pb, bytes);
        store.blocks[cid] = bytes;
        return cid;
    };
    MemoryBlockSource source(store.blocks);
    // The untouched HAMT lists (the entries are where they hash to).
    ASSERT_EQ(list_directory(source, load_node(source, root.cid).value()).value().size(), 300u);
    // An entry moved to a free bucket of the root.
    const Cid moved_leaf = variant(*leaf, free_label + leaf->name->substr(2));
    const auto listed = list_directory(source, load_node(source, moved_leaf).value());
    ASSERT_FALSE(listed.has_value());
    EXPECT_EQ(listed.error().code, DagErrorCode::invalid_hamt);
    EXPECT_NE(listed.error().detail.find(leaf->name->substr(2)), std::string::npos) << listed.error().message();
    // A whole sub-shard under another bucket: its entries sit in the right bucket of their own
    // level, but not under the bucket their names hash to one level up.
    const Cid moved_shard = variant(*sub_shard, free_label);
    EXPECT_EQ(list_directory(source, load_node(source, moved_shard).value()).error().code, DagErrorCode::invalid_hamt);
    // Two links in one bucket.
    PbNode doubled = root_pb;
    doubled.links.push_back(PbLink{leaf->hash, leaf->name->substr(0, 2) + "another-name", leaf->tsize});
    sort_links(doubled.links);
    const Bytes doubled_bytes = encode_dag_pb(doubled);
    const Cid doubled_cid = Cid::of(multicodec::dag_pb, doubled_bytes);
    store.blocks[doubled_cid] = doubled_bytes;
    EXPECT_EQ(list_directory(source, load_node(source, doubled_cid).value()).error().code, DagErrorCode::invalid_hamt);
    // A sub-shard whose fanout differs from its parent's (the bucket bits would not line up).
    PbNode narrow = decode_dag_pb(store.blocks.at(sub_shard->hash)).value();
    UnixfsData narrow_data = decode_unixfs(*narrow.data).value();
    narrow_data.fanout = 16;
    narrow.data = encode_unixfs(narrow_data);
    for (auto& link : narrow.links) link.name = link.name->substr(1);  // one hex digit for 16 buckets
    const Bytes narrow_bytes = encode_dag_pb(narrow);
    const Cid narrow_cid = Cid::of(multicodec::dag_pb, narrow_bytes);
    store.blocks[narrow_cid] = narrow_bytes;
    PbNode with_narrow = root_pb;
    for (auto& link : with_narrow.links) {
        if (link.name == sub_shard->name) link.hash = narrow_cid;
    }
    const Bytes with_narrow_bytes = encode_dag_pb(with_narrow);
    const Cid with_narrow_cid = Cid::of(multicodec::dag_pb, with_narrow_bytes);
    store.blocks[with_narrow_cid] = with_narrow_bytes;
    const DagNode with_narrow_node = load_node(source, with_narrow_cid).value();
    EXPECT_EQ(list_directory(source, with_narrow_node).error().code, DagErrorCode::invalid_hamt);
    const std::string inside = decode_dag_pb(store.blocks.at(sub_shard->hash)).value().links[0].name->substr(2);
    EXPECT_EQ(find_entry(source, with_narrow_node, inside).error().code, DagErrorCode::invalid_hamt);
}

TEST(Dag, TraversalScopesAndEntityBytes) {
    ImportOptions options = ImportOptions::kubo_v1();
    options.chunk_size = 1000;
    options.max_links = 3;
    const Bytes content = random_bytes(9000, 4);  // 9 leaves, 3 parents, a root
    Store store;
    const ImportedNode root = import_bytes(content, options, store.sink()).value();
    MemoryBlockSource source(store.blocks);
    const auto collect = [&](DagScope scope, std::optional<EntityBytes> bytes) {
        std::vector<Cid> out;
        auto done = traverse(source, root.cid, scope, bytes, {}, [&](const Cid& cid, ByteSpan block) {
            EXPECT_TRUE(cid.verify(block));
            out.push_back(cid);
            return true;
        });
        EXPECT_TRUE(done.has_value());
        return out;
    };
    EXPECT_EQ(collect(DagScope::block, std::nullopt).size(), 1u);
    const auto all = collect(DagScope::all, std::nullopt);
    EXPECT_EQ(all.size(), 13u);
    EXPECT_EQ(all.front(), root.cid);
    EXPECT_EQ(collect(DagScope::entity, std::nullopt), all);
    // Bytes 1500..2500 live in leaves 1 and 2, under the first parent: root, parent, 2 leaves.
    EXPECT_EQ(collect(DagScope::entity, EntityBytes{1500, 2500}).size(), 4u);
    // The last 10 bytes: root, last parent, last leaf. "*" reaches the end.
    EXPECT_EQ(collect(DagScope::entity, EntityBytes{-10, std::nullopt}).size(), 3u);
    EXPECT_EQ(collect(DagScope::entity, EntityBytes{0, std::nullopt}).size(), 13u);
    // Planning gives the same blocks in the same order without reading the raw leaves.
    size_t sized = 0;
    const auto plan = plan_traversal(source, root.cid, DagScope::entity, EntityBytes{1500, 2500}, {}, [&](const Cid& cid) {
                          ++sized;
                          return std::optional<uint64_t>(store.blocks.at(cid).size());
                      }).value();
    ASSERT_EQ(plan.size(), 4u);
    EXPECT_EQ(sized, 2u);
    const auto visited = collect(DagScope::entity, EntityBytes{1500, 2500});
    for (size_t i = 0; i < plan.size(); ++i) {
        EXPECT_EQ(plan[i].cid, visited[i]);
        EXPECT_EQ(plan[i].size, store.blocks.at(plan[i].cid).size());
    }
    // Entirely out of range: the root alone.
    EXPECT_EQ(collect(DagScope::entity, EntityBytes{100000, std::nullopt}).size(), 1u);
    EXPECT_EQ(collect(DagScope::entity, EntityBytes{5, 2}).size(), 1u);
}

TEST(Dag, ReadsGoCarUnixfsSamples) {
    for (const std::string name : {"simple-unixfs.car", "sample-unixfs-v2.car"}) {
        const std::string bytes = read_text(source_path("tests/vectors/car/" + name));
        const CarContents car = read_car(as_bytes(bytes)).value();
        std::map<Cid, Bytes> blocks;
        for (const auto& block : car.blocks) {
            blocks.emplace(block.cid, Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(block.block_offset),
                                            bytes.begin() + static_cast<std::ptrdiff_t>(block.block_offset + block.block_size)));
        }
        MemoryBlockSource source(blocks);
        ASSERT_EQ(car.header.roots.size(), 1u) << name;
        // Every block of the DAG is there, and every file reads to its declared size.
        size_t visited = 0;
        ASSERT_TRUE(traverse(source, car.header.roots[0], DagScope::all, std::nullopt, {}, [&](const Cid& cid, ByteSpan block) {
                        ++visited;
                        auto node = decode_node(cid, block);
                        EXPECT_TRUE(node.has_value()) << cid.to_string();
                        return true;
                    }).has_value())
            << name;
        EXPECT_EQ(visited, car.blocks.size()) << name;
    }
    // A path CAR (the blocks of one path through a bigger DAG), and a DAG with blocks missing:
    // a walk of everything stops at the first missing block and names it.
    for (const std::string name : {"simple-unixfs-missing-blocks.car", "wikipedia-cryptographic-hash-function.car"}) {
    const std::string bytes = read_text(source_path("tests/vectors/car/" + name));
    const CarContents car = read_car(as_bytes(bytes)).value();
    std::map<Cid, Bytes> blocks;
    for (const auto& block : car.blocks) {
        blocks.emplace(block.cid, Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(block.block_offset),
                                        bytes.begin() + static_cast<std::ptrdiff_t>(block.block_offset + block.block_size)));
    }
    MemoryBlockSource source(blocks);
    const auto walk = traverse(source, car.header.roots[0], DagScope::all, std::nullopt, {}, [](const Cid&, ByteSpan) { return true; });
    ASSERT_FALSE(walk.has_value()) << name;
    EXPECT_EQ(walk.error().code, DagErrorCode::missing_block) << name;
    EXPECT_TRUE(walk.error().message().starts_with("missing block: ")) << walk.error().message();
    EXPECT_TRUE(Cid::parse(walk.error().message().substr(15)).has_value()) << walk.error().message();
    }
}

TEST(Dag, IdentityAndNonUnixfsNodes) {
    const Cid identity = Cid::parse("bafkqaaa").value();
    std::map<Cid, Bytes> none;
    MemoryBlockSource source(none);
    const DagNode node = load_node(source, identity).value();
    EXPECT_EQ(node.kind, NodeKind::raw_file);
    EXPECT_EQ(node.file_size(), 0u);
    const Cid cbor = Cid::of(multicodec::dag_cbor, Bytes{0xa0});
    EXPECT_EQ(decode_node(cbor, Bytes{0xa0}).value().kind, NodeKind::other);
    for (int e = 0; e <= static_cast<int>(DagErrorCode::stopped); ++e) {
        EXPECT_NE(to_string(static_cast<DagErrorCode>(e)), "unknown DAG error");
    }
}

}  // namespace
}  // namespace fleek::ipld
