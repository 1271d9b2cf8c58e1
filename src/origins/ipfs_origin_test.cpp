#include "origins/ipfs_origin.h"

#include "ipld/car.h"
#include "ipld/dag.h"
#include "ipld/importer.h"
#include "origins/ipfs_store.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

namespace fleek::origins {
namespace {

using ipld::Cid;
using testing::ScratchDirectory;
using testing::ServedRequest;
using testing::ServedResponse;
using testing::TestHttpServer;

Bytes random_bytes(size_t size, uint32_t seed) {
    std::mt19937 rng(seed);
    Bytes out(size);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
}

// A DAG a gateway can serve, as blocks and as a depth-first CAR.
struct Dag {
    std::map<Cid, Bytes> blocks;
    Cid root;

    ipld::BlockSink sink() {
        return [this](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
            blocks.emplace(cid, Bytes(block.begin(), block.end()));
            return {};
        };
    }
    std::vector<Cid> order() const {
        ipld::MemoryBlockSource source(blocks);
        std::vector<Cid> out;
        EXPECT_TRUE(ipld::traverse(source, root, ipld::DagScope::all, std::nullopt, {}, [&](const Cid& cid, ByteSpan) {
                        out.push_back(cid);
                        return true;
                    }).has_value());
        return out;
    }
    Bytes car(const std::optional<Cid>& corrupt = std::nullopt, size_t keep_blocks = SIZE_MAX) const {
        Bytes out;
        ipld::append_car_header(out, {root});
        size_t kept = 0;
        for (const Cid& cid : order()) {
            if (kept++ == keep_blocks) break;
            Bytes block = blocks.at(cid);
            if (corrupt && *corrupt == cid) block[block.size() / 2] ^= 0x01;
            ipld::append_car_section(out, cid, block);
        }
        return out;
    }
};

Dag file_dag(const Bytes& content) {
    Dag dag;
    ipld::ImportOptions options = ipld::ImportOptions::kubo();
    options.chunk_size = 65536;  // more blocks from fewer bytes
    dag.root = ipld::import_bytes(content, options, dag.sink()).value().cid;
    return dag;
}

struct Behaviour {
    bool serves_car = true;
    bool serves_raw = true;
    bool has_content = true;
    std::optional<Cid> corrupt;    // this block's bytes are altered, in CARs and raw answers
    size_t car_blocks = SIZE_MAX;  // a CAR cut after this many blocks
    int delay_ms = 0;
};

template <class Change>
Behaviour with(Change change) {
    Behaviour behaviour;
    change(behaviour);
    return behaviour;
}

TestHttpServer::Handler gateway(const Dag& dag, Behaviour behaviour) {
    return [&dag, behaviour](const ServedRequest& request) {
        ServedResponse response;
        response.delay_ms = behaviour.delay_ms;
        const std::string& target = request.target;
        if (!target.starts_with("/ipfs/") || !behaviour.has_content) {
            response.status = 404;
            response.body = "not found";
            return response;
        }
        const size_t question = target.find('?');
        const auto cid = Cid::parse(target.substr(6, question - 6));
        const std::string query = question == std::string::npos ? "" : target.substr(question + 1);
        if (!cid) {
            response.status = 400;
            return response;
        }
        if (query.find("format=car") != std::string::npos) {
            if (!behaviour.serves_car || *cid != dag.root) {
                response.status = behaviour.serves_car ? 404 : 406;
                return response;
            }
            const Bytes car = dag.car(behaviour.corrupt, behaviour.car_blocks);
            response.body.assign(car.begin(), car.end());
            response.headers.emplace_back("Content-Type", "application/vnd.ipld.car; version=1");
            return response;
        }
        if (query.find("format=raw") != std::string::npos && behaviour.serves_raw) {
            const auto found = dag.blocks.find(*cid);
            if (found == dag.blocks.end()) {
                response.status = 404;
                return response;
            }
            Bytes block = found->second;
            if (behaviour.corrupt && *behaviour.corrupt == *cid) block[block.size() / 2] ^= 0x01;
            response.body.assign(block.begin(), block.end());
            return response;
        }
        response.status = 400;
        return response;
    };
}

class IpfsOriginTest : public ::testing::Test {
protected:
    void SetUp() override {
        store = content::Blockstore::open(scratch / "blockstore", {}).value();
        resolver = Resolver::open(scratch / "resolver").value();
    }
    std::unique_ptr<IpfsOrigin> origin(std::vector<std::string> gateways, IpfsOriginOptions options = {}) {
        options.gateways = std::move(gateways);
        options.connect_timeout_ms = 2000;
        if (options.request_timeout_ms == IpfsOriginOptions{}.request_timeout_ms) options.request_timeout_ms = 10000;
        return std::make_unique<IpfsOrigin>(options, *store, *resolver);
    }
    // Everything the store holds for the DAG checks out: the file, and every block by CID.
    void expect_stored(const Dag& dag, const Bytes& content, const FetchedIpfs& fetched) {
        EXPECT_EQ(fetched.record.kind, ResolvedKind::file);
        EXPECT_EQ(fetched.record.hash, crypto::blake3(content));
        EXPECT_EQ(fetched.record.size, content.size());
        EXPECT_EQ(store->read_range(fetched.record.hash, 0, content.size()).value(), content);
        IpfsStore ipfs(*store, *resolver);
        for (const auto& [cid, block] : dag.blocks) {
            const auto held = ipfs.get(cid).value();
            ASSERT_TRUE(held.has_value()) << cid.to_string();
            EXPECT_EQ(*held, block);
        }
        EXPECT_EQ(resolver->ipfs(dag.root).value(), fetched.record);
    }

    ScratchDirectory scratch;
    std::unique_ptr<content::Blockstore> store;
    std::unique_ptr<Resolver> resolver;
};

TEST_F(IpfsOriginTest, OneCarRequestFetchesAFileDag) {
    const Bytes content = random_bytes(1'000'000, 1);
    const Dag dag = file_dag(content);
    TestHttpServer server(gateway(dag, {}));
    auto ipfs = origin({server.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    EXPECT_FALSE(fetched.cached);
    EXPECT_EQ(fetched.blocks, dag.blocks.size());
    expect_stored(dag, content, fetched);
    EXPECT_EQ(ipfs->stats().car_requests, 1u);
    EXPECT_EQ(ipfs->stats().raw_requests, 0u);
    const auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].headers.at("accept"), "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    // A second fetch finds it in the store.
    EXPECT_TRUE(ipfs->fetch(dag.root.to_v1()).value().cached);
    EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(IpfsOriginTest, FallsBackToRawBlocksWhenCarsAreRefusedOrCut) {
    const Bytes content = random_bytes(700'000, 2);
    const Dag dag = file_dag(content);
    TestHttpServer no_car(gateway(dag, with([&](Behaviour& b) { b.serves_car = false; })));
    auto ipfs = origin({no_car.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    expect_stored(dag, content, fetched);
    EXPECT_EQ(ipfs->stats().raw_requests, dag.blocks.size());
    // A CAR cut after 3 blocks: the rest come as raw blocks.
    ScratchDirectory other;
    store = content::Blockstore::open(other / "blockstore", {}).value();
    resolver = Resolver::open(other / "resolver").value();
    TestHttpServer cut(gateway(dag, with([&](Behaviour& b) { b.car_blocks = 3; })));
    auto second = origin({cut.url()});
    expect_stored(dag, content, second->fetch(dag.root).value());
    EXPECT_EQ(second->stats().car_requests, 1u);
    EXPECT_EQ(second->stats().raw_requests, dag.blocks.size() - 3);
}

TEST_F(IpfsOriginTest, CorruptBlockIsRejectedAndTheNextGatewayUsed) {
    const Bytes content = random_bytes(500'000, 3);
    const Dag dag = file_dag(content);
    const Cid victim = dag.order()[3];
    TestHttpServer liar(gateway(dag, with([&](Behaviour& b) { b.corrupt = victim; })));
    TestHttpServer honest(gateway(dag, {}));
    auto ipfs = origin({liar.url(), honest.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    expect_stored(dag, content, fetched);
    EXPECT_EQ(ipfs->stats().rejected_blocks, 1u);
    // The liar's good blocks were kept; the honest one completed the DAG (by CAR).
    EXPECT_EQ(liar.count("format=raw"), 0u);
}

TEST_F(IpfsOriginTest, OnlyALiarMeansAClearErrorAndNothingStored) {
    const Bytes content = random_bytes(400'000, 4);
    const Dag dag = file_dag(content);
    const Cid victim = dag.order().back();
    TestHttpServer liar(gateway(dag, with([&](Behaviour& b) { b.corrupt = victim; })));
    auto ipfs = origin({liar.url()});
    const auto fetched = ipfs->fetch(dag.root);
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::verification_failed);
    EXPECT_NE(fetched.error().message.find("does not match its CID"), std::string::npos) << fetched.error().message;
    EXPECT_NE(fetched.error().message.find(victim.to_string()), std::string::npos) << fetched.error().message;
    // Nothing was committed: no object in the blockstore, no record, no block location.
    EXPECT_EQ(store->stats().objects, 0u);
    const auto counts = resolver->count();
    EXPECT_EQ(counts.ipfs + counts.blocks, 0u);
    // The liar is not asked for raw blocks after lying.
    EXPECT_EQ(liar.count("format=raw"), 0u);
}

TEST_F(IpfsOriginTest, NotFoundUnavailableAndTimeouts) {
    const Bytes content = random_bytes(100'000, 5);
    const Dag dag = file_dag(content);
    TestHttpServer empty(gateway(dag, with([&](Behaviour& b) { b.has_content = false; })));
    auto ipfs = origin({empty.url()});
    auto fetched = ipfs->fetch(dag.root);
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::not_found);
    // A gateway that does not answer in time is left for the next one.
    TestHttpServer slow(gateway(dag, with([&](Behaviour& b) { b.delay_ms = 3000; })));
    TestHttpServer fast(gateway(dag, {}));
    IpfsOriginOptions options;
    options.request_timeout_ms = 500;
    auto with_timeout = origin({slow.url(), fast.url()}, options);
    const auto started = std::chrono::steady_clock::now();
    expect_stored(dag, content, with_timeout->fetch(dag.root).value());
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
    // Nobody listening.
    auto nobody = origin({"http://127.0.0.1:1"});
    const Cid other = ipld::Cid::of(ipld::multicodec::raw, as_bytes("other"));
    fetched = nobody->fetch(other);
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::unavailable);
    // No gateways at all.
    fetched = origin({})->fetch(other);
    EXPECT_EQ(fetched.error().code, OriginErrorCode::disabled);
}

TEST_F(IpfsOriginTest, LimitsStopTheFetch) {
    const Bytes content = random_bytes(600'000, 6);
    const Dag dag = file_dag(content);
    TestHttpServer server(gateway(dag, {}));
    IpfsOriginOptions options;
    options.max_content_bytes = 300'000;
    auto fetched = origin({server.url()}, options)->fetch(dag.root);
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::too_large);
    options = {};
    options.max_blocks = 3;
    fetched = origin({server.url()}, options)->fetch(dag.root);
    EXPECT_EQ(fetched.error().code, OriginErrorCode::too_large);
    options = {};
    options.max_block_bytes = 1000;
    fetched = origin({server.url()}, options)->fetch(dag.root);
    EXPECT_EQ(fetched.error().code, OriginErrorCode::too_large);
    EXPECT_EQ(store->stats().objects, 0u);
}

TEST_F(IpfsOriginTest, ConcurrentFetchesShareOne) {
    const Bytes content = random_bytes(300'000, 7);
    const Dag dag = file_dag(content);
    TestHttpServer server(gateway(dag, with([&](Behaviour& b) { b.delay_ms = 300; })));
    auto ipfs = origin({server.url()});
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            auto fetched = ipfs->fetch(dag.root);
            if (fetched && fetched->record.hash == crypto::blake3(content)) ++ok;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 8);
    EXPECT_EQ(ipfs->stats().fetches, 1u);
    EXPECT_EQ(server.count("format=car"), 1u);
}

TEST_F(IpfsOriginTest, DirectoriesAndHamtShardsBecomeDirectories) {
    Dag dag;
    ipld::ImportOptions options = ipld::ImportOptions::ipfs_car();
    options.shard_threshold = 20;  // a HAMT from 60 entries
    std::vector<ipld::NamedNode> entries;
    for (int i = 0; i < 60; ++i) {
        const std::string name = "f" + std::to_string(i) + ".txt";
        entries.push_back({name, ipld::import_bytes(as_bytes(name), options, dag.sink()).value()});
    }
    const ipld::ImportedNode hamt = ipld::import_directory(entries, options, dag.sink()).value();
    const ipld::ImportedNode link = ipld::import_symlink("f1.txt", options, dag.sink()).value();
    const ipld::ImportedNode top = ipld::import_directory({{"shard", hamt}, {"readme", entries[0].node}, {"link", link}}, options, dag.sink()).value();
    dag.root = top.cid;
    TestHttpServer server(gateway(dag, {}));
    auto ipfs = origin({server.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    EXPECT_EQ(fetched.record.kind, ResolvedKind::directory);
    EXPECT_EQ(fetched.record.size, 3u);
    const auto resolved = store->resolve_path(fetched.record.hash, "shard/f42.txt").value();
    EXPECT_EQ(store->read_range(resolved.hash, 0, 7).value(), to_bytes("f42.txt"));
    const content::Directory top_directory = store->directory(fetched.record.hash).value();
    const content::DirectoryEntry* symlink = top_directory.find("link");
    ASSERT_NE(symlink, nullptr);
    EXPECT_EQ(symlink->kind, content::EntryKind::symlink);
    EXPECT_EQ(symlink->target, "f1.txt");
    // Every node of the DAG has its record: the shard, each file.
    EXPECT_EQ(resolver->ipfs(hamt.cid).value()->kind, ResolvedKind::directory);
    EXPECT_EQ(resolver->ipfs(entries[42].node.cid).value()->hash, crypto::blake3(as_bytes("f42.txt")));
}

// The gateways the operator configured are reachable wherever they are; a redirect from one of
// them to another internal address is refused before anything is sent there.
TEST_F(IpfsOriginTest, RedirectsFromAGatewayToInternalAddressesAreRefused) {
    const Bytes content = random_bytes(3000, 12);
    const Dag dag = file_dag(content);
    TestHttpServer internal(gateway(dag, {}));
    const std::string inside = internal.url();
    TestHttpServer redirecting([inside](const ServedRequest& request) {
        ServedResponse response;
        response.status = 302;
        response.headers.emplace_back("Location", inside + request.target);
        return response;
    }, "127.0.0.2");
    auto ipfs = origin({redirecting.url()});
    const auto refused = ipfs->fetch(dag.root);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find("127.0.0.1 is a loopback address"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(internal.requests().empty());
    EXPECT_GE(redirecting.requests().size(), 1u);
    EXPECT_FALSE(resolver->ipfs(dag.root).value().has_value());
}

}  // namespace
}  // namespace fleek::origins
