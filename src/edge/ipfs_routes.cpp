#include "edge/ipfs_routes.h"

#include "crypto/hash.h"
#include "edge/content_sniff.h"
#include "ipld/car.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>

namespace fleek::edge {

using ipld::Cid;

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<int64_t> parse_i64(std::string_view text) {
    int64_t value = 0;
    if (text.empty() || text.size() > 20) return std::nullopt;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Result<void, std::string> apply_scope(CarParameters& car, std::string_view value) {
    if (value == "block") {
        car.scope = ipld::DagScope::block;
    } else if (value == "entity") {
        car.scope = ipld::DagScope::entity;
    } else if (value == "all") {
        car.scope = ipld::DagScope::all;
    } else {
        return fail(fmt::format("dag-scope must be block, entity or all, not `{}`", value));
    }
    car.explicit_scope = true;
    return {};
}

std::string json_error(std::string_view message) { return nlohmann::json{{"error", message}}.dump(); }

IpfsPlan error_plan(int status, std::string message) {
    IpfsPlan plan;
    plan.kind = IpfsPlan::Kind::text;
    plan.status = status;
    plan.content_type = "application/json";
    plan.body = json_error(message);
    return plan;
}

// 404 because this node does not hold the block or content (not because a name is absent).
IpfsPlan not_held_plan(std::string message) {
    IpfsPlan plan = error_plan(404, std::move(message));
    plan.not_held = true;
    return plan;
}

// Percent-encodes what a path segment may not hold as is.
std::string encode_path(std::string_view path) {
    std::string out;
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

bool etag_matches(std::string_view header, std::string_view tag) {
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view item = trim_whitespace(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == tag) return true;
    }
    return false;
}

int status_for(const ipld::DagError& error) {
    switch (error.code) {
        case ipld::DagErrorCode::missing_block:
        case ipld::DagErrorCode::not_found:
        case ipld::DagErrorCode::not_a_directory: return 404;
        case ipld::DagErrorCode::not_a_file:
        case ipld::DagErrorCode::unsupported: return 406;
        case ipld::DagErrorCode::too_deep: return 400;
        case ipld::DagErrorCode::invalid_block:
        case ipld::DagErrorCode::invalid_dag:
        case ipld::DagErrorCode::invalid_hamt: return 502;
        case ipld::DagErrorCode::source_error:
        case ipld::DagErrorCode::stopped: return 500;
    }
    return 500;
}

std::string dag_message(const ipld::DagError& error) {
    if (error.code == ipld::DagErrorCode::missing_block) {
        return fmt::format("{}: not held by this node (PUT /ipfs/<cid> asks it to fetch from its IPFS origin)", error.message());
    }
    return error.message();
}

IpfsPlan dag_error_plan(const ipld::DagError& error) {
    if (error.code == ipld::DagErrorCode::missing_block) return not_held_plan(dag_message(error));
    return error_plan(status_for(error), dag_message(error));
}

// The Content-Type of a file: from its name, else from its first bytes.
std::string file_content_type(std::string_view name, const std::function<ByteSpan()>& head) {
    const std::string_view by_name = content_type_for(name);
    if (by_name != "application/octet-stream") return std::string(by_name);
    return std::string(sniff_content_type(head()));
}

IpfsPlan plan_held(origins::IpfsStore& store, const Route& route, const IpfsRequestHeaders& headers);

}  // namespace

bool only_if_cached(std::string_view cache_control) {
    while (!cache_control.empty()) {
        const size_t comma = cache_control.find(',');
        const std::string directive = lower(trim_whitespace(cache_control.substr(0, comma)));
        cache_control = comma == std::string_view::npos ? std::string_view() : cache_control.substr(comma + 1);
        if (directive == "only-if-cached") return true;
    }
    return false;
}

Result<ipld::EntityBytes, std::string> parse_entity_bytes(std::string_view text) {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return fail(fmt::format("entity-bytes must be from:to, not `{}`", text));
    const auto from = parse_i64(text.substr(0, colon));
    if (!from) return fail(fmt::format("entity-bytes: `{}` is not an integer", text.substr(0, colon)));
    ipld::EntityBytes bytes;
    bytes.from = *from;
    const std::string_view to_text = text.substr(colon + 1);
    if (to_text != "*") {
        const auto to = parse_i64(to_text);
        if (!to) return fail(fmt::format("entity-bytes: `{}` is neither an integer nor *", to_text));
        if (*from >= 0 && *to >= 0 && *to < *from) return fail(std::string("entity-bytes: to is before from"));
        bytes.to = *to;
    }
    return bytes;
}

Result<IpfsRequestOptions, std::string> parse_ipfs_request(std::string_view query, std::string_view accept) {
    IpfsRequestOptions options;
    std::optional<IpfsFormat> query_format;
    std::optional<std::string> entity_bytes;
    std::string_view remaining = query;
    while (!remaining.empty()) {
        const size_t amp = remaining.find('&');
        const std::string_view pair = remaining.substr(0, amp);
        remaining = amp == std::string_view::npos ? std::string_view() : remaining.substr(amp + 1);
        const size_t eq = pair.find('=');
        const std::string_view key = pair.substr(0, eq);
        bool ok = true;
        const std::string value = eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), ok);
        if (!ok) return fail(fmt::format("invalid percent-encoding in `{}`", key));
        if (key == "format") {
            if (value == "raw") {
                query_format = IpfsFormat::raw;
            } else if (value == "car") {
                query_format = IpfsFormat::car;
            } else {
                return fail(fmt::format("unsupported format `{}` (this gateway serves raw and car)", value));
            }
        } else if (key == "dag-scope") {
            if (auto applied = apply_scope(options.car, value); !applied) return fail(applied.error());
        } else if (key == "entity-bytes") {
            entity_bytes = value;
        } else if (key == "car-version") {
            if (value != "1") return fail(fmt::format("car-version {} is not served; only CARv1", value));
        } else if (key == "car-order") {
            if (value != "dfs" && value != "unk") return fail(fmt::format("car-order must be dfs or unk, not `{}`", value));
        } else if (key == "car-dups") {
            if (value != "y" && value != "n") return fail(fmt::format("car-dups must be y or n, not `{}`", value));
        }
        // Other parameters (filename, download) are ignored.
    }
    if (query_format) {
        options.format = *query_format;
    } else {
        // The first media type we serve wins; CAR parameters may come with it.
        bool car_v2_only = false;
        std::string_view items = accept;
        while (!items.empty()) {
            const size_t comma = items.find(',');
            const std::string_view item = items.substr(0, comma);
            items = comma == std::string_view::npos ? std::string_view() : items.substr(comma + 1);
            const size_t semicolon = item.find(';');
            const std::string type = lower(trim_whitespace(item.substr(0, semicolon)));
            if (type == "application/vnd.ipld.raw") {
                options.format = IpfsFormat::raw;
                break;
            }
            if (type != "application/vnd.ipld.car") continue;
            bool acceptable = true;
            std::string_view params = semicolon == std::string_view::npos ? std::string_view() : item.substr(semicolon + 1);
            while (!params.empty()) {
                const size_t next = params.find(';');
                const std::string_view param = trim_whitespace(params.substr(0, next));
                params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
                const size_t eq = param.find('=');
                const std::string name = lower(param.substr(0, eq));
                const std::string_view value = eq == std::string_view::npos ? std::string_view() : trim_whitespace(param.substr(eq + 1));
                if (name == "version" && value != "1") acceptable = false;
            }
            if (!acceptable) {
                car_v2_only = true;
                continue;
            }
            options.format = IpfsFormat::car;
            break;
        }
        if (options.format == IpfsFormat::deserialized && car_v2_only) return fail(std::string("only CARv1 is served (Accept asked for another version)"));
    }
    if (entity_bytes) {
        auto bytes = parse_entity_bytes(*entity_bytes);
        if (!bytes) return fail(bytes.error());
        if (options.car.explicit_scope && options.car.scope != ipld::DagScope::entity) {
            return fail(std::string("entity-bytes goes with dag-scope=entity only"));
        }
        options.car.bytes = *bytes;
        options.car.scope = ipld::DagScope::entity;
    }
    return options;
}

IpfsPlan plan_ipfs_response(origins::IpfsStore& store, const Route& route, const IpfsRequestHeaders& headers) {
    IpfsPlan plan = plan_held(store, route, headers);
    if (plan.not_held && only_if_cached(headers.cache_control)) {
        const std::string message = nlohmann::json::parse(plan.body, nullptr, false).value("error", std::string("not held"));
        plan = error_plan(412, fmt::format("{} (Cache-Control: only-if-cached)", message));
        plan.not_held = true;
    }
    return plan;
}

namespace {

IpfsPlan plan_held(origins::IpfsStore& store, const Route& route, const IpfsRequestHeaders& headers) {
    auto parsed_cid = Cid::parse(route.cid);
    if (!parsed_cid) return error_plan(400, fmt::format("`{}` is not a CID: {}", route.cid, ipld::to_string(parsed_cid.error())));
    const Cid root = *parsed_cid;
    auto options = parse_ipfs_request(route.query, headers.accept);
    if (!options) return error_plan(400, options.error());

    // Follow the path, keeping the blocks that prove it (for CARs) and each segment's CID.
    std::vector<Cid> roots{root};
    std::vector<Cid> proof;
    std::optional<ipld::DagNode> target_node;
    Cid target = root;
    bool has_path = false;
    for (const char c : route.path) has_path = has_path || c != '/';
    if (has_path) {
        // The target's own block is read later, only when needed (a stored file is served from
        // its record without it).
        auto resolved = ipld::resolve_path(store, root, route.path, 1024, false);
        if (!resolved) return dag_error_plan(resolved.error());
        roots = resolved->segments;
        proof = resolved->proof;
        proof.pop_back();  // the target itself comes with its entity
        target = roots.back();
    } else if (!store.has(root)) {
        return not_held_plan(fmt::format("{} is not held by this node (PUT /ipfs/{} asks it to fetch from its IPFS origin)",
                                           root.to_string(), route.cid));
    }

    HeaderList common;
    common.emplace_back("X-Ipfs-Path", "/ipfs/" + route.cid + (has_path ? "/" + encode_path(route.path) : ""));
    std::string roots_text;
    for (const Cid& cid : roots) roots_text += (roots_text.empty() ? "" : ",") + cid.to_string();
    common.emplace_back("X-Ipfs-Roots", roots_text);
    common.emplace_back("Cache-Control", std::string(ipfs_cache_control));
    common.emplace_back("Vary", "Accept");

    const auto not_modified = [&](const std::string& etag) {
        IpfsPlan plan;
        plan.kind = IpfsPlan::Kind::not_modified;
        plan.status = 304;
        plan.headers = common;
        plan.headers.emplace_back("ETag", etag);
        return plan;
    };

    if (options->format == IpfsFormat::raw) {
        const std::string etag = "\"" + target.to_string() + ".raw\"";
        if (etag_matches(headers.if_none_match, etag)) return not_modified(etag);
        auto block = store.get(target);
        if (!block) return error_plan(500, block.error());
        if (!*block) return not_held_plan(fmt::format("block {} is not held by this node", target.to_string()));
        IpfsPlan plan;
        plan.kind = IpfsPlan::Kind::text;
        plan.status = 200;
        plan.content_type = "application/vnd.ipld.raw";
        plan.body.assign((*block)->begin(), (*block)->end());
        plan.headers = common;
        plan.headers.emplace_back("ETag", etag);
        plan.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}.bin\"", target.to_string()));
        plan.headers.emplace_back("X-Content-Type-Options", "nosniff");
        return plan;
    }

    if (options->format == IpfsFormat::car) {
        const CarParameters& car = options->car;
        const std::string scope_text = car.scope == ipld::DagScope::block ? "block" : car.scope == ipld::DagScope::entity ? "entity" : "all";
        const std::string bytes_text = car.bytes ? fmt::format("{}:{}", car.bytes->from, car.bytes->to ? std::to_string(*car.bytes->to) : "*") : "";
        const auto variant = crypto::blake3(as_bytes(fmt::format("{}|{}|{}", route.path, scope_text, bytes_text)));
        const std::string etag = fmt::format("\"{}.car.{}\"", target.to_string(), hex_encode(ByteSpan(variant).first(8)));
        if (etag_matches(headers.if_none_match, etag)) return not_modified(etag);
        std::vector<ipld::PlannedBlock> blocks;
        for (const Cid& cid : proof) {
            if (cid.hash_code() == ipld::multicodec::identity) continue;
            const auto size = store.block_size(cid);
            if (!size) return not_held_plan(fmt::format("block {} is not held by this node", cid.to_string()));
            blocks.push_back({cid, *size});
        }
        ipld::TraversalLimits limits;
        auto planned = ipld::plan_traversal(store, target, car.scope, car.bytes, limits,
                                            [&store](const Cid& cid) { return store.block_size(cid); });
        if (!planned) return dag_error_plan(planned.error());
        for (auto& block : *planned) {
            bool duplicate = false;
            for (const Cid& cid : proof) duplicate = duplicate || cid == block.cid;
            if (!duplicate) blocks.push_back(std::move(block));
        }
        IpfsPlan plan;
        plan.kind = IpfsPlan::Kind::car;
        plan.status = 200;
        plan.content_type = "application/vnd.ipld.car; version=1; order=dfs; dups=n";
        ipld::append_car_header(plan.car_header, {root});
        plan.content_length = plan.car_header.size();
        for (const auto& block : blocks) plan.content_length += ipld::car_section_size(block.cid, block.size);
        plan.blocks = std::move(blocks);
        plan.headers = common;
        plan.headers.emplace_back("ETag", etag);
        plan.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}.car\"", target.to_string()));
        plan.headers.emplace_back("X-Content-Type-Options", "nosniff");
        return plan;
    }

    // Deserialized: the file, a directory's index.html, or its listing.
    const std::string etag = "\"" + target.to_string() + "\"";
    if (etag_matches(headers.if_none_match, etag)) return not_modified(etag);
    std::string_view trimmed = route.path;
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
    const std::string name(trimmed.substr(trimmed.rfind('/') + 1));
    // A stored file's type: from its name, else from its first bytes.
    const auto stored_file_type = [&](const content::Hash32& hash, std::string_view file_name) {
        Bytes head;
        return file_content_type(file_name, [&]() -> ByteSpan {
            const auto info = store.blockstore().info(hash);
            auto read = store.blockstore().read_range(hash, 0, std::min<uint64_t>(sniff_length, info ? info->length : 0));
            if (read) head = std::move(*read);
            return head;
        });
    };
    if (!target_node && target.hash_code() != ipld::multicodec::identity) {
        // A file the origin stored: its record is enough, no need to read (and hash) its root block.
        auto record = store.resolver().ipfs(target);
        if (!record) return error_plan(500, record.error());
        if (*record && (*record)->kind == origins::ResolvedKind::file && store.blockstore().info((*record)->hash)) {
            IpfsPlan plan;
            plan.kind = IpfsPlan::Kind::file;
            plan.file_hash = (*record)->hash;
            plan.content_type = stored_file_type((*record)->hash, name);
            plan.headers = common;
            plan.headers.emplace_back("ETag", etag);
            return plan;
        }
    }
    if (!target_node) {
        auto loaded = ipld::load_node(store, target);
        if (!loaded) return dag_error_plan(loaded.error());
        target_node = std::move(*loaded);
    }
    const auto file_plan = [&](const Cid& file, std::string_view file_name) -> IpfsPlan {
        auto record = store.resolver().ipfs(file);
        if (!record) return error_plan(500, record.error());
        if (!*record || (*record)->kind != origins::ResolvedKind::file || !store.blockstore().info((*record)->hash)) {
            return not_held_plan(fmt::format("no stored file for {} (PUT /ipfs/<root cid> fetches the DAG it belongs to)", file.to_string()));
        }
        IpfsPlan plan;
        plan.kind = IpfsPlan::Kind::file;
        plan.status = 200;
        plan.file_hash = (*record)->hash;
        plan.content_type = stored_file_type((*record)->hash, file_name);
        plan.headers = common;
        plan.headers.emplace_back("ETag", "\"" + file.to_string() + "\"");
        return plan;
    };
    switch (target_node->kind) {
        case ipld::NodeKind::raw_file:
            if (target.hash_code() == ipld::multicodec::identity) {
                IpfsPlan plan;
                plan.kind = IpfsPlan::Kind::text;
                plan.content_type = file_content_type(name, [&] { return ByteSpan(target_node->raw); });
                plan.body.assign(target_node->raw.begin(), target_node->raw.end());
                plan.headers = common;
                plan.headers.emplace_back("ETag", etag);
                return plan;
            }
            return file_plan(target, name);
        case ipld::NodeKind::file: return file_plan(target, name);
        case ipld::NodeKind::directory:
        case ipld::NodeKind::hamt_shard: {
            if (!route.trailing_slash) {
                // The path gateway's canonical form of a directory ends with a slash (relative
                // links in its index.html resolve inside it).
                IpfsPlan plan = error_plan(301, "a directory: see Location");
                std::string location = "/ipfs/" + route.cid + "/";
                if (has_path) location += encode_path(std::string(trimmed)) + "/";
                if (!route.query.empty()) location += "?" + route.query;
                plan.headers = common;
                plan.headers.emplace_back("Location", location);
                return plan;
            }
            auto index = ipld::find_entry(store, *target_node, "index.html");
            if (!index) return dag_error_plan(index.error());
            if (*index) return file_plan((*index)->cid, "index.html");
            auto listing = ipld::list_directory(store, *target_node);
            if (!listing) return dag_error_plan(listing.error());
            nlohmann::json entries = nlohmann::json::array();
            for (const auto& entry : *listing) {
                entries.push_back({{"name", entry.name}, {"cid", entry.cid.to_string()}, {"size", entry.tsize}});
            }
            IpfsPlan plan;
            plan.kind = IpfsPlan::Kind::text;
            plan.content_type = "application/json";
            plan.body = nlohmann::json{{"cid", target.to_string()}, {"entries", std::move(entries)}}.dump(2) + "\n";
            plan.headers = common;
            plan.headers.emplace_back("ETag", etag);
            return plan;
        }
        case ipld::NodeKind::symlink:
            return error_plan(501, fmt::format("{} is a symlink to `{}`; this gateway does not follow symlinks", target.to_string(),
                                               std::string(as_string_view(target_node->unixfs.data.value_or(Bytes())))));
        case ipld::NodeKind::other: break;
    }
    return error_plan(406, fmt::format("{} is not UnixFS; ask for ?format=raw or ?format=car", target.to_string()));
}

}  // namespace

}  // namespace fleek::edge
