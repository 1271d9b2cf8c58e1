// The handshake over WebSocket (`/handshake` on the HTTP gateway's port 4220, for browsers;
// docs/formats/handshake.md §WebSocket mapping): one binary message is one frame payload. The
// gateway reads the HTTP upgrade request and hands the connected socket over (HandshakeUpgrades);
// this server answers the upgrade and drives the same HandshakeConnection as the TCP listener
// (handshake_connection_io.h) on one I/O thread of its own. Only handshake_ws.cpp includes
// Boost.Beast's websocket.
//
// Limits, as on TCP: at most `max_connections` connections, and `max_connections_per_source`
// from one IPv4 address or IPv6 /64 (net::source_budget_key), counting those still upgrading (one
// more is told `server_busy` and closed). A socket the gateway hands over no longer counts against
// the gateway's own per-source cap: this one applies from adopt() on. The upgrade must complete within the open timeout; a
// message longer than client_frame_max_bytes is refused (`frame_too_large`) after reading at
// most one byte more than the maximum; the open, idle and write timeouts and the bounded send
// queue of TcpOptions. Sessions and tokens are this server's own (a token from a TCP session
// does not resume over WebSocket).
//
// Receipts are recorded asynchronously as on TCP (handshake_tcp.h): the ReceiptSink completes
// from any thread, the completion is posted back to this server's I/O thread, and the session
// counts the receipt there. The sink must outlive the server.
#pragma once

#include "edge/handshake_tcp.h"

#include <memory>
#include <mutex>
#include <string>

namespace fleek::edge::handshake {

// What the HTTP gateway sees: where an upgrade request to /handshake goes.
class HandshakeUpgrades {
public:
    virtual ~HandshakeUpgrades() = default;
    // Takes over `socket_fd` (a connected TCP socket the caller no longer owns), whose HTTP
    // upgrade request was `request` (the header bytes as read, and any bytes read after them).
    // Thread-safe; closes the socket when the server is not running.
    virtual void adopt(int socket_fd, std::string request) = 0;
    // Whether adopt() would serve a socket now (the server runs). The gateway answers 503
    // instead of handing over a socket that would only be closed.
    virtual bool accepting() const = 0;
};

// Where the gateway's upgrades go when the server starts after the gateway (the node starts its
// paid sessions once the ledger runs): closes the sockets until attach(), and after detach().
class HandshakeUpgradeSlot final : public HandshakeUpgrades {
public:
    void attach(HandshakeUpgrades& target);
    // Returns once no adopt() is running into the old target.
    void detach();
    void adopt(int socket_fd, std::string request) override;
    bool accepting() const override;

private:
    mutable std::mutex m_mutex;
    HandshakeUpgrades* m_target = nullptr;
};

class HandshakeWebSocketServer final : public HandshakeUpgrades {
public:
    explicit HandshakeWebSocketServer(TcpDependencies dependencies);
    ~HandshakeWebSocketServer() override;
    HandshakeWebSocketServer(const HandshakeWebSocketServer&) = delete;
    HandshakeWebSocketServer& operator=(const HandshakeWebSocketServer&) = delete;

    // Starts the I/O thread (`options.address` is not used: the gateway listens).
    void start(const TcpOptions& options);
    // Closes every connection and joins the thread. Idempotent.
    void stop();
    TcpStats stats() const;

    void adopt(int socket_fd, std::string request) override;
    bool accepting() const override;

private:
    struct Impl;
    TcpDependencies m_dependencies;
    mutable std::mutex m_mutex;  // adopt() (gateway threads) against start() and stop()
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::edge::handshake
