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

    // `path` as in the request after the CID: "/" for "/ipfs/<cid>/".
    IpfsPlan plan(const std::string& cid, const std::string& path = "", const std::string& query = "", const std::string& accept = "",
                  const std::string& if_none_match = "", const std::string& cache_control = "") {
        const Route route = route_request(Method::get, "/ipfs/" + cid + (path.empty() || path[0] == '/' ? "" : "/") + path +
                                                           (query.empty() ? "" : "?" + query));
        EXPECT_EQ(route.kind, RouteKind::ipfs);
        return plan_ipfs_response(*store, route, IpfsRequestHeaders{accept, if_none_match, cache_control});
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
    IpfsPlan listing = plan(root, "/");
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

// The path gateway's rules for what a gateway does not hold, directories and unnamed files.
TEST_F(IpfsRoutesTest, OnlyIfCachedRedirectsAndSniffing) {
    std::map<Cid, Bytes> blocks;
    const auto sink = [&](const Cid& cid, ByteSpan block) -> Result<void, std::string> {
        blocks.emplace(cid, Bytes(block.begin(), block.end()));
        return {};
    };
    ipld::ImportOptions options = ipld::ImportOptions::kubo_v1();
    options.chunk_size = 1000;
    const std::string png = std::string("\x89PNG\x0D\x0A\x1A\x0A", 8) + std::string(3000, 'p');
    const std::string page = "<!DOCTYPE html><title>x</title>";
    const auto image = ipld::import_bytes(as_bytes(png), options, sink).value();
    const auto html = ipld::import_bytes(as_bytes(page), options, sink).value();
    const auto text = ipld::import_bytes(as_bytes("plain words"), options, sink).value();
    const auto sub = ipld::import_directory({{"notes", text}}, options, sink).value();
    const auto dir = ipld::import_directory({{"picture", image}, {"page", html}, {"sub dir", sub}}, options, sink).value();
    const Cid missing = ipld::import_bytes(as_bytes("this node never saw it"), options, [](const Cid&, ByteSpan) -> Result<void, std::string> {
                            return {};
                        }).value().cid;
    hold(dir.cid, blocks, {{image.cid, to_bytes(png)}, {html.cid, to_bytes(page)}, {text.cid, to_bytes("plain words")}});
    const std::string root = dir.cid.to_string();

    // Cache-Control: only-if-cached: 412 for what is not held, the usual answer for what is.
    const std::string only = "only-if-cached";
    EXPECT_EQ(plan(missing.to_string()).status, 404);
    const IpfsPlan refused = plan(missing.to_string(), "", "", "", "", "max-age=0, Only-If-Cached");
    EXPECT_EQ(refused.status, 412);
    EXPECT_TRUE(refused.not_held);
    EXPECT_EQ(plan(missing.to_string(), "", "format=raw", "", "", only).status, 412);
    EXPECT_EQ(plan(missing.to_string(), "", "format=car", "", "", only).status, 412);
    EXPECT_EQ(plan(root, "picture", "", "", "", only).status, 200);
    EXPECT_EQ(plan(root, "/", "format=car", "", "", only).status, 200);
    EXPECT_EQ(plan(root, "nope", "", "", "", only).status, 404);  // held, and there is no such name
    // A file whose content left the store (its blocks are still held).
    ASSERT_TRUE(blockstore->remove(crypto::blake3(as_bytes(page))).has_value());
    EXPECT_EQ(plan(root, "page").status, 404);
    EXPECT_EQ(plan(root, "page", "", "", "", only).status, 412);
    EXPECT_TRUE(only_if_cached("no-cache,only-if-cached"));
    EXPECT_FALSE(only_if_cached("only-if-cached-not"));

    // A directory without its trailing slash: 301 to the slash form, query kept.
    const IpfsPlan moved = plan(root);
    EXPECT_EQ(moved.status, 301);
    EXPECT_EQ(header(moved, "Location"), "/ipfs/" + root + "/");
    const IpfsPlan moved_sub = plan(root, "sub dir", "download=false");
    EXPECT_EQ(moved_sub.status, 301);
    EXPECT_EQ(header(moved_sub, "Location"), "/ipfs/" + root + "/sub%20dir/?download=false");
    EXPECT_EQ(plan(root, "sub dir/").kind, IpfsPlan::Kind::text);  // the listing
    EXPECT_EQ(plan(root, "sub dir/").status, 200);
    EXPECT_EQ(plan(root, "", "format=raw").status, 200);  // not for raw or CAR answers
    EXPECT_EQ(plan(root, "picture").status, 200);        // nor for files

    // No extension: the first bytes say what it is.
    EXPECT_EQ(plan(root, "picture").content_type, "image/png");
    EXPECT_EQ(plan(image.cid.to_string()).content_type, "image/png");
    EXPECT_EQ(plan(text.cid.to_string()).content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(plan(root, "sub dir/notes").content_type, "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace fleek::edge
