#include "rpc/registry.h"

#include "ledger/transaction.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace fleek::rpc {

std::string_view to_string(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::parse_error: return "parse_error";
        case ErrorCode::invalid_request: return "invalid_request";
        case ErrorCode::method_not_found: return "method_not_found";
        case ErrorCode::invalid_params: return "invalid_params";
        case ErrorCode::internal_error: return "internal_error";
        case ErrorCode::transaction_rejected: return "transaction_rejected";
        case ErrorCode::unavailable: return "unavailable";
        case ErrorCode::epoch_unavailable: return "epoch_unavailable";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::rate_limited: return "rate_limited";
    }
    return "unknown";
}

const std::vector<ErrorCode>& all_error_codes() {
    static const std::vector<ErrorCode> codes = {
        ErrorCode::parse_error,          ErrorCode::invalid_request, ErrorCode::method_not_found,
        ErrorCode::invalid_params,       ErrorCode::internal_error,  ErrorCode::transaction_rejected,
        ErrorCode::unavailable,          ErrorCode::epoch_unavailable, ErrorCode::not_found,
        ErrorCode::rate_limited,
    };
    return codes;
}

std::string_view to_string(ParamType type) noexcept {
    switch (type) {
        case ParamType::address: return "address";
        case ParamType::node_key: return "node_key";
        case ParamType::client_key: return "client_key";
        case ParamType::hash: return "hash";
        case ParamType::u64: return "u64";
        case ParamType::boolean: return "boolean";
        case ParamType::name: return "name";
        case ParamType::transaction: return "transaction";
        case ParamType::state_key: return "state_key";
        case ParamType::paging: return "paging";
    }
    return "unknown";
}

// ------------------------------------------------------------------------------- Params

const ParamSpec* MethodSpec::param(std::string_view param_name) const {
    for (const auto& spec : params) {
        if (spec.name == param_name) return &spec;
    }
    return nullptr;
}

const ParamValue& Params::slot(std::string_view name) const {
    FLEEK_ASSERT(m_method != nullptr);
    for (size_t i = 0; i < m_method->params.size(); ++i) {
        if (m_method->params[i].name == name) return m_values.at(i);
    }
    FLEEK_ASSERT(false && "a handler asked for a parameter its method does not declare");
    static const ParamValue none;
    return none;
}

bool Params::has(std::string_view name) const { return !std::holds_alternative<std::monostate>(slot(name)); }

// ------------------------------------------------------------------------------- parsing

namespace {

constexpr size_t state_key_size_max = 1024;

std::string kind_of(const Json& value) {
    switch (value.type()) {
        case Json::value_t::null: return "null";
        case Json::value_t::boolean: return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned: return "an integer";
        case Json::value_t::number_float: return "a fractional number";
        case Json::value_t::string: return "a string";
        case Json::value_t::array: return "an array";
        case Json::value_t::object: return "an object";
        default: return "an unsupported value";
    }
}

Result<uint64_t, std::string> parse_u64(const Json& value) {
    if (value.is_number_unsigned()) return value.get<uint64_t>();
    if (value.is_number_integer()) return fail(std::string("must not be negative"));
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        uint64_t number = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (text.empty() || error != std::errc() || end != text.data() + text.size() || (text.size() > 1 && text[0] == '0')) {
            return fail(std::string("must be a decimal integer from 0 to 18446744073709551615"));
        }
        return number;
    }
    if (value.is_number_float()) return fail(std::string("must be an integer from 0 to 18446744073709551615"));
    return fail(fmt::format("must be an integer, found {}", kind_of(value)));
}

Result<Bytes, std::string> parse_hex(const Json& value, size_t max_bytes, std::string_view what) {
    if (!value.is_string()) return fail(fmt::format("must be a hex string ({}), found {}", what, kind_of(value)));
    const std::string_view text = strip_0x(value.get_ref<const std::string&>());
    if (text.size() > 2 * max_bytes) return fail(fmt::format("is longer than {} bytes", max_bytes));
    auto bytes = hex_decode(text);
    if (!bytes) return fail(fmt::format("is not hex: {}", to_string(bytes.error())));
    return std::move(*bytes);
}

Result<Paging, std::string> parse_paging(const Json& value) {
    if (!value.is_object()) return fail(fmt::format("must be an object {{start, limit, ignore_stake}}, found {}", kind_of(value)));
    Paging paging;
    for (const auto& [key, field] : value.items()) {
        if (key == "start") {
            auto start = parse_u64(field);
            if (!start) return fail("field `start` " + start.error());
            paging.start = *start;
        } else if (key == "limit") {
            auto limit = parse_u64(field);
            if (!limit) return fail("field `limit` " + limit.error());
            if (*limit < 1 || *limit > Paging::max_limit) {
                return fail(fmt::format("field `limit` must be from 1 to {}", Paging::max_limit));
            }
            paging.limit = *limit;
        } else if (key == "ignore_stake") {
            if (!field.is_boolean()) return fail("field `ignore_stake` must be a boolean, found " + kind_of(field));
            paging.ignore_stake = field.get<bool>();
        } else {
            return fail(fmt::format("has an unknown field `{}` (fields: start, limit, ignore_stake)", key));
        }
    }
    return paging;
}

}  // namespace

Result<ParamValue, std::string> parse_param(const ParamSpec& spec, const Json& value) {
    switch (spec.type) {
        case ParamType::address: {
            if (!value.is_string()) return fail("must be an address string \"0x...\", found " + kind_of(value));
            auto address = crypto::AccountAddress::parse(value.get_ref<const std::string&>());
            if (!address) {
                if (address.error() == crypto::KeyError::bad_checksum) {
                    return fail(std::string("fails its EIP-55 checksum (a mistyped letter?)"));
                }
                return fail(std::string("must be an address: 0x and 40 hex digits"));
            }
            return ParamValue(*address);
        }
        case ParamType::node_key: {
            if (!value.is_string()) return fail("must be a base58 node public key, found " + kind_of(value));
            auto key = crypto::NodePublicKey::from_base58(value.get_ref<const std::string&>());
            if (!key) return fail(fmt::format("is not a base58 Ed25519 node public key ({})", crypto::to_string(key.error())));
            return ParamValue(*key);
        }
        case ParamType::client_key: {
            if (!value.is_string()) return fail("must be a base58 client public key, found " + kind_of(value));
            auto key = crypto::ClientPublicKey::from_base58(value.get_ref<const std::string&>());
            if (!key) return fail(fmt::format("is not a base58 Ed25519 client public key ({})", crypto::to_string(key.error())));
            return ParamValue(*key);
        }
        case ParamType::hash: {
            if (!value.is_string()) return fail("must be a hash (64 hex digits), found " + kind_of(value));
            auto hash = hex_decode_array<32>(strip_0x(value.get_ref<const std::string&>()));
            if (!hash) return fail(std::string("must be a hash: 64 hex digits"));
            return ParamValue(*hash);
        }
        case ParamType::u64: {
            auto number = parse_u64(value);
            if (!number) return fail(number.error());
            return ParamValue(*number);
        }
        case ParamType::boolean:
            if (!value.is_boolean()) return fail("must be true or false, found " + kind_of(value));
            return ParamValue(value.get<bool>());
        case ParamType::name: {
            if (!value.is_string()) return fail("must be a string, found " + kind_of(value));
            const auto& text = value.get_ref<const std::string&>();
            if (std::find(spec.allowed.begin(), spec.allowed.end(), text) == spec.allowed.end()) {
                std::string list;
                for (const auto& allowed : spec.allowed) list += (list.empty() ? "" : ", ") + allowed;
                return fail(fmt::format("must be one of: {}", list));
            }
            return ParamValue(text);
        }
        case ParamType::transaction: {
            auto bytes = parse_hex(value, ledger::transaction_size_max + 1, "an encoded signed transaction");
            if (!bytes) return fail(bytes.error());
            if (bytes->empty()) return fail(std::string("is empty"));
            return ParamValue(std::move(*bytes));
        }
        case ParamType::state_key: {
            auto bytes = parse_hex(value, state_key_size_max, "a state key");
            if (!bytes) return fail(bytes.error());
            if (bytes->empty()) return fail(std::string("is empty"));
            return ParamValue(std::move(*bytes));
        }
        case ParamType::paging: {
            auto paging = parse_paging(value);
            if (!paging) return fail(paging.error());
            return ParamValue(*paging);
        }
    }
    return fail(std::string("has an unknown type"));
}

Result<Params, RpcError> bind_params(const MethodSpec& method, const Json* params) {
    std::vector<ParamValue> values(method.params.size());
    const auto bad = [&](std::string message) {
        return fail(RpcError::make(ErrorCode::invalid_params, fmt::format("{}: {}", method.name, message)));
    };
    const auto parse_into = [&](size_t i, const Json& value) -> std::optional<std::string> {
        const ParamSpec& spec = method.params[i];
        if (value.is_null() && !spec.required) return std::nullopt;  // null = left out
        auto parsed = parse_param(spec, value);
        if (!parsed) return fmt::format("parameter `{}` {}", spec.name, parsed.error());
        values[i] = std::move(*parsed);
        return std::nullopt;
    };
    if (params != nullptr && params->is_array()) {
        if (params->size() > method.params.size()) {
            return bad(fmt::format("takes at most {} parameter{}, got {}", method.params.size(),
                                   method.params.size() == 1 ? "" : "s", params->size()));
        }
        for (size_t i = 0; i < params->size(); ++i) {
            if (auto error = parse_into(i, (*params)[i])) return bad(*error);
        }
    } else if (params != nullptr && params->is_object()) {
        for (const auto& [key, value] : params->items()) {
            size_t i = 0;
            while (i < method.params.size() && method.params[i].name != key) ++i;
            if (i == method.params.size()) {
                std::string names;
                for (const auto& spec : method.params) names += (names.empty() ? "" : ", ") + spec.name;
                return bad(fmt::format("unknown parameter `{}` ({})", key,
                                       names.empty() ? std::string("it takes none") : "parameters: " + names));
            }
            if (auto error = parse_into(i, value)) return bad(*error);
        }
    } else {
        FLEEK_ASSERT(params == nullptr || params->is_null());
    }
    for (size_t i = 0; i < method.params.size(); ++i) {
        if (method.params[i].required && std::holds_alternative<std::monostate>(values[i])) {
            return bad(fmt::format("missing required parameter `{}` ({})", method.params[i].name,
                                   to_string(method.params[i].type)));
        }
    }
    return Params(&method, std::move(values));
}

// ------------------------------------------------------------------------------- registry

namespace {

bool valid_method_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
}

std::string schema_ref(std::string_view name) { return fmt::format("#/components/schemas/{}", name); }

// Schemas of the parameter types, always part of the document.
const std::vector<std::pair<std::string, Json>>& builtin_schemas() {
    static const std::vector<std::pair<std::string, Json>> schemas = {
        {"Address", Json{{"type", "string"}, {"pattern", "^0x[0-9a-fA-F]{40}$"},
                         {"description", "Account address: 0x and 40 hex digits, EIP-55 checksummed in results"}}},
        {"NodePublicKey", Json{{"type", "string"}, {"pattern", "^[1-9A-HJ-NP-Za-km-z]{32,44}$"},
                               {"description", "Ed25519 node public key, base58"}}},
        {"ClientPublicKey", Json{{"type", "string"}, {"pattern", "^[1-9A-HJ-NP-Za-km-z]{32,44}$"},
                                 {"description", "Ed25519 client public key, base58"}}},
        {"Hash", Json{{"type", "string"}, {"pattern", "^(0x)?[0-9a-fA-F]{64}$"},
                      {"description", "32-byte hash, hex (results: 64 lower-case digits without 0x)"}}},
        {"U64", Json{{"type", "integer"}, {"minimum", 0}, {"maximum", UINT64_MAX},
                     {"description", "Unsigned 64-bit integer (parameters also accept its decimal string)"}}},
        {"HexBytes", Json{{"type", "string"}, {"pattern", "^(0x)?([0-9a-fA-F]{2})*$"}, {"description", "Bytes, hex"}}},
        {"Paging", Json{{"type", "object"},
                        {"additionalProperties", false},
                        {"properties",
                         {{"start", {{"$ref", schema_ref("U64")}, {"description", "First index (default 0)"}}},
                          {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", Paging::max_limit},
                                     {"description", "At most this many entries (default 100)"}}},
                          {"ignore_stake", {{"type", "boolean"},
                                            {"description", "Include nodes below the minimum stake (default false)"}}}}}}},
    };
    return schemas;
}

}  // namespace

Json param_schema(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::address: return Json{{"$ref", schema_ref("Address")}};
        case ParamType::node_key: return Json{{"$ref", schema_ref("NodePublicKey")}};
        case ParamType::client_key: return Json{{"$ref", schema_ref("ClientPublicKey")}};
        case ParamType::hash: return Json{{"$ref", schema_ref("Hash")}};
        case ParamType::u64: return Json{{"$ref", schema_ref("U64")}};
        case ParamType::boolean: return Json{{"type", "boolean"}};
        case ParamType::name: return Json{{"type", "string"}, {"enum", spec.allowed}};
        case ParamType::transaction:
        case ParamType::state_key: return Json{{"$ref", schema_ref("HexBytes")}};
        case ParamType::paging: return Json{{"$ref", schema_ref("Paging")}};
    }
    return Json::object();
}

Registry::Registry() {
    for (const auto& [name, schema] : builtin_schemas()) m_schemas.emplace(name, schema);
}

void Registry::add(MethodSpec method) {
    FLEEK_ASSERT(valid_method_name(method.name));
    FLEEK_ASSERT(!m_index.contains(method.name));
    FLEEK_ASSERT(!method.summary.empty() && method.handler);
    bool optional_seen = false;
    for (size_t i = 0; i < method.params.size(); ++i) {
        const ParamSpec& spec = method.params[i];
        FLEEK_ASSERT(!spec.name.empty() && !spec.description.empty());
        FLEEK_ASSERT(spec.type != ParamType::name || !spec.allowed.empty());
        FLEEK_ASSERT(!(spec.required && optional_seen));  // positional calls could not skip to it
        optional_seen = optional_seen || !spec.required;
        for (size_t j = 0; j < i; ++j) FLEEK_ASSERT(method.params[j].name != spec.name);
    }
    m_index.emplace(method.name, m_methods.size());
    m_methods.push_back(std::move(method));
}

void Registry::add_schema(std::string name, Json schema) {
    FLEEK_ASSERT(!m_schemas.contains(name));
    m_schemas.emplace(std::move(name), std::move(schema));
}

const MethodSpec* Registry::find(std::string_view name) const {
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_methods[it->second];
}

std::optional<size_t> Registry::index_of(std::string_view name) const {
    const auto it = m_index.find(name);
    if (it == m_index.end()) return std::nullopt;
    return it->second;
}

// ------------------------------------------------------------------------------- documents

namespace {

Json error_object(ErrorCode code) {
    std::string_view message;
    switch (code) {
        case ErrorCode::transaction_rejected: message = "Transaction rejected: data.reason names the check that failed"; break;
        case ErrorCode::unavailable: message = "The node cannot serve this now; data.reason says why. Retry later"; break;
        case ErrorCode::epoch_unavailable: message = "This node keeps the state of the current epoch only"; break;
        case ErrorCode::not_found: message = "The object the call names does not exist; data.reason says which kind"; break;
        case ErrorCode::rate_limited:
            message = "Too many requests from this client address; retry after data.retry_after_ms (HTTP 429)";
            break;
        default: message = to_string(code);
    }
    return Json{{"code", static_cast<int>(code)}, {"message", message}};
}

// A short human spelling of a schema: "Amount", "[NodeInfo]", "NodeInfo | null", "string".
std::string schema_summary(const Json& schema) {
    if (schema.contains("$ref")) {
        const auto& ref = schema["$ref"].get_ref<const std::string&>();
        return ref.substr(ref.rfind('/') + 1);
    }
    if (schema.contains("oneOf")) {
        std::string text;
        for (const auto& option : schema["oneOf"]) text += (text.empty() ? "" : " | ") + schema_summary(option);
        return text;
    }
    if (schema.contains("enum")) {
        std::string text;
        for (const auto& option : schema["enum"]) text += (text.empty() ? "" : " | ") + option.dump();
        return text;
    }
    if (schema.contains("type") && schema["type"].is_string()) {
        const auto& type = schema["type"].get_ref<const std::string&>();
        if (type == "array" && schema.contains("items")) return "[" + schema_summary(schema["items"]) + "]";
        return type;
    }
    return "value";
}

// Text for a markdown table cell: a `|` would end the cell.
std::string table_cell(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '|') out += '\\';
        if (c != '\n') out += c;
        else out += ' ';
    }
    return out;
}

std::string param_signature(const MethodSpec& method) {
    std::string text;
    for (const auto& spec : method.params) {
        text += (text.empty() ? "" : ", ") + spec.name + (spec.required ? "" : "?");
    }
    return text;
}

Json example_request(const MethodSpec& method, const Example& example) {
    Json params = Json::array();
    for (const auto& [name, value] : example.params) params.push_back(value);
    Json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method.name}};
    if (!params.empty()) request["params"] = params;
    return request;
}

}  // namespace

Json Registry::openrpc() const {
    Json methods = Json::array();
    for (const auto& method : m_methods) {
        Json params = Json::array();
        for (const auto& spec : method.params) {
            params.push_back(Json{{"name", spec.name},
                                  {"description", spec.description},
                                  {"required", spec.required},
                                  {"schema", param_schema(spec)}});
        }
        Json errors = Json::array();
        for (const ErrorCode code : method.errors) errors.push_back(error_object(code));
        Json examples = Json::array();
        for (const auto& example : method.examples) {
            Json example_params = Json::array();
            for (const auto& [name, value] : example.params) example_params.push_back(Json{{"name", name}, {"value", value}});
            examples.push_back(Json{{"name", example.name},
                                    {"params", example_params},
                                    {"result", Json{{"name", method.result.name}, {"value", example.result}}}});
        }
        Json entry{{"name", method.name},
                   {"summary", method.summary},
                   {"paramStructure", "either"},
                   {"params", params},
                   {"result", Json{{"name", method.result.name},
                                   {"description", method.result.description},
                                   {"schema", method.result.schema}}},
                   {"errors", errors},
                   {"examples", examples}};
        if (!method.description.empty()) entry["description"] = method.description;
        methods.push_back(std::move(entry));
    }
    Json schemas = Json::object();
    for (const auto& [name, schema] : m_schemas) schemas[name] = schema;
    Json errors = Json::object();
    for (const ErrorCode code : all_error_codes()) errors[std::string(to_string(code))] = error_object(code);
    return Json{{"openrpc", "1.2.6"},
                {"info",
                 {{"title", "Fleek Network node JSON-RPC"},
                  {"version", "0.1.0"},
                  {"description", "JSON-RPC 2.0 over HTTP POST on port 4230 at / and /rpc/v0 (docs/rpc.md)"}}},
                {"servers", Json::array({Json{{"name", "local node"}, {"url", "http://127.0.0.1:4230/rpc/v0"}}})},
                {"methods", methods},
                {"components", {{"schemas", schemas}, {"errors", errors}}}};
}

std::string Registry::markdown() const {
    std::string out;
    out += "| method | params | result | summary |\n|---|---|---|---|\n";
    for (const auto& method : m_methods) {
        out += fmt::format("| [`{}`](#{}) | {} | {} | {} |\n", method.name, method.name == "rpc.discover" ? "rpcdiscover" : method.name,
                           param_signature(method), table_cell(schema_summary(method.result.schema)), table_cell(method.summary));
    }
    for (const auto& method : m_methods) {
        out += fmt::format("\n### {}\n\n{}.", method.name, method.summary);
        if (!method.description.empty()) out += " " + method.description;
        out += "\n\n";
        if (method.params.empty()) {
            out += "No parameters.\n\n";
        } else {
            out += "| param | type | required | description |\n|---|---|---|---|\n";
            for (const auto& spec : method.params) {
                std::string type(to_string(spec.type));
                if (spec.type == ParamType::name) {
                    type = "one of";
                    for (const auto& allowed : spec.allowed) type += " `" + allowed + "`";
                }
                out += fmt::format("| `{}` | {} | {} | {} |\n", spec.name, table_cell(type), spec.required ? "yes" : "no",
                                   table_cell(spec.description));
            }
            out += "\n";
        }
        out += fmt::format("Result `{}` ({}): {}\n", method.result.name, schema_summary(method.result.schema),
                           method.result.description);
        if (!method.errors.empty()) {
            out += "\nErrors:";
            for (const ErrorCode code : method.errors) out += fmt::format(" `{}` {}", static_cast<int>(code), to_string(code));
            out += "\n";
        }
        for (const auto& example : method.examples) {
            out += fmt::format("\nExample ({}):\n\n```\n→ {}\n← {}\n```\n", example.name,
                               example_request(method, example).dump(),
                               Json{{"jsonrpc", "2.0"}, {"id", 1}, {"result", example.result}}.dump());
        }
    }
    return out;
}

std::string Registry::help_text(const std::vector<std::string_view>& names) const {
    std::string out = "JSON-RPC methods this command calls (docs/rpc.md):\n";
    for (const std::string_view name : names) {
        const MethodSpec* method = find(name);
        FLEEK_ASSERT(method != nullptr);  // a command names a method that is not declared
        out += fmt::format("  {}({}) -> {}\n      {}\n", method->name, param_signature(*method),
                           schema_summary(method->result.schema), method->summary);
    }
    return out;
}

std::string Registry::param_description(std::string_view method_name, std::string_view param_name) const {
    const MethodSpec* method = find(method_name);
    FLEEK_ASSERT(method != nullptr);
    const ParamSpec* spec = method->param(param_name);
    FLEEK_ASSERT(spec != nullptr);
    return spec->description;
}

}  // namespace fleek::rpc
