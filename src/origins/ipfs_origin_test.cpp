#include "origins/ipfs_origin.h"

#include "ipld/car.h"
#include "ipld/dag.h"
#include "ipld/importer.h"
#include "ipld/unixfs.h"
#include "origins/ipfs_store.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"
#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>

#include <thread>

namespace fleek::origins {
namespace {

using ipld::Cid;
using testing::ScratchDirectory;
using testing::ServedRequest;
using testing::ServedResponse;
using testing::TestHttpServer;

using testing::random_bytes;

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
    // `extra` is inserted after `extra_after` blocks (a block the DAG does not hold).
    Bytes car(const std::optional<Cid>& corrupt = std::nullopt, size_t keep_blocks = SIZE_MAX,
              const std::optional<std::pair<Cid, Bytes>>& extra = std::nullopt, size_t extra_after = 1) const {
        Bytes out;
        ipld::append_car_header(out, {root});
        size_t kept = 0;
        for (const Cid& cid : order()) {
            if (extra && kept == extra_after) ipld::append_car_section(out, extra->first, extra->second);
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
    std::optional<std::pair<Cid, Bytes>> extra_block;  // sent inside CARs, after extra_after blocks
    size_t extra_after = 1;
    std::map<Cid, Bytes> raw_answers;  // raw answers replaced by these bytes
    int raw_delay_ms = 0;
    size_t car_chunk_bytes = 0;        // CARs sent this many bytes at a time ...
    int car_chunk_interval_ms = 0;     // ... with this pause before each piece
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
            const Bytes car = dag.car(behaviour.corrupt, behaviour.car_blocks, behaviour.extra_block, behaviour.extra_after);
            response.body.assign(car.begin(), car.end());
            response.chunk_bytes = behaviour.car_chunk_bytes;
            response.chunk_interval_ms = behaviour.car_chunk_interval_ms;
            response.headers.emplace_back("Content-Type", "application/vnd.ipld.car; version=1");
            return response;
        }
        if (query.find("format=raw") != std::string::npos && behaviour.serves_raw) {
            response.delay_ms += behaviour.raw_delay_ms;
            if (const auto replaced = behaviour.raw_answers.find(*cid); replaced != behaviour.raw_answers.end()) {
                response.body.assign(replaced->second.begin(), replaced->second.end());
                return response;
            }
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
    // No record, nothing of the content; the bad block is not held. The blocks before it matched
    // their CIDs: they are kept (one partial CAR) for the next attempt.
    const auto counts = resolver->count();
    EXPECT_EQ(counts.ipfs, 0u);
    EXPECT_EQ(counts.blocks, dag.blocks.size() - 1);
    EXPECT_EQ(store->stats().objects, 1u);
    EXPECT_FALSE(IpfsStore(*store, *resolver).get(victim).value().has_value());
    EXPECT_FALSE(store->info(crypto::blake3(content)).has_value());
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

// A file node linking `links` times to one raw leaf of `leaf_bytes`: a CAR of two blocks that
// describes links * leaf_bytes bytes.
Dag repeated_leaf_dag(size_t leaf_bytes, size_t links) {
    Dag dag;
    const Bytes leaf = random_bytes(leaf_bytes, 40);
    const Cid leaf_cid = Cid::of(ipld::multicodec::raw, leaf);
    dag.blocks.emplace(leaf_cid, leaf);
    ipld::UnixfsData data;
    data.type = ipld::UnixfsType::file;
    data.filesize = leaf_bytes * links;
    data.blocksizes.assign(links, leaf_bytes);
    ipld::PbNode node;
    node.data = ipld::encode_unixfs(data);
    for (size_t i = 0; i < links; ++i) node.links.push_back(ipld::PbLink{leaf_cid, std::string(), leaf_bytes});
    const Bytes root = ipld::encode_dag_pb(node);
    dag.root = Cid::of(ipld::multicodec::dag_pb, root);
    dag.blocks.emplace(dag.root, root);
    return dag;
}

// A gateway that slips a block the DAG does not reach into its CAR: the block matches its own
// CID, but it is dropped (neither stored nor indexed), and the rest of the DAG still arrives.
TEST_F(IpfsOriginTest, BlocksOutsideTheDagAreDroppedNotStored) {
    const Bytes content = random_bytes(500'000, 10);
    const Dag dag = file_dag(content);
    const Bytes stranger = random_bytes(5000, 11);
    const Cid stranger_cid = Cid::of(ipld::multicodec::raw, stranger);
    TestHttpServer server(gateway(dag, with([&](Behaviour& b) {
        b.extra_block = std::make_pair(stranger_cid, stranger);
        b.extra_after = 2;
    })));
    auto ipfs = origin({server.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    expect_stored(dag, content, fetched);
    EXPECT_FALSE(IpfsStore(*store, *resolver).get(stranger_cid).value().has_value());
    EXPECT_EQ(resolver->count().blocks, dag.blocks.size());
    EXPECT_EQ(fetched.blocks, dag.blocks.size());
    EXPECT_EQ(ipfs->stats().unexpected_blocks, 1u);
    // The CAR was left at the stranger; the rest came block by block.
    EXPECT_EQ(ipfs->stats().raw_requests, dag.blocks.size() - 2);
}

// An undecodable block (a dag-pb CID over bytes that are not DAG-PB), a CAR section over the
// block limit and a raw answer over it each end that gateway's answer, not the fetch: the next
// gateway gives the block.
TEST_F(IpfsOriginTest, UndecodableAndOversizedAnswersFallBackToTheNextGateway) {
    const Bytes content = random_bytes(400'000, 12);
    const Dag dag = file_dag(content);
    IpfsOriginOptions options;
    options.max_block_bytes = 100'000;  // the DAG's blocks are 64 KiB
    const Bytes garbage = {0xff, 0xff, 0xff, 0x01};
    const Cid undecodable = Cid::of(ipld::multicodec::dag_pb, garbage);
    TestHttpServer sends_undecodable(gateway(dag, with([&](Behaviour& b) {
        b.extra_block = std::make_pair(undecodable, garbage);
        b.serves_raw = false;
    })));
    TestHttpServer honest(gateway(dag, {}));
    auto ipfs = origin({sends_undecodable.url(), honest.url()}, options);
    expect_stored(dag, content, ipfs->fetch(dag.root).value());
    EXPECT_EQ(sends_undecodable.count("format=car"), 1u);
    EXPECT_EQ(honest.count("format=car"), 0u);  // the root came with the first CAR
    EXPECT_EQ(honest.count("format=raw"), dag.blocks.size() - 1);
    EXPECT_EQ(ipfs->stats().unexpected_blocks, 1u);
    EXPECT_FALSE(IpfsStore(*store, *resolver).get(undecodable).value().has_value());
    // An oversized CAR section and an oversized raw body: that gateway's answer only.
    const Bytes big = random_bytes(150'000, 13);
    TestHttpServer sends_oversized(gateway(dag, with([&](Behaviour& b) {
        b.extra_block = std::make_pair(Cid::of(ipld::multicodec::raw, big), big);
        b.raw_answers[dag.order()[1]] = big;
    })));
    ScratchDirectory other;
    store = content::Blockstore::open(other / "blockstore", {}).value();
    resolver = Resolver::open(other / "resolver").value();
    auto second = origin({sends_oversized.url(), honest.url()}, options);
    const size_t honest_requests = honest.requests().size();
    expect_stored(dag, content, second->fetch(dag.root).value());
    EXPECT_EQ(second->stats().oversized_blocks, 2u);  // the CAR section, then the raw answer
    // The honest gateway was asked for that one block only.
    const auto requests = honest.requests();
    ASSERT_EQ(requests.size(), honest_requests + 1);
    EXPECT_EQ(requests.back().target, "/ipfs/" + dag.order()[1].to_string() + "?format=raw");
}

// A block the DAG links to that matches its CID but does not decode makes the DAG unreadable
// (no gateway can send other bytes for that CID): a typed error naming it, nothing stored.
TEST_F(IpfsOriginTest, AnUndecodableBlockOfTheDagIsATypedError) {
    Dag dag;
    const Bytes garbage = {0xff, 0xff, 0xff, 0x01};
    const Cid undecodable = Cid::of(ipld::multicodec::dag_pb, garbage);
    dag.blocks.emplace(undecodable, garbage);
    ipld::UnixfsData directory;
    directory.type = ipld::UnixfsType::directory;
    ipld::PbNode node;
    node.data = ipld::encode_unixfs(directory);
    node.links.push_back(ipld::PbLink{undecodable, std::string("bad"), garbage.size()});
    const Bytes root = ipld::encode_dag_pb(node);
    dag.root = Cid::of(ipld::multicodec::dag_pb, root);
    dag.blocks.emplace(dag.root, root);
    TestHttpServer server(gateway(dag, with([&](Behaviour& b) { b.serves_car = false; })));
    auto fetched = origin({server.url()})->fetch(dag.root);
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::unsupported);
    EXPECT_NE(fetched.error().message.find(undecodable.to_string()), std::string::npos) << fetched.error().message;
    EXPECT_EQ(store->stats().objects, 0u);
    EXPECT_EQ(resolver->count().blocks + resolver->count().ipfs, 0u);
}

// Two blocks of CAR describe a 16 MB file: the expanded size is checked against
// max_expanded_bytes before anything is written.
TEST_F(IpfsOriginTest, ExpandedSizeIsCappedBeforeAnythingIsWritten) {
    const Dag dag = repeated_leaf_dag(16384, 1000);
    TestHttpServer server(gateway(dag, {}));
    IpfsOriginOptions options;
    options.max_expanded_bytes = 10'000'000;
    auto fetched = origin({server.url()}, options)->fetch(dag.root);
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::too_large);
    EXPECT_NE(fetched.error().message.find("max_expanded_bytes"), std::string::npos) << fetched.error().message;
    EXPECT_EQ(store->stats().objects, 0u);
    EXPECT_EQ(store->stats().bytes, 0u);
    EXPECT_EQ(resolver->count().blocks + resolver->count().ipfs, 0u);
    // Under a larger cap the same DAG is stored, all 16 MB of it.
    options.max_expanded_bytes = 20'000'000;
    const FetchedIpfs stored = origin({server.url()}, options)->fetch(dag.root).value();
    EXPECT_EQ(stored.record.size, 16384u * 1000);
}

// A gateway that trickles its CAR below the low-speed limit is abandoned for the next one long
// before the request timeout.
TEST_F(IpfsOriginTest, ASlowGatewayIsAbandonedAtTheLowSpeedLimit) {
    const Bytes content = random_bytes(300'000, 14);
    const Dag dag = file_dag(content);
    TestHttpServer slow(gateway(dag, with([&](Behaviour& b) {
        b.car_chunk_bytes = 100;
        b.car_chunk_interval_ms = 250;  // 400 B/s
    })));
    TestHttpServer fast(gateway(dag, {}));
    IpfsOriginOptions options;
    options.request_timeout_ms = 60'000;
    options.low_speed_bytes_per_s = 4096;
    options.low_speed_time_s = 1;
    auto ipfs = origin({slow.url(), fast.url()}, options);
    const auto started = std::chrono::steady_clock::now();
    expect_stored(dag, content, ipfs->fetch(dag.root).value());
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8));
    EXPECT_EQ(slow.count("format=car"), 1u);
}

// A fetch has a deadline: a gateway fast enough for the low-speed limit but too slow for the
// deadline ends the fetch in time, with a message that says so.
TEST_F(IpfsOriginTest, AFetchEndsAtItsDeadline) {
    const Bytes content = random_bytes(700'000, 15);
    const Dag dag = file_dag(content);
    TestHttpServer slow(gateway(dag, with([&](Behaviour& b) {
        b.car_chunk_bytes = 2000;
        b.car_chunk_interval_ms = 50;  // 40 kB/s: 18 s for the CAR
        b.serves_raw = false;
    })));
    IpfsOriginOptions options;
    options.request_timeout_ms = 60'000;
    options.fetch_deadline_ms = 1500;
    auto ipfs = origin({slow.url()}, options);
    const auto started = std::chrono::steady_clock::now();
    const auto fetched = ipfs->fetch(dag.root);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(fetched.has_value());
    EXPECT_EQ(fetched.error().code, OriginErrorCode::unavailable);
    EXPECT_NE(fetched.error().message.find("deadline"), std::string::npos) << fetched.error().message;
    EXPECT_GE(elapsed, std::chrono::milliseconds(1400));
    EXPECT_LT(elapsed, std::chrono::seconds(5));
}

// A fetch that failed kept its verified blocks; the next one asks only for the others.
TEST_F(IpfsOriginTest, ASecondFetchResumesFromTheBlocksTheFirstKept) {
    const Bytes content = random_bytes(600'000, 16);
    const Dag dag = file_dag(content);
    TestHttpServer cut(gateway(dag, with([&](Behaviour& b) {
        b.car_blocks = 5;
        b.serves_raw = false;
    })));
    auto first = origin({cut.url()})->fetch(dag.root);
    ASSERT_FALSE(first.has_value());
    EXPECT_EQ(resolver->count().ipfs, 0u);  // no record: the DAG is not complete
    EXPECT_EQ(resolver->count().blocks, 5u);
    TestHttpServer raw_only(gateway(dag, with([&](Behaviour& b) { b.serves_car = false; })));
    auto ipfs = origin({raw_only.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    expect_stored(dag, content, fetched);
    EXPECT_EQ(fetched.fetched_blocks, dag.blocks.size() - 5);
    EXPECT_EQ(ipfs->stats().resumed_blocks, 5u);
    EXPECT_EQ(raw_only.requests().size(), dag.blocks.size() - 5);
    const auto order = dag.order();
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(raw_only.count(order[i].to_string()), 0u) << i;
}

// Missing blocks are asked many at once over a few reused connections.
TEST_F(IpfsOriginTest, RawBlocksKeepEightRequestsInFlightOverReusedConnections) {
    const Bytes content = random_bytes(40 * 65536, 17);
    const Dag dag = file_dag(content);  // a root and 40 leaves
    ASSERT_EQ(dag.blocks.size(), 41u);
    TestHttpServer server(gateway(dag, with([&](Behaviour& b) {
                              b.serves_car = false;
                              b.raw_delay_ms = 100;
                          })),
                          testing::TestHttpServerOptions{.keep_alive = true});
    auto ipfs = origin({server.url()});
    expect_stored(dag, content, ipfs->fetch(dag.root).value());
    EXPECT_EQ(server.count("format=raw"), 41u);
    EXPECT_GE(server.max_concurrent(), 8u);
    EXPECT_LE(server.connections(), 8u);  // the refused CAR's connection is reused too
    EXPECT_EQ(ipfs->stats().connections, server.connections());
}

// The block index follows the blockstore: a CAR that left it is forgotten as soon as a read
// notices, and a DAG whose CAR or content left is fetched again rather than reported cached.
TEST_F(IpfsOriginTest, EvictedBlocksAreForgottenAndTheDagFetchedAgain) {
    const Bytes content = random_bytes(300'000, 18);
    const Dag dag = file_dag(content);
    TestHttpServer server(gateway(dag, {}));
    auto ipfs = origin({server.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    const Hash32 car = fetched.record.car;
    ASSERT_TRUE(store->remove(car).has_value());  // as an eviction would
    IpfsStore held(*store, *resolver);
    EXPECT_FALSE(held.get(dag.order()[1]).value().has_value());
    EXPECT_EQ(resolver->count().blocks, 0u);  // every block of that CAR, not only the one read
    EXPECT_EQ(resolver->count().car_blocks, 0u);
    EXPECT_EQ(held.forgotten_cars(), 1u);
    // Asked again: not "cached", fetched again.
    const FetchedIpfs again = ipfs->fetch(dag.root).value();
    EXPECT_FALSE(again.cached);
    EXPECT_EQ(server.count("format=car"), 2u);
    expect_stored(dag, content, again);
}

TEST_F(IpfsOriginTest, ADirectoryWhoseContentLeftIsStoredAgain) {
    Dag dag;
    ipld::ImportOptions options = ipld::ImportOptions::kubo_v1();
    const Bytes a = random_bytes(3000, 19);
    const Bytes b = random_bytes(4000, 20);
    const ipld::ImportedNode file_a = ipld::import_bytes(a, options, dag.sink()).value();
    const ipld::ImportedNode file_b = ipld::import_bytes(b, options, dag.sink()).value();
    const ipld::ImportedNode inner = ipld::import_directory({{"b.bin", file_b}}, options, dag.sink()).value();
    dag.root = ipld::import_directory({{"a.bin", file_a}, {"inner", inner}}, options, dag.sink()).value().cid;
    TestHttpServer server(gateway(dag, {}));
    auto ipfs = origin({server.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    // A file deep inside the directory leaves the store (its CAR stays).
    ASSERT_TRUE(store->remove(crypto::blake3(b)).has_value());
    const FetchedIpfs again = ipfs->fetch(dag.root).value();
    EXPECT_FALSE(again.cached);
    EXPECT_EQ(again.fetched_blocks, 0u);  // every block was still held: no gateway asked
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(again.record, fetched.record);
    EXPECT_EQ(store->resolve_path(again.record.hash, "inner/b.bin").value().hash, crypto::blake3(b));
    EXPECT_EQ(store->read_range(crypto::blake3(b), 0, b.size()).value(), b);
    EXPECT_TRUE(ipfs->fetch(dag.root).value().cached);
}

// Blocks the node holds for another DAG are taken from the store, not asked again, wherever they
// turn up in the DAG being fetched.
TEST_F(IpfsOriginTest, BlocksHeldForAnotherDagAreNotAskedAgain) {
    Dag dag;
    ipld::ImportOptions options = ipld::ImportOptions::kubo_v1();
    options.chunk_size = 65536;
    const Bytes shared = random_bytes(300'000, 21);
    const Bytes own = random_bytes(200'000, 22);
    const ipld::ImportedNode shared_file = ipld::import_bytes(shared, options, dag.sink()).value();
    const ipld::ImportedNode own_file = ipld::import_bytes(own, options, dag.sink()).value();
    dag.root = ipld::import_directory({{"shared.bin", shared_file}, {"own.bin", own_file}}, options, dag.sink()).value().cid;
    Dag first;
    first.blocks = dag.blocks;
    first.root = shared_file.cid;
    TestHttpServer first_gateway(gateway(first, {}));
    ASSERT_TRUE(origin({first_gateway.url()})->fetch(shared_file.cid).has_value());
    const size_t shared_blocks = first.order().size();
    TestHttpServer raw_only(gateway(dag, with([&](Behaviour& b) { b.serves_car = false; })));
    auto ipfs = origin({raw_only.url()});
    const FetchedIpfs fetched = ipfs->fetch(dag.root).value();
    EXPECT_EQ(fetched.blocks, dag.blocks.size());
    EXPECT_EQ(fetched.fetched_blocks, dag.blocks.size() - shared_blocks);
    EXPECT_EQ(raw_only.count("format=raw"), dag.blocks.size() - shared_blocks);
    for (const Cid& cid : first.order()) EXPECT_EQ(raw_only.count(cid.to_string()), 0u);
    EXPECT_EQ(store->resolve_path(fetched.record.hash, "own.bin").value().hash, crypto::blake3(own));
    EXPECT_EQ(store->resolve_path(fetched.record.hash, "shared.bin").value().hash, crypto::blake3(shared));
}

}  // namespace
}  // namespace fleek::origins
