// Adopting a CAR fetched from peers (ipfs_adopt.h): the result equals an origin fetch of the same
// DAG; a CAR with a tampered block, a missing block or a non-UnixFS root records nothing; blocks
// outside the DAG are not indexed.
#include "origins/ipfs_adopt.h"

#include "crypto/hash.h"
#include "ipld/car.h"
#include "ipld/dag.h"
#include "ipld/importer.h"
#include "origins/ipfs_store.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"
#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>


namespace fleek::origins {
namespace {

using ipld::Cid;
using testing::ScratchDirectory;

using testing::random_bytes;

struct Dag {
    std::map<Cid, Bytes> blocks;
    Cid root;
    ipld::BlockSink sink() {
        return [this](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
            blocks.emplace(cid, Bytes(block.begin(), block.end()));
            return {};
        };
    }
    // Depth first from the root, as a gateway sends it; `extra` blocks appended.
    Bytes car(std::optional<Cid> corrupt = std::nullopt, std::optional<Cid> skip = std::nullopt,
              const std::vector<std::pair<Cid, Bytes>>& extra = {}) const {
        ipld::MemoryBlockSource source(blocks);
        Bytes out;
        ipld::append_car_header(out, {root});
        EXPECT_TRUE(ipld::traverse(source, root, ipld::DagScope::all, std::nullopt, {}, [&](const Cid& cid, ByteSpan bytes) {
                        if (skip && *skip == cid) return true;
                        Bytes block(bytes.begin(), bytes.end());
                        if (corrupt && *corrupt == cid) block[block.size() / 2] ^= 0x01;
                        ipld::append_car_section(out, cid, block);
                        return true;
                    }).has_value());
        for (const auto& [cid, block] : extra) ipld::append_car_section(out, cid, block);
        return out;
    }
};

struct Node {
    explicit Node(const std::filesystem::path& dir)
        : store(content::Blockstore::open(dir / "blockstore", {}).value()), resolver(Resolver::open(dir / "resolver").value()) {}
    std::unique_ptr<content::Blockstore> store;
    std::unique_ptr<Resolver> resolver;
};

Dag directory_dag() {
    Dag dag;
    ipld::ImportOptions options = ipld::ImportOptions::kubo_v1();
    options.chunk_size = 65536;
    const auto big = ipld::import_bytes(random_bytes(300'000, 1), options, dag.sink()).value();
    const auto small = ipld::import_bytes(as_bytes(std::string_view("hello\n")), options, dag.sink()).value();
    const auto inner = ipld::import_directory({{"small.txt", small}}, options, dag.sink()).value();
    dag.root = ipld::import_directory({{"big.bin", big}, {"docs", inner}}, options, dag.sink()).value().cid;
    return dag;
}

// The same DAG fetched by the IPFS origin from a gateway and adopted from its CAR: the same
// records, the same content, the same blocks.
TEST(AdoptCar, GivesWhatAnOriginFetchGives) {
    ScratchDirectory scratch;
    const Dag dag = directory_dag();
    const Bytes car = dag.car();
    testing::TestHttpServer gateway([&](const testing::ServedRequest&) {
        testing::ServedResponse response;
        response.body.assign(car.begin(), car.end());
        return response;
    });
    Node origin_node(scratch / "origin");
    IpfsOriginOptions options;
    options.gateways = {gateway.url()};
    IpfsOrigin origin(options, *origin_node.store, *origin_node.resolver);
    const FetchedIpfs fetched = origin.fetch(dag.root).value();

    Node peer(scratch / "peer");
    const Hash32 car_hash = peer.store->put(car).value();
    EXPECT_EQ(car_hash, fetched.record.car);  // the origin kept the CAR byte for byte
    const FetchedIpfs adopted = adopt_car(*peer.store, *peer.resolver, dag.root, car_hash, {}).value();
    EXPECT_EQ(adopted.record, fetched.record);
    EXPECT_EQ(adopted.blocks, dag.blocks.size());
    IpfsStore peer_ipfs(*peer.store, *peer.resolver);
    for (const auto& [cid, block] : dag.blocks) {
        EXPECT_EQ(peer.resolver->ipfs(cid).value(), origin_node.resolver->ipfs(cid).value()) << cid.to_string();
        EXPECT_EQ(peer_ipfs.get(cid).value(), std::optional<Bytes>(block)) << cid.to_string();
    }
    const auto big = peer.store->resolve_path(adopted.record.hash, "big.bin").value();
    EXPECT_EQ(big.hash, crypto::blake3(random_bytes(300'000, 1)));  // independent of both paths
}

TEST(AdoptCar, ATamperedOrIncompleteCarRecordsNothing) {
    ScratchDirectory scratch;
    const Dag dag = directory_dag();
    Cid leaf = dag.root;
    for (const auto& [cid, block] : dag.blocks) {
        if (cid.codec() == ipld::multicodec::raw) leaf = cid;
    }
    ASSERT_NE(leaf, dag.root);
    Node node(scratch / "node");
    const auto expect_nothing_recorded = [&] {
        EXPECT_EQ(node.resolver->count().ipfs, 0u);
        EXPECT_EQ(node.resolver->count().blocks, 0u);
    };

    const Hash32 tampered = node.store->put(dag.car(leaf)).value();
    auto refused = adopt_car(*node.store, *node.resolver, dag.root, tampered, {});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, OriginErrorCode::verification_failed);
    EXPECT_NE(refused.error().message.find("does not match its CID"), std::string::npos) << refused.error().message;
    expect_nothing_recorded();

    const Hash32 incomplete = node.store->put(dag.car(std::nullopt, leaf)).value();
    refused = adopt_car(*node.store, *node.resolver, dag.root, incomplete, {});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, OriginErrorCode::verification_failed);
    EXPECT_NE(refused.error().message.find(leaf.to_string()), std::string::npos) << refused.error().message;
    expect_nothing_recorded();

    AdoptLimits small;
    small.max_blocks = 2;
    const Hash32 whole = node.store->put(dag.car()).value();
    refused = adopt_car(*node.store, *node.resolver, dag.root, whole, small);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, OriginErrorCode::too_large);
    expect_nothing_recorded();
}

TEST(AdoptCar, BlocksOutsideTheDagAreNotIndexed) {
    ScratchDirectory scratch;
    const Dag dag = directory_dag();
    Dag other;
    const Cid stranger = ipld::import_bytes(as_bytes(std::string_view("not part of it")), ipld::ImportOptions::kubo_v1(), other.sink()).value().cid;
    Node node(scratch / "node");
    const Hash32 car = node.store->put(dag.car(std::nullopt, std::nullopt, {{stranger, other.blocks.at(stranger)}})).value();
    const FetchedIpfs adopted = adopt_car(*node.store, *node.resolver, dag.root, car, {}).value();
    EXPECT_EQ(adopted.blocks, dag.blocks.size());
    EXPECT_TRUE(node.resolver->block_locations(stranger.multihash()).value().empty());
    EXPECT_FALSE(node.resolver->block_locations(dag.root.multihash()).value().empty());
}

}  // namespace
}  // namespace fleek::origins
