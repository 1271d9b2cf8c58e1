// The JSON-RPC HTTP server (port 4230, docs/rpc.md): POST / and /rpc/v0 carry JSON-RPC 2.0;
// GET /health, /version and /metrics (Prometheus text). A plain interface over Boost.Beast,
// which only rpc_server.cpp includes.
//
// Bounds: a request body over max_body_bytes is answered 413 (with a JSON-RPC error) without
// being read; a request (header and body) must arrive within idle_timeout_ms, and an idle
// keep-alive connection closes after it; over max_connections, new connections are closed at
// once. Handlers run on the I/O threads and call the Backend, which is thread-safe.
//
// Rate limit (rate_limiter.h): every request takes a token of its client address's bucket when
// its header arrives, a batch of n calls n - 1 more once parsed. Without tokens: HTTP 429 with a
// Retry-After header; a JSON-RPC request gets error -32005 with data.retry_after_ms. The address
// is the TCP peer's (IPv4 address, IPv6 /64): behind a reverse proxy every client shares one.
//
// GET /health asks Backend::health(): 200 "OK", or 503 with the reason.
//
// Thread safety: start() and stop() from one thread; requests run on `threads` I/O threads.
#pragma once

#include "rpc/backend.h"
#include "rpc/rate_limiter.h"
#include "rpc/registry.h"
#include "rpc/server_metrics.h"
#include "util/result.h"

#include <memory>
#include <string>

namespace fleek::rpc {

struct RpcServerOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 4230;  // 0: any free port (see RpcServer::port)
    unsigned threads = 2;
    size_t max_connections = 1024;
    size_t max_body_bytes = size_t{4} << 20;  // a 1 MiB transaction is 2 MiB of hex
    size_t max_batch_size = 100;
    uint64_t idle_timeout_ms = 30'000;
    std::string version = "fleek-node";  // what GET /version answers
    RateLimitOptions rate_limit;
};

class RpcServer {
public:
    // Binds and starts serving; the error names the address when it cannot listen. `backend`
    // and `registry` must outlive the server.
    static Result<std::unique_ptr<RpcServer>, std::string> start(const RpcServerOptions& options, Backend& backend,
                                                                 const Registry& registry);
    ~RpcServer();
    RpcServer(const RpcServer&) = delete;
    RpcServer& operator=(const RpcServer&) = delete;

    uint16_t port() const;
    const ServerMetrics& metrics() const;
    // Stops accepting, closes connections and joins the I/O threads. Idempotent.
    void stop();

    struct Impl;

private:
    explicit RpcServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::rpc
