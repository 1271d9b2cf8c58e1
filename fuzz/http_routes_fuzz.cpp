// Request targets, Range and Upgrade headers as clients send them: routing and range parsing never
// crash, a satisfiable range always lies inside the content, the first byte a fetch on a miss
// starts from agrees with the range, and an Upgrade header names `websocket` only if it holds it.
#include "edge/handshake_route.h"
#include "edge/http_routes.h"
#include "util/assert.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::edge;
    if (size < 9) return 0;
    uint64_t length = 0;
    std::memcpy(&length, data, 8);
    length %= (uint64_t{1} << 40);
    const std::string_view text(reinterpret_cast<const char*>(data + 9), size - 9);
    const Method method = static_cast<Method>(data[8] % 5);
    const Route route = route_request(method, text);
    if (route.kind == RouteKind::content) FLEEK_ASSERT(route.has_hash);
    const RangeResult range = parse_range(text, length);
    if (range.kind == RangeKind::satisfiable) {
        FLEEK_ASSERT(range.range.first <= range.range.last && range.range.last < length);
    }
    // The first byte a miss's fetch starts at is the range's first byte whenever both are known.
    if (const auto first = range_first_byte(text); first && range.kind == RangeKind::satisfiable) {
        FLEEK_ASSERT(*first == range.range.first);
    }
    if (upgrade_names_websocket(text)) {
        std::string lower(text);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        FLEEK_ASSERT(lower.find("websocket") != std::string::npos);
    }
    (void)content_type_for(text);
    bool ok = false;
    (void)percent_decode(text, ok);
    return 0;
}
