// The handshake's TCP listener (port 4221, docs/formats/handshake.md): framed client sessions
// driven by HandshakeConnection on one I/O thread. The only file that includes Boost.Asio for
// the handshake is handshake_tcp.cpp.
//
// Limits: at most `max_connections` at once, and `max_connections_per_source` from one IPv4
// address or IPv6 /64 (net::source_budget_key); one more is told `server_busy` and closed; a
// connection that has not opened its session by `session.open_timeout_ms` is told `timeout` and
// closed (half-open and slowloris clients), and so is one idle for `session.idle_timeout_ms`; a
// client that stops reading is closed when a write waits `write_timeout_ms`; a frame header announcing more than
// client_frame_max_bytes is refused before anything is allocated; at most
// `send_queue_max_bytes` (plus one frame) are queued for one connection.
//
// Content is read from the ContentSource on the I/O thread (a block at a time). Receipts are
// not persisted on it: each connection hands its newest verified receipt to the ReceiptSink
// (one in flight per connection; the node's is a ReceiptRecorder that group-commits) and keeps
// streaming what the window allows; the sink's completion is posted back to the I/O thread,
// where the session counts the receipt. The sink must outlive the server (stop() it after).
#pragma once

#include "edge/handshake_session.h"

#include <atomic>
#include <memory>
#include <string>

namespace fleek::edge::handshake {

struct TcpOptions {
    std::string address = "0.0.0.0";
    SessionOptions session;
    size_t max_connections = 4096;
    size_t max_connections_per_source = 64;  // one IPv4 address or IPv6 /64
    size_t send_queue_max_bytes = 1 << 20;
    uint64_t write_timeout_ms = 30'000;  // a write the client does not read within this closes the connection
};

struct TcpDependencies {
    const crypto::NodeSecretKey& node_key;
    ClientAdmission& admission;
    ReceiptSink& receipts;               // completes from any thread
    ContentSource& content;
    std::function<uint64_t()> current_epoch;
    RandomFill random;                   // empty: crypto::random_bytes
    std::function<uint64_t()> now_ms;    // empty: a steady clock
};

struct TcpStats {
    uint64_t accepted = 0;
    uint64_t refused_busy = 0;       // over max_connections
    uint64_t refused_per_source = 0; // over max_connections_per_source (also told server_busy)
    uint64_t accept_errors = 0;      // accept() failed (out of descriptors); retried every 100 ms
    uint64_t open_connections = 0;
    uint64_t opened_sessions = 0;
    uint64_t timed_out = 0;          // ended with `timeout` (not opened in time, or idle)
    uint64_t write_timeouts = 0;     // closed because the client stopped reading
};

class HandshakeTcpServer {
public:
    explicit HandshakeTcpServer(TcpDependencies dependencies);
    ~HandshakeTcpServer();
    HandshakeTcpServer(const HandshakeTcpServer&) = delete;
    HandshakeTcpServer& operator=(const HandshakeTcpServer&) = delete;

    // Binds (port 0: any free port) and starts the I/O thread.
    Result<void, std::string> start(uint16_t port, const TcpOptions& options);
    uint16_t port() const noexcept;
    // Closes the listener and every connection; joins the thread. Idempotent.
    void stop();
    TcpStats stats() const;

private:
    struct Impl;
    TcpDependencies m_dependencies;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::edge::handshake
