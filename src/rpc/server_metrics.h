// Counters of the JSON-RPC server, in Prometheus text format (GET /metrics, flk_metrics):
// calls and errors per method, errors per code, HTTP responses per route and status class,
// connections. Lock-free: every counter is an atomic, per-method counters are preallocated for
// the registry's methods (plus one slot for unknown names), so cardinality stays bounded.
#pragma once

#include "rpc/json_rpc.h"

#include <array>
#include <atomic>
#include <memory>
#include <string>

namespace fleek::rpc {

enum class HttpRoute : uint8_t { rpc, health, version, metrics, other };
inline constexpr size_t http_route_count = 5;

class ServerMetrics final : public CallObserver {
public:
    explicit ServerMetrics(const Registry& registry);

    void on_call(const MethodSpec* method, int code) override;
    void on_response(HttpRoute route, unsigned status);
    void on_connection_opened() {
        m_connections_total.fetch_add(1, std::memory_order_relaxed);
        m_connections_open.fetch_add(1, std::memory_order_relaxed);
    }
    void on_connection_closed() { m_connections_open.fetch_sub(1, std::memory_order_relaxed); }
    void on_connection_refused() { m_connections_refused.fetch_add(1, std::memory_order_relaxed); }
    void on_body_too_large() { m_bodies_too_large.fetch_add(1, std::memory_order_relaxed); }
    void on_rate_limited() { m_rate_limited.fetch_add(1, std::memory_order_relaxed); }
    uint64_t rate_limited() const { return m_rate_limited.load(std::memory_order_relaxed); }

    uint64_t calls(std::string_view method) const;   // "" = unknown methods
    uint64_t errors(std::string_view method) const;
    uint64_t errors_with_code(ErrorCode code) const;
    uint64_t open_connections() const { return m_connections_open.load(std::memory_order_relaxed); }

    std::string prometheus_text() const;

private:
    size_t slot(std::string_view method) const;

    const Registry& m_registry;
    size_t m_slots;  // methods + 1 (unknown)
    std::unique_ptr<std::atomic<uint64_t>[]> m_calls;
    std::unique_ptr<std::atomic<uint64_t>[]> m_errors;
    std::array<std::atomic<uint64_t>, 12> m_error_codes{};
    std::array<std::array<std::atomic<uint64_t>, 5>, http_route_count> m_responses{};  // by status class 1xx..5xx
    std::atomic<uint64_t> m_connections_total{0};
    std::atomic<int64_t> m_connections_open{0};
    std::atomic<uint64_t> m_connections_refused{0};
    std::atomic<uint64_t> m_bodies_too_large{0};
    std::atomic<uint64_t> m_rate_limited{0};
};

}  // namespace fleek::rpc
