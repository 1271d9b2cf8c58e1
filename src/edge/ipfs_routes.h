// GET and HEAD /ipfs/<cid>[/<path>]: the path gateway and the IPFS trustless gateway
// (docs/gateway.md), decided here without Boost.Beast so it can be unit-tested and fuzzed; the
// Beast server only sends what the plan says.
//
// The response type comes from ?format= (raw, car), else from Accept
// (application/vnd.ipld.raw, application/vnd.ipld.car; version=1; order=dfs; dups=n), else the
// content itself (a file, an index.html, or a JSON directory listing). CAR responses take
// dag-scope (block | entity | all) and entity-bytes=from:to, as query parameters or Accept
// parameters, and are depth first without duplicates. Every block sent is re-checked against its
// CID by the store before it goes out. As the path gateway spec says: a directory asked for
// without a trailing slash is redirected (301) to the slash form, and `Cache-Control:
// only-if-cached` turns "not held here" into 412. A file whose name has no known extension gets
// the Content-Type its first bytes show (content_sniff.h).
#pragma once

#include "content/tree.h"
#include "edge/http_routes.h"
#include "ipld/dag.h"
#include "origins/ipfs_store.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fleek::edge {

enum class IpfsFormat : uint8_t { deserialized, raw, car };

struct CarParameters {
    ipld::DagScope scope = ipld::DagScope::all;
    std::optional<ipld::EntityBytes> bytes;
    bool explicit_scope = false;
};

struct IpfsRequestOptions {
    IpfsFormat format = IpfsFormat::deserialized;
    CarParameters car;
};

// Reads ?format=, dag-scope, entity-bytes, car-version, car-order, car-dups and the Accept header.
// An error (for a 400) says what is wrong.
Result<IpfsRequestOptions, std::string> parse_ipfs_request(std::string_view query, std::string_view accept);
// "from:to" with "*" for the end and negative offsets from the end.
Result<ipld::EntityBytes, std::string> parse_entity_bytes(std::string_view text);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct IpfsPlan {
    enum class Kind : uint8_t {
        text,          // `body` with `content_type`
        not_modified,  // 304
        file,          // the blockstore file `file_hash` (Range applies)
        car,           // `car_header` then each planned block as a CAR section
    };
    Kind kind = Kind::text;
    int status = 200;
    HeaderList headers;
    std::string content_type;
    std::string body;
    content::Hash32 file_hash{};
    Bytes car_header;
    std::vector<ipld::PlannedBlock> blocks;
    uint64_t content_length = 0;  // car: header plus sections
    bool not_held = false;        // the answer is an error because the node does not hold it
};

struct IpfsRequestHeaders {
    std::string_view accept;
    std::string_view if_none_match;
    std::string_view cache_control;  // "only-if-cached": 412 instead of 404 for what is not held
};

// Whether a Cache-Control header value holds the only-if-cached directive (any case).
bool only_if_cached(std::string_view cache_control);

// The immutable caching header IPFS gateways send (a year, as the trustless gateway spec shows).
inline constexpr std::string_view ipfs_cache_control = "public, max-age=29030400, immutable";

IpfsPlan plan_ipfs_response(origins::IpfsStore& store, const Route& route, const IpfsRequestHeaders& headers);

}  // namespace fleek::edge
