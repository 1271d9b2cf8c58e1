// The handshake HTTP gateway (port 4220): serves content from the blockstore to clients and
// browsers, the verified stream to `flk get`, and uploads from `flk put` (docs/gateway.md).
// A plain interface over Boost.Beast, which only http_gateway.cpp includes.
//
// Thread safety: start() and stop() from one thread; requests run on `threads` I/O threads.
#pragma once

#include "content/blockstore.h"
#include "util/result.h"

namespace fleek::origins {
class IpfsOrigin;
class HttpOrigin;
class IpfsStore;
}  // namespace fleek::origins
namespace fleek::edge {
class PeerContent;  // edge/peer_content.h
}  // namespace fleek::edge
namespace fleek::edge::handshake {
class HandshakeUpgrades;  // edge/handshake_ws.h
}  // namespace fleek::edge::handshake

#include <memory>
#include <string>
#include <vector>

namespace fleek::edge {

struct GatewayOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 4220;  // 0: any free port (see HttpGateway::port)
    unsigned threads = 2;
    size_t max_connections = 4096;
    // Open connections from one source (an IPv4 address or IPv6 /64, net::source_budget_key);
    // one more is closed at once, unread. A connection handed over to the WebSocket server by
    // the /handshake upgrade stops counting here (that server applies its own per-source cap).
    size_t max_connections_per_source = 64;
    bool upload_enabled = false;   // PUT /blake3
    bool fetch_enabled = false;    // PUT /ipfs/<cid>, PUT /http?url=
    // Uploads, origin fetches and pins need `Authorization: Bearer <one of tokens>`
    // (gateway_auth.h); without it they are open (loopback development nodes).
    bool require_token = true;
    std::vector<std::string> tokens;
    uint64_t max_upload_bytes = uint64_t{16} << 30;
    uint64_t max_directory_bytes = uint64_t{16} << 20;
    uint64_t idle_timeout_ms = 30'000;
    // IPFS and HTTP origins (docs/gateway.md); null: those routes answer 404 or 503.
    origins::IpfsStore* ipfs_store = nullptr;
    origins::IpfsOrigin* ipfs_origin = nullptr;
    origins::HttpOrigin* http_origin = nullptr;
    unsigned fetch_threads = 4;  // origin fetches run on these, off the I/O threads
    // Fetch on a miss from peers, and resolver records after origin fetches (docs/gateway.md,
    // "Fetch on a miss"); null: a miss answers 404.
    PeerContent* peer_content = nullptr;
    // WebSocket upgrades of GET /handshake go there (paid sessions for browsers,
    // docs/formats/handshake.md); null: /handshake answers 404.
    handshake::HandshakeUpgrades* handshake = nullptr;
};

class HttpGateway {
public:
    // Binds and starts serving; the error names the address when it cannot listen.
    static Result<std::unique_ptr<HttpGateway>, std::string> start(const GatewayOptions& options,
                                                                   content::Blockstore& store);
    ~HttpGateway();
    HttpGateway(const HttpGateway&) = delete;
    HttpGateway& operator=(const HttpGateway&) = delete;

    uint16_t port() const;
    // Connections closed unread because their source held max_connections_per_source.
    uint64_t refused_per_source() const;
    // Stops accepting, closes connections and joins the I/O threads. Idempotent.
    void stop();

    struct Impl;

private:
    explicit HttpGateway(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::edge
