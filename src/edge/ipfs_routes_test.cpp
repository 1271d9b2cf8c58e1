#include "edge/ipfs_routes.h"

#include "ipld/car.h"
#include "ipld/importer.h"
#include "tests/support/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

namespace fleek::edge {
namespace {

using ipld::Cid;
using testing::ScratchDirectory;

TEST(IpfsRequest, FormatFromQueryOrAccept) {
    EXPECT_EQ(parse_ipfs_request("", "").value().format, IpfsFormat::deserialized);
    EXPECT_EQ(parse_ipfs_request("format=raw", "").value().format, IpfsFormat::raw);
    EXPECT_EQ(parse_ipfs_request("format=car", "application/vnd.ipld.raw").value().format, IpfsFormat::car);  // the query wins
    EXPECT_EQ(parse_ipfs_request("", "application/vnd.ipld.raw").value().format, IpfsFormat::raw);
    EXPECT_EQ(parse_ipfs_request("", "text/html, application/vnd.ipld.car; version=1; order=dfs; dups=n").value().format, IpfsFormat::car);
    EXPECT_EQ(parse_ipfs_request("", "application/vnd.ipld.car;version=2, application/vnd.ipld.raw").value().format, IpfsFormat::raw);
    EXPECT_FALSE(parse_ipfs_request("", "application/vnd.ipld.car; version=2").has_value());
    EXPECT_FALSE(parse_ipfs_request("format=dag-json", "").has_value());
    EXPECT_FALSE(parse_ipfs_request("format=car&car-version=2", "").has_value());
    EXPECT_FALSE(parse_ipfs_request("format=car&car-order=bfs", "").has_value());
    EXPECT_FALSE(parse_ipfs_request("format=car&car-dups=maybe", "").has_value());
    EXPECT_TRUE(parse_ipfs_request("format=car&car-order=unk&car-dups=y&filename=x.car&download=true", "").has_value());
}

TEST(IpfsRequest, ScopeAndEntityBytes) {
    auto options = parse_ipfs_request("format=car&dag-scope=block", "").value();
    EXPECT_EQ(options.car.scope, ipld::DagScope::block);
    options = parse_ipfs_request("format=car&entity-bytes=10:-5", "").value();
    EXPECT_EQ(options.car.scope, ipld::DagScope::entity);
    ASSERT_TRUE(options.car.bytes.has_value());
    EXPECT_EQ(options.car.bytes->from, 10);
    EXPECT_EQ(options.car.bytes->to, -5);
    options = parse_ipfs_request("format=car&dag-scope=entity&entity-bytes=-100:*", "").value();
    EXPECT_EQ(options.car.bytes->from, -100);
    EXPECT_FALSE(options.car.bytes->to.has_value());
    EXPECT_FALSE(parse_ipfs_request("format=car&dag-scope=block&entity-bytes=0:10", "").has_value());
    EXPECT_FALSE(parse_ipfs_request("format=car&dag-scope=some", "").has_value());
    EXPECT_FALSE(parse_entity_bytes("10").has_value());
    EXPECT_FALSE(parse_entity_bytes("a:10").has_value());
    EXPECT_FALSE(parse_entity_bytes("20:10").has_value());
    EXPECT_FALSE(parse_entity_bytes("0:x").has_value());
    EXPECT_TRUE(parse_entity_bytes("0:0").has_value());
}

// A DAG held by a node the way the IPFS origin leaves it: a CAR in the blockstore, block
// locations and records in the resolver.
class IpfsRoutesTest : public ::testing::Test {
protected:
    void SetUp() override {
        blockstore = content::Blockstore::open(scratch / "blockstore", {}).value();
        resolver = origins::Resolver::open(scratch / "resolver").value();
        store = std::make_unique<origins::IpfsStore>(*blockstore, *resolver);
    }

    void hold(const Cid& root, const std::map<Cid, Bytes>& blocks, const std::map<Cid, Bytes>& files) {
        Bytes car;
        ipld::append_car_header(car, {root});
        for (const auto& [cid, block] : blocks) ipld::append_car_section(car, cid, block);
        const auto car_hash = blockstore->put(car).value();
        const ipld::CarContents contents = ipld::read_car(car).value();
        origins::Resolver::IpfsBatch batch;
        for (const auto& block : contents.blocks) {
            batch.blocks.emplace_back(Bytes(block.cid.multihash().begin(), block.cid.multihash().end()),
                                      origins::BlockLocation{car_hash, block.block_offset, static_cast<uint32_t>(block.block_size)});
        }
        for (const auto& [cid, content] : files) {
            const auto hash = blockstore->put(content).value();
            batch.records.emplace_back(cid, origins::IpfsRecord{origins::ResolvedKind::file, hash, content.size(), car_hash});
        }
        ASSERT_TRUE(resolver->put_ipfs(batch).has_value());
    }

    IpfsPlan plan(const std::string& cid, const std::string& path = "", const std::string& query = "", const std::string& accept = "",
                  const std::string& if_none_match = "") {
        Route route;
        route.kind = RouteKind::ipfs;
        route.cid = cid;
        route.path = path;
        route.query = query;
        return plan_ipfs_response(*store, route, IpfsRequestHeaders{accept, if_none_match});
    }

    static std::string header(const IpfsPlan& plan, std::string_view name) {
        for (const auto& [key, value] : plan.headers) {
            if (key == name) return value;
        }
        return {};
    }

    ScratchDirectory scratch;
    std::unique_ptr<content::Blockstore> blockstore;
    std::unique_ptr<origins::Resolver> resolver;
    std::unique_ptr<origins::IpfsStore> store;
};

TEST_F(IpfsRoutesTest, RawCarAndDeserializedPlans) {
    std::map<Cid, Bytes> blocks;
    const auto sink = [&](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
        blocks.emplace(cid, Bytes(block.begin(), block.end()));
        return {};
    };
    ipld::ImportOptions options = ipld::ImportOptions::kubo_v1();
    options.chunk_size = 1000;
    Bytes content(5500);
    for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<uint8_t>(i * 7);
    const auto file = ipld::import_bytes(content, options, sink).value();
    const auto readme = ipld::import_bytes(as_bytes("hi"), options, sink).value();
    const auto dir = ipld::import_directory({{"data.bin", file}, {"readme.txt", readme}}, options, sink).value();
    hold(dir.cid, blocks, {{file.cid, content}, {readme.cid, to_bytes("hi")}});
    const std::string root = dir.cid.to_string();

    // Raw block of the root.
    IpfsPlan raw = plan(root, "", "format=raw");
    EXPECT_EQ(raw.kind, IpfsPlan::Kind::text);
    EXPECT_EQ(raw.status, 200);
    EXPECT_EQ(raw.content_type, "application/vnd.ipld.raw");
    EXPECT_TRUE(dir.cid.verify(as_bytes(raw.body)));
    EXPECT_EQ(header(raw, "ETag"), "\"" + root + ".raw\"");
    EXPECT_EQ(header(raw, "X-Ipfs-Roots"), root);
    EXPECT_EQ(header(raw, "Cache-Control"), "public, max-age=29030400, immutable");
    EXPECT_EQ(plan(root, "", "format=raw", "", header(raw, "ETag")).kind, IpfsPlan::Kind::not_modified);

    // CAR of everything: root, then depth first.
    IpfsPlan car = plan(root, "", "", "application/vnd.ipld.car");
    ASSERT_EQ(car.kind, IpfsPlan::Kind::car);
    EXPECT_EQ(car.blocks.size(), blocks.size());
    EXPECT_EQ(car.blocks.front().cid, dir.cid);
    EXPECT_EQ(car.content_type, "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    uint64_t length = car.car_header.size();
    for (const auto& block : car.blocks) length += ipld::car_section_size(block.cid, blocks.at(block.cid).size());
    EXPECT_EQ(car.content_length, length);
    // A path and a byte range: the directory (proof), the file root and the leaves covering 1500..2100.
    IpfsPlan range = plan(root, "data.bin", "format=car&entity-bytes=1500:2100");
    ASSERT_EQ(range.kind, IpfsPlan::Kind::car);
    ASSERT_EQ(range.blocks.size(), 4u);
    EXPECT_EQ(range.blocks[0].cid, dir.cid);
    EXPECT_EQ(range.blocks[1].cid, file.cid);
    EXPECT_EQ(header(range, "X-Ipfs-Roots"), root + "," + file.cid.to_string());
    EXPECT_EQ(header(range, "X-Ipfs-Path"), "/ipfs/" + root + "/data.bin");
    EXPECT_NE(header(range, "ETag"), header(plan(root, "data.bin", "format=car"), "ETag"));
    // dag-scope=block: the terminal block only (after the path proof).
    EXPECT_EQ(plan(root, "data.bin", "format=car&dag-scope=block").blocks.size(), 2u);

    // Deserialized: a file by path, a listing for the directory.
    IpfsPlan served = plan(root, "data.bin");
    ASSERT_EQ(served.kind, IpfsPlan::Kind::file);
    EXPECT_EQ(served.file_hash, crypto::blake3(content));
    EXPECT_EQ(header(served, "ETag"), "\"" + file.cid.to_string() + "\"");
    EXPECT_EQ(plan(root, "readme.txt").content_type, "text/plain; charset=utf-8");
    IpfsPlan listing = plan(root);
    ASSERT_EQ(listing.kind, IpfsPlan::Kind::text);
    const auto json = nlohmann::json::parse(listing.body);
    ASSERT_EQ(json["entries"].size(), 2u);
    EXPECT_EQ(json["entries"][0]["name"], "data.bin");

    // Errors.
    EXPECT_EQ(plan("not-a-cid").status, 400);
    EXPECT_EQ(plan(root, "nope").status, 404);
    EXPECT_EQ(plan(root, "data.bin/x").status, 404);
    EXPECT_EQ(plan(Cid::of(ipld::multicodec::raw, as_bytes("elsewhere")).to_string()).status, 404);
    EXPECT_EQ(plan(root, "", "format=zip").status, 400);
    EXPECT_NE(plan(root, "nope").body.find("nope"), std::string::npos);
}

TEST_F(IpfsRoutesTest, IdentityProbe) {
    const IpfsPlan raw = plan("bafkqaaa", "", "format=raw");
    EXPECT_EQ(raw.status, 200);
    EXPECT_TRUE(raw.body.empty());
    const IpfsPlan car = plan("bafkqaaa", "", "format=car");
    ASSERT_EQ(car.kind, IpfsPlan::Kind::car);
    EXPECT_TRUE(car.blocks.empty());  // identity blocks never appear in CARs
    EXPECT_EQ(plan("bafkqaaa").status, 200);
}

}  // namespace
}  // namespace fleek::edge
