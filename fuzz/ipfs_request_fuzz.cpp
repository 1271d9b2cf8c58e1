// Trustless-gateway request options from clients (query strings and Accept headers): parsing
// never crashes, and what it accepts is consistent (entity-bytes always means entity scope).
// Also: Cache-Control values (only-if-cached) and content sniffing of file heads.
#include "edge/content_sniff.h"
#include "edge/http_routes.h"
#include "edge/ipfs_routes.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::edge;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const size_t split = text.find('\n');
    const std::string_view query = text.substr(0, split);
    const std::string_view accept = split == std::string_view::npos ? std::string_view() : text.substr(split + 1);
    if (auto options = parse_ipfs_request(query, accept)) {
        if (options->car.bytes) FLEEK_ASSERT(options->car.scope == fleek::ipld::DagScope::entity);
    }
    if (auto bytes = parse_entity_bytes(text)) {
        if (bytes->from >= 0 && bytes->to && *bytes->to >= 0) FLEEK_ASSERT(*bytes->to >= bytes->from);
    }
    const Route route = route_request(Method::get, text);
    if (route.kind == RouteKind::ipfs) FLEEK_ASSERT(!route.cid.empty());
    if (route.kind == RouteKind::ipfs && route.trailing_slash) FLEEK_ASSERT(text.substr(0, text.find('?')).ends_with('/'));
    (void)only_if_cached(text);
    const std::string_view type = sniff_content_type(fleek::as_bytes(text));
    FLEEK_ASSERT(!type.empty());
    // Only the first bytes count.
    if (text.size() > sniff_length) FLEEK_ASSERT(type == sniff_content_type(fleek::as_bytes(text.substr(0, sniff_length))));
    return 0;
}
