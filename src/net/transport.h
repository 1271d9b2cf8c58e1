// The node-to-node transport (docs/formats/transport.md, brief §6): TLS 1.3 over TCP with mutual
// authentication by Ed25519 node keys, one connection per peer pair, five multiplexed channels.
//
// - Each node presents a self-signed X.509 certificate made at start from its node key; the TLS
//   1.3 CertificateVerify proves possession. After the handshake the peer's certificate key must
//   be one of the keys given to set_peers (and, when we dialed, the key we dialed), otherwise the
//   connection is closed and the reason logged.
// - One connection per pair: the node with the smaller key (byte order) dials; the other only
//   accepts. A newer inbound connection from a peer replaces its older one (the peer restarted).
// - Sends go to bounded per-peer, per-channel queues (channel_queue_bytes_max each; queue_full
//   beyond). Queues survive reconnects; frames being written when a connection drops are lost.
//   Within one channel frames arrive in the order they were sent.
// - Dialers reconnect with exponential backoff (reconnect_min_ms doubling to reconnect_max_ms).
// - Each side sends a keepalive frame after idle_timeout_ms / 3 without sending; a connection that
//   receives nothing for idle_timeout_ms is closed (logged as a truncated frame when one was
//   pending). A bad channel byte or an oversized length closes the connection at once.
// - Connection budgets: inbound and outbound connections count separately, so inbound
//   connections never stop this node from dialing. Inbound connections that have not completed
//   the handshake and the peer's confirmation ("unauthenticated") have a smaller budget of
//   their own, overall and per source address (an IPv4 address, an IPv6 /64): plain TCP from
//   one address holds at most a few slots for handshake_timeout_ms, and a registered peer from
//   elsewhere still gets in. Refusals are counted (Transport::counters).
// - All Asio and OpenSSL code lives in transport.cpp; one I/O thread runs every connection.
#pragma once

#include "crypto/keys.h"
#include "net/frame.h"
#include "util/bytes.h"
#include "util/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fleek::net {

struct PeerAddress {
    crypto::NodePublicKey key;
    std::string host;
    uint16_t port = 0;
};

enum class SendResult : uint8_t { queued, queue_full, unknown_peer, stopped };
std::string_view to_string(SendResult result) noexcept;

struct PeerStatus {
    crypto::NodePublicKey key;
    bool connected = false;
    uint64_t frames_sent = 0;
    uint64_t frames_received = 0;
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t frames_dropped_queue_full = 0;
    uint64_t connects = 0;
    uint64_t disconnects = 0;
    // Bytes waiting in this peer's send queues (all channels).
    uint64_t queued_bytes = 0;
};

struct TransportOptions {
    std::string listen_host = "0.0.0.0";
    uint16_t listen_port = 4200;  // 0 = any free port (see Transport::port())
    size_t channel_queue_bytes_max = 8 * 1024 * 1024;
    size_t frame_bytes_max = 16 * 1024 * 1024;
    uint64_t idle_timeout_ms = 30000;
    uint64_t reconnect_min_ms = 100;
    uint64_t reconnect_max_ms = 5000;
    // Inbound connections (unauthenticated ones included) and outbound ones (dials under way
    // included) have separate budgets.
    size_t inbound_connections_max = 256;
    size_t outbound_connections_max = 256;
    // Inbound connections before the handshake and the peer's confirmation: at most this many
    // at once, and at most `unauthenticated_per_ip_max` from one IPv4 address or IPv6 /64.
    size_t unauthenticated_max = 64;
    size_t unauthenticated_per_ip_max = 4;
    uint64_t handshake_timeout_ms = 5000;
    // Test support: false stops this transport from sending keepalive frames (to show how a
    // peer treats a silent connection). Keep true in production.
    bool keepalive = true;
};

// Connection counts and refusals since start (Transport::counters).
struct TransportCounters {
    size_t inbound = 0;                   // open inbound connections, unauthenticated ones included
    size_t outbound = 0;                  // open outbound connections, dials under way included
    size_t unauthenticated = 0;           // inbound connections not authenticated yet
    uint64_t refused_inbound_limit = 0;   // inbound_connections_max reached
    uint64_t refused_unauthenticated_limit = 0;  // unauthenticated_max reached
    uint64_t refused_per_ip_limit = 0;    // unauthenticated_per_ip_max reached for the source address
    uint64_t dials_deferred = 0;          // outbound_connections_max reached; the dial is retried later
    uint64_t handshakes_failed = 0;       // TLS handshakes that failed or timed out (garbage, scanners, lost peers)
    uint64_t refused_keys = 0;            // handshakes completed with a key that may not connect (unregistered, wrong dialer)
};

// One frame's payload as the sender hands it over: `head`, then `tail`, a view into a buffer that
// `tail_owner` keeps alive until the frame is written (e.g. a block of the blockstore's cache).
// The transport writes both as they are, so a large payload is never copied before TLS.
struct FramePayload {
    Bytes head;
    std::shared_ptr<const void> tail_owner;
    ByteSpan tail;
    size_t size() const noexcept { return head.size() + tail.size(); }
};

// Called on a transport I/O thread, one frame at a time per connection; must not block.
using FrameHandler = std::function<void(const crypto::NodePublicKey& from, Channel channel, Bytes payload)>;

class Transport {
public:
    // Binds the listening socket and starts the I/O thread. Errors: the key cannot make a
    // certificate, the address cannot be bound.
    static Result<std::unique_ptr<Transport>, std::string> start(TransportOptions options, const crypto::NodeSecretKey& key,
                                                                 FrameHandler handler);
    ~Transport();  // stops
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // The only keys allowed to connect; dials those this node should dial; drops connections and
    // queues of keys no longer listed. Thread-safe.
    void set_peers(std::vector<PeerAddress> peers);
    // Thread-safe, never blocks.
    SendResult send(const crypto::NodePublicKey& to, Channel channel, Bytes payload);
    // The same for a payload in two parts; moves from `payload` only when it answers queued (a
    // refused frame stays with the caller to offer again). Thread-safe, never blocks.
    SendResult send_frame(const crypto::NodePublicKey& to, Channel channel, FramePayload& payload);
    std::vector<PeerStatus> peer_status() const;
    // Thread-safe.
    TransportCounters counters() const;
    uint16_t port() const;
    const crypto::NodePublicKey& key() const;
    // Idempotent, joins the I/O thread. Must not be called from the frame handler.
    void stop();

    // Test support: queues bytes that are written to the peer as they are, without a frame
    // header (to check how the peer treats malformed frames). Not for production use.
    SendResult send_raw_for_test(const crypto::NodePublicKey& to, Bytes bytes);

    struct Impl;

private:
    explicit Transport(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace fleek::net
