#include "rpc/server_metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace fleek::rpc {

namespace {

std::string_view route_name(size_t route) {
    switch (static_cast<HttpRoute>(route)) {
        case HttpRoute::rpc: return "rpc";
        case HttpRoute::health: return "health";
        case HttpRoute::version: return "version";
        case HttpRoute::metrics: return "metrics";
        case HttpRoute::other: return "other";
    }
    return "other";
}

size_t code_slot(int code) {
    const auto& codes = all_error_codes();
    for (size_t i = 0; i < codes.size(); ++i) {
        if (static_cast<int>(codes[i]) == code) return i;
    }
    return codes.size();
}

}  // namespace

ServerMetrics::ServerMetrics(const Registry& registry)
    : m_registry(registry),
      m_slots(registry.methods().size() + 1),
      m_calls(new std::atomic<uint64_t>[m_slots]),
      m_errors(new std::atomic<uint64_t>[m_slots]) {
    for (size_t i = 0; i < m_slots; ++i) {
        m_calls[i].store(0, std::memory_order_relaxed);
        m_errors[i].store(0, std::memory_order_relaxed);
    }
    static_assert(std::tuple_size_v<decltype(m_error_codes)> >= 8);
    FLEEK_ASSERT(all_error_codes().size() <= m_error_codes.size());
}

size_t ServerMetrics::slot(std::string_view method) const {
    const auto index = m_registry.index_of(method);
    return index ? *index : m_slots - 1;
}

void ServerMetrics::on_call(const MethodSpec* method, int code) {
    const size_t i = method == nullptr ? m_slots - 1 : slot(method->name);
    m_calls[i].fetch_add(1, std::memory_order_relaxed);
    if (code != 0) {
        m_errors[i].fetch_add(1, std::memory_order_relaxed);
        const size_t c = code_slot(code);
        if (c < m_error_codes.size()) m_error_codes[c].fetch_add(1, std::memory_order_relaxed);
    }
}

void ServerMetrics::on_response(HttpRoute route, unsigned status) {
    const size_t status_class = std::clamp<unsigned>(status / 100, 1, 5) - 1;
    m_responses[static_cast<size_t>(route)][status_class].fetch_add(1, std::memory_order_relaxed);
}

uint64_t ServerMetrics::calls(std::string_view method) const {
    return m_calls[method.empty() ? m_slots - 1 : slot(method)].load(std::memory_order_relaxed);
}

uint64_t ServerMetrics::errors(std::string_view method) const {
    return m_errors[method.empty() ? m_slots - 1 : slot(method)].load(std::memory_order_relaxed);
}

uint64_t ServerMetrics::errors_with_code(ErrorCode code) const {
    const size_t c = code_slot(static_cast<int>(code));
    return c < m_error_codes.size() ? m_error_codes[c].load(std::memory_order_relaxed) : 0;
}

std::string ServerMetrics::prometheus_text() const {
    std::string out;
    const auto method_label = [&](size_t i) {
        return i + 1 == m_slots ? std::string("unknown") : m_registry.methods()[i].name;
    };
    out += "# HELP fleek_rpc_calls_total JSON-RPC calls by method (unknown: names not in the registry)\n";
    out += "# TYPE fleek_rpc_calls_total counter\n";
    for (size_t i = 0; i < m_slots; ++i) {
        out += fmt::format("fleek_rpc_calls_total{{method=\"{}\"}} {}\n", method_label(i), m_calls[i].load(std::memory_order_relaxed));
    }
    out += "# HELP fleek_rpc_call_errors_total JSON-RPC calls answered with an error, by method\n";
    out += "# TYPE fleek_rpc_call_errors_total counter\n";
    for (size_t i = 0; i < m_slots; ++i) {
        out += fmt::format("fleek_rpc_call_errors_total{{method=\"{}\"}} {}\n", method_label(i), m_errors[i].load(std::memory_order_relaxed));
    }
    out += "# HELP fleek_rpc_errors_total JSON-RPC errors by code\n";
    out += "# TYPE fleek_rpc_errors_total counter\n";
    const auto& codes = all_error_codes();
    for (size_t c = 0; c < codes.size(); ++c) {
        out += fmt::format("fleek_rpc_errors_total{{code=\"{}\",name=\"{}\"}} {}\n", static_cast<int>(codes[c]), to_string(codes[c]),
                           m_error_codes[c].load(std::memory_order_relaxed));
    }
    out += "# HELP fleek_rpc_http_responses_total HTTP responses by route and status class\n";
    out += "# TYPE fleek_rpc_http_responses_total counter\n";
    for (size_t r = 0; r < http_route_count; ++r) {
        for (size_t s = 0; s < 5; ++s) {
            out += fmt::format("fleek_rpc_http_responses_total{{route=\"{}\",status=\"{}xx\"}} {}\n", route_name(r), s + 1,
                               m_responses[r][s].load(std::memory_order_relaxed));
        }
    }
    out += "# HELP fleek_rpc_connections_total Connections accepted\n# TYPE fleek_rpc_connections_total counter\n";
    out += fmt::format("fleek_rpc_connections_total {}\n", m_connections_total.load(std::memory_order_relaxed));
    out += "# HELP fleek_rpc_connections_open Connections open now\n# TYPE fleek_rpc_connections_open gauge\n";
    out += fmt::format("fleek_rpc_connections_open {}\n", m_connections_open.load(std::memory_order_relaxed));
    out += "# HELP fleek_rpc_connections_refused_total Connections closed at once: over max_connections\n";
    out += "# TYPE fleek_rpc_connections_refused_total counter\n";
    out += fmt::format("fleek_rpc_connections_refused_total {}\n", m_connections_refused.load(std::memory_order_relaxed));
    out += "# HELP fleek_rpc_bodies_too_large_total Requests refused for a body over max_body_bytes\n";
    out += "# TYPE fleek_rpc_bodies_too_large_total counter\n";
    out += fmt::format("fleek_rpc_bodies_too_large_total {}\n", m_bodies_too_large.load(std::memory_order_relaxed));
    out += "# HELP fleek_rpc_rate_limited_total Requests answered 429 (-32005): the client address had no tokens left\n";
    out += "# TYPE fleek_rpc_rate_limited_total counter\n";
    out += fmt::format("fleek_rpc_rate_limited_total {}\n", m_rate_limited.load(std::memory_order_relaxed));
    return out;
}

}  // namespace fleek::rpc
