#include "edge/http_routes.h"

#include "util/encoding.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fleek::edge {

namespace {

std::optional<uint64_t> parse_u64(std::string_view text) {
    uint64_t value = 0;
    if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Route simple(RouteKind kind, const char* allow = nullptr) {
    Route route;
    route.kind = kind;
    route.allow = allow;
    return route;
}

Route bad(std::string message) {
    Route route;
    route.kind = RouteKind::bad_request;
    route.error = std::move(message);
    return route;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

Route route_ipfs(Method method, std::string_view path, std::string_view query);
Route route_http(Method method, std::string_view query);
Route route_pin(Method method, std::string_view path);

}  // namespace

std::string percent_decode(std::string_view text, bool& ok) {
    ok = true;
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) {
            ok = false;
            return {};
        }
        const int high = hex_digit(text[i + 1]);
        const int low = hex_digit(text[i + 2]);
        if (high < 0 || low < 0 || (high == 0 && low == 0)) {
            ok = false;
            return {};
        }
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
    }
    return out;
}

Route route_request(Method method, std::string_view target) {
    const size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

    if (path.starts_with("/services/0/")) path.remove_prefix(std::string_view("/services/0").size());
    if (path == "/health") {
        if (method != Method::get && method != Method::head) return simple(RouteKind::method_not_allowed, "GET, HEAD");
        return simple(RouteKind::health);
    }
    if (path == "/handshake") {
        if (method != Method::get) return simple(RouteKind::method_not_allowed, "GET");
        return simple(RouteKind::handshake);
    }
    if (path == "/ipfs" || path.starts_with("/ipfs/")) return route_ipfs(method, path, query);
    if (path == "/http") return route_http(method, query);
    if (path == "/pin" || path.starts_with("/pin/")) return route_pin(method, path);
    if (path != "/blake3" && !path.starts_with("/blake3/")) return simple(RouteKind::not_found);
    std::string_view rest = path.substr(std::string_view("/blake3").size());
    if (!rest.empty()) rest.remove_prefix(1);  // the '/'

    Route route;
    // Query parameters.
    std::string_view remaining = query;
    while (!remaining.empty()) {
        const size_t amp = remaining.find('&');
        const std::string_view pair = remaining.substr(0, amp);
        remaining = amp == std::string_view::npos ? std::string_view() : remaining.substr(amp + 1);
        const size_t eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        if (key == "format") {
            if (value == "verified") {
                route.format = ContentFormat::verified;
            } else if (value == "dir") {
                route.format = ContentFormat::directory;
            } else if (value != "raw") {
                return bad("unknown format `" + std::string(value) + "` (expected raw, verified or dir)");
            }
        } else if (key == "start" || key == "end") {
            const auto number = parse_u64(value);
            if (!number) return bad("`" + std::string(key) + "` must be a block index");
            (key == "start" ? route.start_block : route.end_block) = *number;
        }
        // Other parameters are ignored, as caches and browsers add their own.
    }

    const size_t slash = rest.find('/');
    const std::string_view hash_text = rest.substr(0, slash);
    if (!hash_text.empty()) {
        if (hash_text.size() != 64) return bad("a BLAKE3 hash is 64 hex digits");
        auto hash = hex_decode_array<32>(hash_text);
        if (!hash) return bad("a BLAKE3 hash is 64 hex digits");
        route.hash = *hash;
        route.has_hash = true;
    }
    if (slash != std::string_view::npos) {
        bool ok = true;
        route.path = percent_decode(rest.substr(slash + 1), ok);
        if (!ok) return bad("invalid percent-encoding in the path");
    }

    switch (method) {
        case Method::get:
        case Method::head:
            if (!route.has_hash) return simple(RouteKind::method_not_allowed, "PUT");
            if (route.start_block && route.end_block && *route.start_block > *route.end_block) {
                return bad("`start` is after `end`");
            }
            route.kind = RouteKind::content;
            return route;
        case Method::put:
            if (!route.path.empty()) return bad("uploads take no path");
            route.kind = route.format == ContentFormat::directory ? RouteKind::upload_directory : RouteKind::upload;
            if (route.kind == RouteKind::upload_directory && route.has_hash) return bad("a directory upload takes no hash");
            return route;
        case Method::del:
        case Method::other: break;
    }
    return simple(RouteKind::method_not_allowed, route.has_hash ? "GET, HEAD" : "PUT");
}

namespace {

Route route_ipfs(Method method, std::string_view path, std::string_view query) {
    std::string_view rest = path.substr(std::string_view("/ipfs").size());
    if (!rest.empty()) rest.remove_prefix(1);
    const size_t slash = rest.find('/');
    Route route;
    route.cid = std::string(rest.substr(0, slash));
    route.query = std::string(query);
    route.trailing_slash = !rest.empty() && rest.back() == '/';
    if (route.cid.empty()) {
        return method == Method::get || method == Method::head || method == Method::put
                   ? bad("a CID is required: /ipfs/<cid>[/path]")
                   : simple(RouteKind::method_not_allowed, "GET, HEAD, PUT");
    }
    if (slash != std::string_view::npos) {
        bool ok = true;
        route.path = percent_decode(rest.substr(slash + 1), ok);
        if (!ok) return bad("invalid percent-encoding in the path");
    }
    switch (method) {
        case Method::get:
        case Method::head: route.kind = RouteKind::ipfs; return route;
        case Method::put:
            if (!route.path.empty()) return bad("PUT /ipfs/<cid> takes no path: the whole DAG is fetched");
            route.kind = RouteKind::ipfs_fetch;
            return route;
        case Method::del:
        case Method::other: break;
    }
    return simple(RouteKind::method_not_allowed, "GET, HEAD, PUT");
}

Route route_http(Method method, std::string_view query) {
    if (method != Method::put) return simple(RouteKind::method_not_allowed, "PUT");
    std::string_view remaining = query;
    while (!remaining.empty()) {
        const size_t amp = remaining.find('&');
        const std::string_view pair = remaining.substr(0, amp);
        remaining = amp == std::string_view::npos ? std::string_view() : remaining.substr(amp + 1);
        if (!pair.starts_with("url=")) continue;
        bool ok = true;
        Route route;
        route.url = percent_decode(pair.substr(4), ok);
        if (!ok || route.url.empty()) return bad("`url` must be a percent-encoded URL");
        route.kind = RouteKind::http_fetch;
        return route;
    }
    return bad("PUT /http needs ?url=<percent-encoded URL>");
}

Route route_pin(Method method, std::string_view path) {
    if (method != Method::put && method != Method::del) return simple(RouteKind::method_not_allowed, "PUT, DELETE");
    const std::string_view hash_text = path.substr(std::min(path.size(), std::string_view("/pin/").size()));
    auto hash = hex_decode_array<32>(hash_text);
    if (hash_text.size() != 64 || !hash) return bad("PUT|DELETE /pin/<hash>: a BLAKE3 hash is 64 hex digits");
    Route route;
    route.kind = method == Method::put ? RouteKind::pin : RouteKind::unpin;
    route.hash = *hash;
    route.has_hash = true;
    return route;
}

}  // namespace

RangeResult parse_range(std::string_view header, uint64_t content_length) {
    constexpr std::string_view prefix = "bytes=";
    if (!header.starts_with(prefix)) return {};
    const std::string_view spec = header.substr(prefix.size());
    if (spec.find(',') != std::string_view::npos) return {};  // several ranges: serve the whole content
    const size_t dash = spec.find('-');
    if (dash == std::string_view::npos) return {};
    const std::string_view first_text = spec.substr(0, dash);
    const std::string_view last_text = spec.substr(dash + 1);
    if (first_text.empty()) {
        // bytes=-n: the last n bytes.
        const auto suffix = parse_u64(last_text);
        if (!suffix) return {};
        if (*suffix == 0 || content_length == 0) return {RangeKind::unsatisfiable, {}};
        const uint64_t n = std::min(*suffix, content_length);
        return {RangeKind::satisfiable, {content_length - n, content_length - 1}};
    }
    const auto first = parse_u64(first_text);
    if (!first) return {};
    uint64_t last = content_length == 0 ? 0 : content_length - 1;
    if (!last_text.empty()) {
        const auto parsed = parse_u64(last_text);
        if (!parsed || *parsed < *first) return {};
        last = std::min(*parsed, last);
    }
    if (*first >= content_length) return {RangeKind::unsatisfiable, {}};
    return {RangeKind::satisfiable, {*first, last}};
}

std::optional<uint64_t> range_first_byte(std::string_view header) {
    if (header.starts_with("bytes=-")) return std::nullopt;  // the last n bytes: needs the length
    const RangeResult range = parse_range(header, UINT64_MAX);
    if (range.kind != RangeKind::satisfiable) return std::nullopt;
    return range.range.first;
}

std::string entity_tag(const Hash32& hash) { return "\"" + hex_encode(hash) + "\""; }

bool if_none_match(std::string_view header, const Hash32& hash) {
    const std::string tag = entity_tag(hash);
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == tag) return true;
    }
    return false;
}

std::string_view content_type_for(std::string_view name) {
    static constexpr std::pair<std::string_view, std::string_view> types[] = {
        {".html", "text/html; charset=utf-8"}, {".htm", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"}, {".md", "text/markdown; charset=utf-8"},
        {".svg", "image/svg+xml"},             {".png", "image/png"},
        {".jpg", "image/jpeg"},                {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},                 {".webp", "image/webp"},
        {".ico", "image/x-icon"},              {".wasm", "application/wasm"},
        {".pdf", "application/pdf"},           {".mp4", "video/mp4"},
        {".webm", "video/webm"},               {".mp3", "audio/mpeg"},
        {".xml", "application/xml"},           {".woff2", "font/woff2"},
    };
    const size_t dot = name.rfind('.');
    if (dot != std::string_view::npos) {
        std::string extension(name.substr(dot));
        for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (const auto& [suffix, type] : types) {
            if (suffix == extension) return type;
        }
    }
    return "application/octet-stream";
}

}  // namespace fleek::edge
