// Request routing and header logic of the handshake HTTP gateway, kept free of Boost.Beast so
// it is cheap to compile, unit-test and fuzz (docs/gateway.md).
#pragma once

#include "content/tree.h"
#include "util/result.h"

#include <optional>
#include <string>
#include <string_view>

namespace fleek::edge {

using content::Hash32;

enum class Method : uint8_t { get, head, put, del, other };

enum class RouteKind : uint8_t {
    health,            // GET /health
    content,           // GET|HEAD /blake3/<hash>[/<path>]
    upload,            // PUT /blake3[/<hash>]
    upload_directory,  // PUT /blake3?format=dir
    ipfs,              // GET|HEAD /ipfs/<cid>[/<path>] (path and trustless gateway, docs/gateway.md)
    ipfs_fetch,        // PUT /ipfs/<cid>: fetch from the IPFS origin
    http_fetch,        // PUT /http?url=<percent-encoded URL>: fetch from the HTTP origin
    pin,               // PUT /pin/<hash>: keep the content, never evict it (operator)
    unpin,             // DELETE /pin/<hash>
    handshake,         // GET /handshake: WebSocket upgrade to a paid session (docs/formats/handshake.md)
    not_found,
    bad_request,
    method_not_allowed,
};

enum class ContentFormat : uint8_t {
    raw,       // the bytes (a directory: a JSON listing)
    verified,  // the verified stream (docs/formats/verified-stream.md)
    directory, // a directory's canonical encoding
};

struct Route {
    RouteKind kind = RouteKind::not_found;
    Hash32 hash{};
    bool has_hash = false;
    std::string path;  // percent-decoded path inside a directory, "" for none
    bool trailing_slash = false;  // ipfs: the request path ended with '/' ("/ipfs/<cid>/", "/ipfs/<cid>/dir/")
    ContentFormat format = ContentFormat::raw;
    std::optional<uint64_t> start_block;
    std::optional<uint64_t> end_block;
    std::string cid;    // ipfs, ipfs_fetch: the CID as written (parsed by the IPFS handler)
    std::string query;  // ipfs: the raw query string (format, dag-scope, entity-bytes, ...)
    std::string url;    // http_fetch: the decoded origin URL, fragment (integrity) included
    std::string error;  // why, for bad_request
    const char* allow = nullptr;  // for method_not_allowed
};

// `target` is the request target ("/blake3/ab..?format=verified"). /services/0/ prefixes the
// same routes (the built-in CDN service). Query parameters that matter to the IPFS routes are
// left for the IPFS handler (ipfs_routes.h).
Route route_request(Method method, std::string_view target);

// --- Range (RFC 9110 §14): one range of bytes ------------------------------------------------
struct ByteRange {
    uint64_t first;  // inclusive
    uint64_t last;   // inclusive
};
enum class RangeKind : uint8_t {
    none,           // no Range header, or one we ignore (not bytes, several ranges, bad syntax)
    satisfiable,
    unsatisfiable,  // answer 416 with Content-Range: bytes */length
};
struct RangeResult {
    RangeKind kind = RangeKind::none;
    ByteRange range{};
};
RangeResult parse_range(std::string_view header, uint64_t content_length);
// The first byte a Range header asks for when that is known without the content's length (a
// fetch on a miss starts there): "bytes=a-b" and "bytes=a-" give a; a suffix range, several
// ranges, another unit or bad syntax give nothing.
std::optional<uint64_t> range_first_byte(std::string_view header);

// Quoted entity tag of content: "\"<hex>\"".
std::string entity_tag(const Hash32& hash);
// True when an If-None-Match header value matches the tag (or is "*").
bool if_none_match(std::string_view header, const Hash32& hash);

// A Content-Type from a file name's extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view name);

std::string percent_decode(std::string_view text, bool& ok);

}  // namespace fleek::edge
