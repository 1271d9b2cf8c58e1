#include "node/config.h"

#include "origins/address_policy.h"
#include "util/file.h"
#include "util/log.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <limits>
#include <set>
#include <type_traits>

namespace fleek::node {

// ------------------------------------------------------------------------------- ListenAddress

Result<ListenAddress, std::string> ListenAddress::parse(std::string_view text) {
    const std::string shown(text);
    size_t colon = std::string_view::npos;
    std::string_view host;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return fail(fmt::format("`{}` is not host:port (IPv6 hosts look like [::1]:4230)", shown));
        }
        host = text.substr(1, close - 1);
        colon = close + 1;
    } else {
        colon = text.rfind(':');
        if (colon == std::string_view::npos) return fail(fmt::format("`{}` is not host:port (for example 0.0.0.0:4230)", shown));
        host = text.substr(0, colon);
        if (host.find(':') != std::string_view::npos) {
            return fail(fmt::format("`{}`: write IPv6 hosts in brackets, like [::1]:4230", shown));
        }
    }
    if (host.empty()) return fail(fmt::format("`{}` has no host (use 0.0.0.0 for all interfaces)", shown));
    for (const char c : host) {
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                             c == '-' || c == ':' || c == '%' || c == '_';
        if (!allowed) return fail(fmt::format("`{}` has an invalid character in its host", shown));
    }
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
        (port_text.size() > 1 && port_text[0] == '0')) {
        return fail(fmt::format("`{}` has an invalid port (expected 0 to 65535)", shown));
    }
    return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

std::string ListenAddress::to_string() const {
    if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

// ------------------------------------------------------------------------------- defaults

Config Config::defaults() { return Config{}; }

Config Config::dev_defaults() {
    Config config;
    for (ListenAddress* address : {&config.gateway.http_address, &config.gateway.tcp_address, &config.rpc.address,
                                   &config.pool.address, &config.pinger.address}) {
        address->host = "127.0.0.1";
    }
    config.blockstore.capacity_bytes = uint64_t{1} << 30;
    config.blockstore.block_cache_bytes = uint64_t{64} << 20;
    config.gateway.upload_enabled = true;
    config.gateway.upload_quota_bytes = uint64_t{256} << 20;
    config.gateway.upload_capacity_bytes = uint64_t{512} << 20;
    config.gateway.fetch_enabled = true;
    config.gateway.require_token = false;  // loopback only
    config.log.level = "debug";
    // Every client and every node of a devnet comes from 127.0.0.1: limits per address would
    // only throttle the developer and the devnet's own nodes.
    config.rpc.rate_limit_per_second = 0;
    config.pool.unauthenticated_per_ip_max = config.pool.unauthenticated_max;
    return config;
}

Result<void, std::string> Config::validate() const {
    if (auto level = log::parse_level(log.level); !level) return fail("log.level: " + level.error());
    const std::pair<std::string_view, const std::string*> paths[] = {
        {"keystore.node_key_path", &keystore.node_key_path},
        {"keystore.consensus_key_path", &keystore.consensus_key_path},
        {"ledger.db_path", &ledger.db_path},
        {"ledger.chain_path", &ledger.chain_path},
        {"consensus.store_path", &consensus.store_path},
        {"blockstore.root", &blockstore.root},
        {"origins.resolver_path", &origins.resolver_path},
        {"gateway.token_path", &gateway.token_path},
    };
    for (const auto& [name, path] : paths) {
        if (path->empty()) return fail(fmt::format("{} must not be empty", name));
    }
    if (gateway.threads < 1 || gateway.threads > 64) return fail(std::string("gateway.threads must be between 1 and 64"));
    if (gateway.max_connections < 1) return fail(std::string("gateway.max_connections must be at least 1"));
    if (gateway.http_connections_per_ip_max < 1) return fail(std::string("gateway.http_connections_per_ip_max must be at least 1"));
    if (gateway.idle_timeout_ms < 100) return fail(std::string("gateway.idle_timeout_ms must be at least 100"));
    if (gateway.receipt_interval_bytes < 1 || gateway.window_bytes < gateway.receipt_interval_bytes) {
        return fail(std::string("gateway.receipt_interval_bytes must be at least 1 and at most gateway.window_bytes"));
    }
    if (gateway.ack_timeout_ms < 100 || gateway.open_timeout_ms < 100) {
        return fail(std::string("gateway.ack_timeout_ms and gateway.open_timeout_ms must be at least 100"));
    }
    if (gateway.tcp_connections_max < 1) return fail(std::string("gateway.tcp_connections_max must be at least 1"));
    if (gateway.tcp_connections_per_ip_max < 1) return fail(std::string("gateway.tcp_connections_per_ip_max must be at least 1"));
    if (gateway.batch_interval_ms < 100 || gateway.resubmit_delay_ms < 100) {
        return fail(std::string("gateway.batch_interval_ms and gateway.resubmit_delay_ms must be at least 100"));
    }
    if (origins.fetch_threads < 1 || origins.fetch_threads > 256) return fail(std::string("origins.fetch_threads must be between 1 and 256"));
    if (origins.connect_timeout_ms < 1 || origins.request_timeout_ms < 1) {
        return fail(std::string("origins.connect_timeout_ms and origins.request_timeout_ms must be positive"));
    }
    if (origins.max_block_bytes < 1024) return fail(std::string("origins.max_block_bytes must be at least 1024"));
    if (origins.ipfs_parallel_requests < 1 || origins.ipfs_parallel_requests > 64) {
        return fail(std::string("origins.ipfs_parallel_requests must be between 1 and 64"));
    }
    if (origins.ipfs_fetch_deadline_ms < 1) return fail(std::string("origins.ipfs_fetch_deadline_ms must be positive"));
    if (edge.stall_timeout_ms < 100 || edge.stall_timeout_ms > 600'000) return fail(std::string("edge.stall_timeout_ms must be between 100 and 600000"));
    if (edge.provider_wait_ms > 600'000) return fail(std::string("edge.provider_wait_ms must be at most 600000"));
    if (edge.fetch_deadline_ms < 1'000) return fail(std::string("edge.fetch_deadline_ms must be at least 1000"));
    if (edge.resolver_query_ms > 60'000) return fail(std::string("edge.resolver_query_ms must be at most 60000"));
    if (edge.serve_bytes_per_second != 0 && edge.serve_bytes_per_second < (uint64_t{1} << 20)) {
        return fail(std::string("edge.serve_bytes_per_second must be 0 (no limit) or at least 1048576"));
    }
    for (const auto& gateway_url : origins.ipfs_gateways) {
        if (!gateway_url.starts_with("http://") && !gateway_url.starts_with("https://")) {
            return fail(fmt::format("origins.ipfs_gateways: `{}` is not an http:// or https:// URL", gateway_url));
        }
    }
    if (pool.inbound_connections_max < 1 || pool.outbound_connections_max < 1 || pool.unauthenticated_max < 1 ||
        pool.unauthenticated_per_ip_max < 1) {
        return fail(std::string("pool.inbound_connections_max, outbound_connections_max, unauthenticated_max and "
                                "unauthenticated_per_ip_max must be at least 1"));
    }
    if (pool.handshake_timeout_ms < 100) return fail(std::string("pool.handshake_timeout_ms must be at least 100"));
    if (rpc.rate_limit_per_second > 0 && rpc.rate_limit_burst < 1) {
        return fail(std::string("rpc.rate_limit_burst must be at least 1 when rpc.rate_limit_per_second is set"));
    }
    if (health.stall_ms < 1'000) return fail(std::string("health.stall_ms must be at least 1000"));
    if (auto policy = origins::AddressPolicy::with_allowlist(origins.allowlist); !policy) {
        return fail(fmt::format("origins.allowlist: {}", policy.error()));
    }
    if (!gateway.require_token) {
        // Without tokens anyone who reaches the gateway may upload and make the node fetch.
        const auto host = origins::IpAddress::parse(gateway.http_address.host);
        const bool loopback = gateway.http_address.host == "localhost" ||
                              (host && origins::classify(*host) == origins::AddressClass::loopback);
        if (!loopback) {
            return fail(fmt::format("gateway.require_token = false is allowed only on a loopback gateway.http_address, not {}",
                                    gateway.http_address.host));
        }
    }
    if (keystore.node_key_path == keystore.consensus_key_path) {
        return fail("keystore.node_key_path and keystore.consensus_key_path must be different files");
    }
    // TCP listeners may not share a port on overlapping hosts (0.0.0.0 overlaps everything).
    const std::pair<std::string_view, const ListenAddress*> listeners[] = {
        {"pool.address", &pool.address},
        {"gateway.http_address", &gateway.http_address},
        {"gateway.tcp_address", &gateway.tcp_address},
        {"rpc.address", &rpc.address},
    };
    const auto overlaps = [](const ListenAddress& a, const ListenAddress& b) {
        const auto any = [](const std::string& host) { return host == "0.0.0.0" || host == "::"; };
        return a.port != 0 && a.port == b.port && (a.host == b.host || any(a.host) || any(b.host));
    };
    for (size_t i = 0; i < std::size(listeners); ++i) {
        for (size_t j = i + 1; j < std::size(listeners); ++j) {
            if (overlaps(*listeners[i].second, *listeners[j].second)) {
                return fail(fmt::format("{} and {} both listen on {}", listeners[i].first, listeners[j].first,
                                        listeners[j].second->to_string()));
            }
        }
    }
    return {};
}

// ------------------------------------------------------------------------------- loading

namespace {

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: return "nothing";
    }
    return "an unknown type";
}

// Collects the names a config struct declares, for unknown-key checks and messages.
struct NameCollector {
    std::vector<std::string> names;
    template <class T>
    void field(std::string_view name, T&, std::string_view) {
        names.emplace_back(name);
    }
    template <class T>
    void table(std::string_view name, T&, std::string_view) {
        names.emplace_back(name);
    }
};

template <class T>
std::vector<std::string> declared_names(T& value) {
    NameCollector collector;
    value.visit(collector);
    return collector.names;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out;
}

class Loader {
public:
    Loader(std::string_view source_name) : m_source(source_name) {}

    bool failed() const { return m_error.has_value(); }
    ConfigError take_error() { return std::move(*m_error); }

    template <class T>
    void load_root(const toml::table& root, T& config) {
        check_unknown(root, declared_names(config), "", "tables");
        if (failed()) return;
        m_table = &root;
        config.visit(*this);
    }

    template <class T>
    void table(std::string_view name, T& value, std::string_view) {
        if (failed()) return;
        const toml::node* node = m_table->get(name);
        if (node == nullptr) return;  // whole table defaulted
        const toml::table* table = node->as_table();
        if (table == nullptr) {
            error(*node, fmt::format("`{}` must be a table ([{}]), found {}", name, name, type_name(*node)));
            return;
        }
        check_unknown(*table, declared_names(value), std::string(name) + ".", "keys in [" + std::string(name) + "]");
        if (failed()) return;
        const toml::table* outer = m_table;
        const std::string outer_prefix = m_prefix;
        m_table = table;
        m_prefix = std::string(name) + ".";
        value.visit(*this);
        m_table = outer;
        m_prefix = outer_prefix;
    }

    template <class T>
    void field(std::string_view name, T& value, std::string_view) {
        if (failed()) return;
        const toml::node* node = m_table->get(name);
        if (node == nullptr) return;  // default kept
        const std::string key = m_prefix + std::string(name);
        if constexpr (std::is_same_v<T, std::string>) {
            if (const auto* text = node->as_string()) {
                value = text->get();
                return;
            }
            return wrong_type(*node, key, "a string");
        } else if constexpr (std::is_same_v<T, bool>) {
            if (const auto* flag = node->as_boolean()) {
                value = flag->get();
                return;
            }
            return wrong_type(*node, key, "a boolean (true or false)");
        } else if constexpr (std::is_integral_v<T>) {
            const auto* integer = node->as_integer();
            if (integer == nullptr) return wrong_type(*node, key, "an integer");
            const int64_t number = integer->get();
            if (number < 0 || static_cast<uint64_t>(number) > std::numeric_limits<T>::max()) {
                return error(*node, fmt::format("`{}` must be between 0 and {}, found {}", key,
                                                std::numeric_limits<T>::max(), number));
            }
            value = static_cast<T>(number);
        } else if constexpr (std::is_same_v<T, ListenAddress>) {
            const auto* text = node->as_string();
            if (text == nullptr) return wrong_type(*node, key, "a string \"host:port\"");
            auto address = ListenAddress::parse(text->get());
            if (!address) return error(*node, fmt::format("`{}`: {}", key, address.error()));
            value = std::move(*address);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            const auto* array = node->as_array();
            if (array == nullptr) return wrong_type(*node, key, "an array of strings");
            std::vector<std::string> items;
            for (const auto& item : *array) {
                const auto* text = item.as_string();
                if (text == nullptr) return wrong_type(item, key + "[]", "a string");
                items.push_back(text->get());
            }
            value = std::move(items);
        } else {
            static_assert(sizeof(T) == 0, "unsupported config field type");
        }
    }

private:
    void check_unknown(const toml::table& table, const std::vector<std::string>& known, const std::string& prefix,
                       const std::string& what) {
        for (const auto& [key, node] : table) {
            const std::string name(key.str());
            if (std::find(known.begin(), known.end(), name) != known.end()) continue;
            error_at(key.source(), fmt::format("unknown key `{}{}` (known {}: {})", prefix, name, what, join(known)));
            return;
        }
    }

    void wrong_type(const toml::node& node, const std::string& key, std::string_view expected) {
        error(node, fmt::format("`{}` must be {}, found {}", key, expected, type_name(node)));
    }

    void error(const toml::node& node, std::string message) { error_at(node.source(), std::move(message)); }

    void error_at(const toml::source_region& where, std::string message) {
        if (m_error) return;
        m_error = ConfigError{fmt::format("{}:{}:{}: {}", m_source, where.begin.line, where.begin.column, message)};
    }

    std::string m_source;
    const toml::table* m_table = nullptr;
    std::string m_prefix;
    std::optional<ConfigError> m_error;
};

}  // namespace

Result<Config, ConfigError> parse_config(std::string_view text, std::string_view source_name) {
    toml::table root;
    try {
        root = toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        const auto& where = error.source().begin;
        return fail(ConfigError{fmt::format("{}:{}:{}: invalid TOML: {}", source_name, where.line, where.column,
                                            error.description())});
    }
    Config config;
    Loader loader(source_name);
    loader.load_root(root, config);
    if (loader.failed()) return fail(loader.take_error());
    if (auto valid = config.validate(); !valid) return fail(ConfigError{fmt::format("{}: {}", source_name, valid.error())});
    return config;
}

Result<Config, ConfigError> load_config_file(const std::filesystem::path& path) {
    auto contents = read_file(path, {.max_size = 1 << 20});
    if (!contents) return fail(ConfigError{contents.error().message});
    return parse_config(std::string_view(reinterpret_cast<const char*>(contents->data()), contents->size()),
                        path.string());
}

// ------------------------------------------------------------------------------- rendering

namespace {

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

class Renderer {
public:
    std::string take() { return std::move(m_out); }

    template <class T>
    void table(std::string_view name, T& value, std::string_view doc) {
        m_out += fmt::format("\n# {}\n[{}]\n", doc, name);
        value.visit(*this);
    }

    template <class T>
    void field(std::string_view name, T& value, std::string_view doc) {
        m_out += fmt::format("# {}\n{} = {}\n", doc, name, render(value));
    }

private:
    static std::string render(const std::string& value) { return quote(value); }
    static std::string render(bool value) { return value ? "true" : "false"; }
    template <class T>
        requires std::is_integral_v<T>
    static std::string render(T value) {
        return std::to_string(value);
    }
    static std::string render(const ListenAddress& value) { return quote(value.to_string()); }
    static std::string render(const std::vector<std::string>& value) {
        std::string out = "[";
        for (size_t i = 0; i < value.size(); ++i) out += (i == 0 ? "" : ", ") + quote(value[i]);
        return out + "]";
    }

    std::string m_out =
        "# Fleek Network node configuration (docs/config.md).\n"
        "# Relative paths are relative to the home directory that holds this file.\n";
};

}  // namespace

std::string render_config(const Config& config) {
    Renderer renderer;
    Config copy = config;  // visit() takes non-const references
    copy.visit(renderer);
    return renderer.take();
}

}  // namespace fleek::node
