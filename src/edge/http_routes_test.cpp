#include "edge/http_routes.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

const std::string hex = std::string(64, 'a');

TEST(Routes, ContentRoutes) {
    Route route = route_request(Method::get, "/blake3/" + hex);
    EXPECT_EQ(route.kind, RouteKind::content);
    EXPECT_TRUE(route.has_hash);
    EXPECT_EQ(hex_encode(route.hash), hex);
    EXPECT_EQ(route.format, ContentFormat::raw);

    route = route_request(Method::head, "/services/0/blake3/" + hex + "/docs/a%20b.txt?format=raw&x=1");
    EXPECT_EQ(route.kind, RouteKind::content);
    EXPECT_EQ(route.path, "docs/a b.txt");

    route = route_request(Method::get, "/blake3/" + hex + "?format=verified&start=3&end=7");
    EXPECT_EQ(route.format, ContentFormat::verified);
    EXPECT_EQ(route.start_block, 3u);
    EXPECT_EQ(route.end_block, 7u);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "?format=dir").format, ContentFormat::directory);
    EXPECT_EQ(route_request(Method::get, "/health").kind, RouteKind::health);
    EXPECT_EQ(route_request(Method::get, "/handshake").kind, RouteKind::handshake);
    EXPECT_EQ(route_request(Method::get, "/services/0/handshake").kind, RouteKind::handshake);
    EXPECT_EQ(route_request(Method::put, "/handshake").kind, RouteKind::method_not_allowed);
    EXPECT_EQ(route_request(Method::get, "/handshake/x").kind, RouteKind::not_found);
}

TEST(Routes, BadRequests) {
    EXPECT_EQ(route_request(Method::get, "/blake3/abc").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + std::string(64, 'g')).kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "?format=zip").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "?start=x").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "?start=01").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "?start=5&end=4").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "/a%2").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3/" + hex + "/a%00b").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/ipfsx").kind, RouteKind::not_found);
    EXPECT_EQ(route_request(Method::get, "/").kind, RouteKind::not_found);
    EXPECT_EQ(route_request(Method::get, "/blake3x").kind, RouteKind::not_found);
}

TEST(Routes, IpfsAndHttpOriginRoutes) {
    Route route = route_request(Method::get, "/ipfs/bafkqaaa/docs/a%20b.txt?format=car&dag-scope=entity");
    EXPECT_EQ(route.kind, RouteKind::ipfs);
    EXPECT_EQ(route.cid, "bafkqaaa");
    EXPECT_EQ(route.path, "docs/a b.txt");
    EXPECT_EQ(route.query, "format=car&dag-scope=entity");
    EXPECT_EQ(route_request(Method::head, "/services/0/ipfs/Qm123").kind, RouteKind::ipfs);
    route = route_request(Method::put, "/ipfs/bafkqaaa");
    EXPECT_EQ(route.kind, RouteKind::ipfs_fetch);
    EXPECT_EQ(route_request(Method::put, "/ipfs/bafkqaaa/x").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/ipfs/").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::other, "/ipfs/bafkqaaa").kind, RouteKind::method_not_allowed);
    route = route_request(Method::put, "/http?x=1&url=https%3A%2F%2Fexample.com%2Fa.js%23integrity%3Dsha256-abc");
    EXPECT_EQ(route.kind, RouteKind::http_fetch);
    EXPECT_EQ(route.url, "https://example.com/a.js#integrity=sha256-abc");
    EXPECT_EQ(route_request(Method::put, "/http").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::put, "/http?url=%zz").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/http?url=x").kind, RouteKind::method_not_allowed);
}

TEST(Routes, UploadsAndMethods) {
    EXPECT_EQ(route_request(Method::put, "/blake3").kind, RouteKind::upload);
    Route expected = route_request(Method::put, "/blake3/" + hex);
    EXPECT_EQ(expected.kind, RouteKind::upload);
    EXPECT_TRUE(expected.has_hash);
    EXPECT_EQ(route_request(Method::put, "/blake3?format=dir").kind, RouteKind::upload_directory);
    EXPECT_EQ(route_request(Method::put, "/blake3/" + hex + "/path").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::get, "/blake3").kind, RouteKind::method_not_allowed);
    Route other = route_request(Method::other, "/blake3/" + hex);
    EXPECT_EQ(other.kind, RouteKind::method_not_allowed);
    EXPECT_STREQ(other.allow, "GET, HEAD");
    EXPECT_EQ(route_request(Method::put, "/health").kind, RouteKind::method_not_allowed);
}

TEST(Range, RFC9110Forms) {
    const auto check = [](std::string_view header, uint64_t length, RangeKind kind, uint64_t first = 0, uint64_t last = 0) {
        const RangeResult result = parse_range(header, length);
        EXPECT_EQ(result.kind, kind) << header;
        if (kind == RangeKind::satisfiable) {
            EXPECT_EQ(result.range.first, first) << header;
            EXPECT_EQ(result.range.last, last) << header;
        }
    };
    check("bytes=0-99", 1000, RangeKind::satisfiable, 0, 99);
    check("bytes=900-", 1000, RangeKind::satisfiable, 900, 999);
    check("bytes=900-5000", 1000, RangeKind::satisfiable, 900, 999);
    check("bytes=-100", 1000, RangeKind::satisfiable, 900, 999);
    check("bytes=-5000", 1000, RangeKind::satisfiable, 0, 999);
    check("bytes=999-999", 1000, RangeKind::satisfiable, 999, 999);
    check("bytes=1000-", 1000, RangeKind::unsatisfiable);
    check("bytes=-0", 1000, RangeKind::unsatisfiable);
    check("bytes=0-", 0, RangeKind::unsatisfiable);
    // Ignored: not bytes, several ranges, malformed.
    check("items=0-1", 1000, RangeKind::none);
    check("bytes=0-1,5-6", 1000, RangeKind::none);
    check("bytes=5-1", 1000, RangeKind::none);
    check("bytes=a-b", 1000, RangeKind::none);
    check("bytes=", 1000, RangeKind::none);
    check("", 1000, RangeKind::none);
}

TEST(Range, FirstByteWithoutTheLength) {
    EXPECT_EQ(range_first_byte("bytes=0-99"), 0u);
    EXPECT_EQ(range_first_byte("bytes=1048576-"), 1048576u);
    EXPECT_EQ(range_first_byte("bytes=300000-300010"), 300000u);
    EXPECT_EQ(range_first_byte("bytes=-100"), std::nullopt);  // a suffix needs the length
    EXPECT_EQ(range_first_byte("bytes=0-1,5-6"), std::nullopt);
    EXPECT_EQ(range_first_byte("bytes=5-1"), std::nullopt);
    EXPECT_EQ(range_first_byte("items=0-1"), std::nullopt);
    EXPECT_EQ(range_first_byte(""), std::nullopt);
}

TEST(Headers, EntityTagsAndTypes) {
    content::Hash32 hash{};
    hash.fill(0xab);
    EXPECT_EQ(entity_tag(hash), "\"" + hex_encode(hash) + "\"");
    EXPECT_EQ(entity_tag(hash).size(), 66u);
    EXPECT_TRUE(if_none_match(entity_tag(hash), hash));
    EXPECT_TRUE(if_none_match("\"x\", " + entity_tag(hash), hash));
    EXPECT_TRUE(if_none_match("W/" + entity_tag(hash), hash));
    EXPECT_TRUE(if_none_match("*", hash));
    EXPECT_FALSE(if_none_match("\"other\"", hash));
    EXPECT_EQ(content_type_for("index.HTML"), "text/html; charset=utf-8");
    EXPECT_EQ(content_type_for("a.tar.gz"), "application/octet-stream");
    EXPECT_EQ(content_type_for("noext"), "application/octet-stream");
}

TEST(Routes, Pins) {
    const std::string digits(64, 'c');
    Route route = route_request(Method::put, "/pin/" + digits);
    EXPECT_EQ(route.kind, RouteKind::pin);
    EXPECT_TRUE(route.has_hash);
    EXPECT_EQ(hex_encode(route.hash), digits);
    EXPECT_EQ(route_request(Method::del, "/services/0/pin/" + hex).kind, RouteKind::unpin);
    route = route_request(Method::get, "/pin/" + digits);
    EXPECT_EQ(route.kind, RouteKind::method_not_allowed);
    EXPECT_STREQ(route.allow, "PUT, DELETE");
    EXPECT_EQ(route_request(Method::put, "/pin/" + digits.substr(1)).kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::put, "/pin/" + std::string(64, 'g')).kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::put, "/pin").kind, RouteKind::bad_request);
    EXPECT_EQ(route_request(Method::del, "/blake3/" + digits).kind, RouteKind::method_not_allowed);
}

}  // namespace
}  // namespace fleek::edge
