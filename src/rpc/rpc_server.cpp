// Boost.Beast and coroutines live here and nowhere else in the RPC module: this file costs most
// of the module's compile time.
#include "rpc/rpc_server.h"

#include "rpc/json_rpc.h"
#include "util/log.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <atomic>
#include <thread>
#include <vector>

namespace fleek::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;

namespace {

constexpr auto with_error = net::as_tuple(net::use_awaitable);
constexpr size_t header_limit_bytes = 16 * 1024;
constexpr std::string_view json_type = "application/json";

struct RequestInfo {
    unsigned version = 11;
    bool keep_alive = true;
    bool head = false;
};

// Extra response headers. Built by plain functions: GCC 12 miscompiles initializer lists
// inside co_await expressions.
using Headers = std::vector<std::pair<std::string, std::string>>;

Headers allow_header(std::string_view methods) {
    Headers headers;
    headers.emplace_back("Allow", std::string(methods));
    return headers;
}

Headers preflight_headers() {
    Headers headers;
    headers.emplace_back("Access-Control-Allow-Methods", "POST, OPTIONS");
    headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
    headers.emplace_back("Access-Control-Max-Age", "86400");
    return headers;
}

std::string json_http_error(std::string_view message) {
    Json body = Json::object();
    body["error"] = message;
    return body.dump();
}

std::string body_too_large_error(size_t limit) {
    return error_response(RpcError::make(ErrorCode::invalid_request, fmt::format("the request body exceeds {} bytes", limit)),
                          nullptr)
        .dump();
}

Headers retry_after_header(uint64_t retry_after_ms) {
    Headers headers;
    headers.emplace_back("Retry-After", std::to_string((retry_after_ms + 999) / 1000));
    return headers;
}

RpcError rate_limited_error(uint64_t retry_after_ms) {
    return RpcError::make(ErrorCode::rate_limited,
                          fmt::format("too many requests from this address; retry in {} ms", retry_after_ms),
                          Json{{"reason", "rate_limited"}, {"retry_after_ms", retry_after_ms}});
}

// The rate limiter's key of a client address: the IPv4 address (also when mapped into IPv6), or
// the /64 prefix of an IPv6 address.
std::string client_key(const net::ip::address& address) {
    if (address.is_v4()) return address.to_string();
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return net::ip::make_address_v4(net::ip::v4_mapped, v6).to_string();
    const auto bytes = v6.to_bytes();
    std::string out = "v6:";
    for (size_t i = 0; i < 8; ++i) out += fmt::format("{:02x}", bytes[i]);
    return out;
}

uint64_t steady_ms() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

HttpRoute route_of(std::string_view target) {
    const size_t query = target.find('?');
    if (query != std::string_view::npos) target = target.substr(0, query);
    if (target == "/" || target == "/rpc/v0" || target == "/rpc/v0/") return HttpRoute::rpc;
    if (target == "/health") return HttpRoute::health;
    if (target == "/version") return HttpRoute::version;
    if (target == "/metrics") return HttpRoute::metrics;
    return HttpRoute::other;
}

}  // namespace

struct RpcServer::Impl {
    Impl(const RpcServerOptions& server_options, Backend& server_backend, const Registry& server_registry)
        : options(server_options),
          backend(server_backend),
          registry(server_registry),
          metrics(server_registry),
          limits{server_options.max_batch_size, DispatchLimits{}.max_nesting_depth},
          limiter(server_options.rate_limit),
          acceptor(ioc) {}

    RpcServerOptions options;
    Backend& backend;
    const Registry& registry;
    ServerMetrics metrics;
    DispatchLimits limits;
    RateLimiter limiter;
    net::io_context ioc;
    tcp::acceptor acceptor;
    std::vector<std::thread> threads;
    std::atomic<size_t> connections{0};
    std::atomic<bool> stopped{false};

    std::string metrics_text() { return metrics.prometheus_text() + backend.metrics_text(); }

    void expire(beast::tcp_stream& stream) const { stream.expires_after(std::chrono::milliseconds(options.idle_timeout_ms)); }

    awaitable<bool> send(beast::tcp_stream& stream, const RequestInfo& request, HttpRoute route, http::status status,
                         std::string body, std::string_view content_type, Headers extra = Headers()) {
        http::response<http::string_body> response{status, request.version};
        response.set(http::field::server, "fleek-node");
        if (!content_type.empty()) response.set(http::field::content_type, content_type);
        response.set(http::field::access_control_allow_origin, "*");
        for (const auto& [field, value] : extra) response.set(field, value);
        response.keep_alive(request.keep_alive);
        response.body() = std::move(body);
        response.prepare_payload();
        if (request.head) response.body().clear();
        metrics.on_response(route, static_cast<unsigned>(status));
        expire(stream);
        if (request.head) {
            http::response_serializer<http::string_body> serializer{response};
            auto [error, bytes] = co_await http::async_write_header(stream, serializer, with_error);
            co_return !error && request.keep_alive;
        }
        auto [error, bytes] = co_await http::async_write(stream, response, with_error);
        co_return !error && request.keep_alive;
    }

    // Runs a JSON-RPC body on this I/O thread. A batch takes its further tokens here (the first
    // was taken with the header); `retry_after_ms` is set when it had too few.
    std::optional<std::string> dispatch(std::string_view body, const std::string& client, uint64_t& retry_after_ms) {
        Context context{backend, registry, [this] { return metrics.prometheus_text(); }};
        const Admission admission = [&](size_t calls) -> std::optional<RpcError> {
            if (calls <= 1) return std::nullopt;
            retry_after_ms = limiter.take(client, calls - 1, steady_ms());
            if (retry_after_ms == 0) return std::nullopt;
            return rate_limited_error(retry_after_ms);
        };
        return handle_json_rpc(body, registry, context, limits, &metrics, &admission);
    }

    awaitable<bool> serve_rpc(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                              http::request_parser<http::string_body>& parser, RequestInfo request, const std::string& client) {
        const http::verb verb = parser.get().method();
        if (verb == http::verb::options) {
            co_return co_await send(stream, request, HttpRoute::rpc, http::status::no_content, "", "", preflight_headers());
        }
        if (verb != http::verb::post) {
            request.keep_alive = request.keep_alive && parser.content_length().value_or(0) == 0 && !parser.chunked();
            co_return co_await send(stream, request, HttpRoute::rpc, http::status::method_not_allowed,
                                    json_http_error("JSON-RPC requests are HTTP POST"), json_type, allow_header("POST, OPTIONS"));
        }
        expire(stream);
        auto [error, bytes] = co_await http::async_read(stream, buffer, parser, with_error);
        if (error == http::error::body_limit) {
            metrics.on_body_too_large();
            request.keep_alive = false;
            co_return co_await send(stream, request, HttpRoute::rpc, http::status::payload_too_large,
                                    body_too_large_error(options.max_body_bytes), json_type);
        }
        if (error) co_return false;  // closed, timed out or malformed
        const std::string& body = parser.get().body();
        uint64_t retry_after_ms = 0;
        std::optional<std::string> response = dispatch(body, client, retry_after_ms);
        if (retry_after_ms > 0) {
            metrics.on_rate_limited();
            co_return co_await send(stream, request, HttpRoute::rpc, http::status::too_many_requests, std::move(*response), json_type,
                                    retry_after_header(retry_after_ms));
        }
        if (!response) co_return co_await send(stream, request, HttpRoute::rpc, http::status::no_content, "", "");
        co_return co_await send(stream, request, HttpRoute::rpc, http::status::ok, std::move(*response), json_type);
    }

    awaitable<void> session(tcp::socket socket) {
        beast::error_code endpoint_error;
        const auto remote = socket.remote_endpoint(endpoint_error);
        const std::string client = endpoint_error ? std::string("?") : client_key(remote.address());
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(header_limit_bytes);
            parser.body_limit(options.max_body_bytes);
            expire(stream);
            auto [error, bytes] = co_await http::async_read_header(stream, buffer, parser, with_error);
            if (error == http::error::body_limit) {
                // Content-Length over the limit: answer without reading the body, then close.
                metrics.on_body_too_large();
                RequestInfo request{parser.get().version(), false, false};
                co_await send(stream, request, HttpRoute::rpc, http::status::payload_too_large,
                              body_too_large_error(options.max_body_bytes), json_type);
                break;
            }
            if (error == http::error::header_limit) {
                RequestInfo request{11, false, false};
                co_await send(stream, request, HttpRoute::other, http::status::request_header_fields_too_large,
                              json_http_error("request header too large"), json_type);
                break;
            }
            if (error) break;  // closed, timed out or not HTTP
            const auto& header = parser.get();
            RequestInfo request{header.version(), header.keep_alive(), header.method() == http::verb::head};
            const HttpRoute route = route_of(std::string_view(header.target().data(), header.target().size()));
            const bool has_body = parser.content_length().value_or(0) > 0 || parser.chunked();
            const bool read_only = header.method() == http::verb::get || header.method() == http::verb::head;
            bool keep_going = false;
            if (const uint64_t retry_after_ms = limiter.take(client, 1, steady_ms()); retry_after_ms > 0) {
                // Answered without reading a body: the connection closes after a request that has one.
                metrics.on_rate_limited();
                if (route == HttpRoute::rpc) metrics.on_call(nullptr, static_cast<int>(ErrorCode::rate_limited));
                if (has_body) request.keep_alive = false;
                std::string answer = route == HttpRoute::rpc ? error_response(rate_limited_error(retry_after_ms), nullptr).dump()
                                                             : json_http_error("too many requests from this address");
                keep_going = co_await send(stream, request, route, http::status::too_many_requests, std::move(answer), json_type,
                                           retry_after_header(retry_after_ms));
            } else if (route == HttpRoute::rpc) {
                keep_going = co_await serve_rpc(stream, buffer, parser, request, client);
            } else {
                if (has_body) request.keep_alive = false;  // the body is not read
                if (route == HttpRoute::other) {
                    keep_going = co_await send(stream, request, route, http::status::not_found,
                                               json_http_error("no such route (JSON-RPC is POST / or /rpc/v0)"), json_type);
                } else if (!read_only) {
                    keep_going = co_await send(stream, request, route, http::status::method_not_allowed,
                                               json_http_error("method not allowed"), json_type, allow_header("GET, HEAD"));
                } else if (route == HttpRoute::health) {
                    const Health health = backend.health();
                    if (health.healthy) {
                        keep_going = co_await send(stream, request, route, http::status::ok, "OK", "text/plain");
                    } else {
                        keep_going = co_await send(stream, request, route, http::status::service_unavailable,
                                                   "unhealthy: " + health.reason + "\n", "text/plain");
                    }
                } else if (route == HttpRoute::version) {
                    keep_going = co_await send(stream, request, route, http::status::ok, options.version + "\n", "text/plain");
                } else {
                    keep_going = co_await send(stream, request, route, http::status::ok, metrics_text(),
                                               "text/plain; version=0.0.4; charset=utf-8");
                }
            }
            if (!keep_going) break;
        }
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        metrics.on_connection_closed();
        connections.fetch_sub(1, std::memory_order_relaxed);
    }

    awaitable<void> accept_loop() {
        for (;;) {
            auto [error, socket] = co_await acceptor.async_accept(net::make_strand(ioc), with_error);
            if (error) {
                if (error == net::error::operation_aborted || stopped.load()) co_return;
                FLEEK_LOG_WARN("rpc", "accept failed: {}", error.message());
                continue;
            }
            if (connections.load(std::memory_order_relaxed) >= options.max_connections) {
                metrics.on_connection_refused();
                beast::error_code ignored;
                socket.close(ignored);
                continue;
            }
            connections.fetch_add(1, std::memory_order_relaxed);
            metrics.on_connection_opened();
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto executor = socket.get_executor();
            net::co_spawn(executor, session(std::move(socket)), net::detached);
        }
    }
};

Result<std::unique_ptr<RpcServer>, std::string> RpcServer::start(const RpcServerOptions& options, Backend& backend,
                                                                 const Registry& registry) {
    if (options.max_connections < 1 || options.max_body_bytes < 1024 || options.max_batch_size < 1 ||
        options.idle_timeout_ms < 1) {
        return fail(std::string("rpc: max_connections, max_batch_size and idle_timeout_ms must be positive and "
                                "max_body_bytes at least 1024"));
    }
    auto impl = std::make_unique<Impl>(options, backend, registry);
    beast::error_code error;
    const auto address = net::ip::make_address(options.host, error);
    if (error) return fail(fmt::format("rpc: `{}` is not an IP address", options.host));
    const tcp::endpoint endpoint(address, options.port);
    const std::string where = fmt::format("{}:{}", options.host, options.port);
    impl->acceptor.open(endpoint.protocol(), error);
    if (!error) impl->acceptor.set_option(net::socket_base::reuse_address(true), error);
    if (!error) impl->acceptor.bind(endpoint, error);
    if (!error) impl->acceptor.listen(net::socket_base::max_listen_connections, error);
    if (error) return fail(fmt::format("rpc: cannot listen on {}: {}", where, error.message()));

    net::co_spawn(impl->ioc, impl->accept_loop(), net::detached);
    const unsigned threads = std::max(1u, options.threads);
    for (unsigned i = 0; i < threads; ++i) impl->threads.emplace_back([context = &impl->ioc] { context->run(); });
    return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

RpcServer::~RpcServer() { stop(); }

uint16_t RpcServer::port() const {
    beast::error_code error;
    const auto endpoint = m_impl->acceptor.local_endpoint(error);
    return error ? 0 : endpoint.port();
}

const ServerMetrics& RpcServer::metrics() const { return m_impl->metrics; }

void RpcServer::stop() {
    if (m_impl->stopped.exchange(true)) return;
    net::post(m_impl->ioc, [impl = m_impl.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
    m_impl->ioc.stop();
    for (auto& thread : m_impl->threads) thread.join();
    m_impl->threads.clear();
}

}  // namespace fleek::rpc
