// All Asio and OpenSSL code of the transport (compile cost stays in this file).
//
// Threading: one I/O thread runs every socket, timer and handler. `m_mutex` guards the peer table
// (addresses, send queues, counters, the active connection of each peer and its `writing` flag),
// which send(), set_peers() and peer_status() touch from other threads. Everything else in a
// Connection is touched on the I/O thread only. The frame handler runs without the mutex held.
#include "net/transport.h"

#include "net/source_address.h"
#include "net/write_batch.h"

#include "util/assert.h"
#include "util/log.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace fleek::net {

std::string_view to_string(SendResult result) noexcept {
    switch (result) {
        case SendResult::queued: return "queued";
        case SendResult::queue_full: return "queue full";
        case SendResult::unknown_peer: return "unknown peer";
        case SendResult::stopped: return "stopped";
    }
    return "unknown";
}

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using error_code = boost::system::error_code;

constexpr std::string_view log_category = "net.transport";
constexpr size_t read_buffer_bytes = 64 * 1024;
// A frame payload with at least this much missing is read into directly (TLS records carry 16 KiB).
constexpr size_t direct_read_min_bytes = 16 * 1024;
constexpr size_t direct_read_max_bytes = 256 * 1024;
constexpr size_t write_batch_bytes = 256 * 1024;

std::string openssl_error(std::string_view what) {
    const unsigned long code = ERR_get_error();
    char text[256] = {};
    if (code != 0) ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return fmt::format("{}: {}", what, code != 0 ? text : "unknown OpenSSL error");
}

struct PkeyFree {
    void operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509* cert) const noexcept { X509_free(cert); }
};

// A self-signed certificate over the node's Ed25519 key, made in memory.
Result<void, std::string> configure_tls(ssl::context& context, const crypto::NodeSecretKey& key) {
    const auto seed = key.raw().seed();
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
    if (!pkey) return fail(openssl_error("Ed25519 key for TLS"));
    std::unique_ptr<X509, X509Free> cert(X509_new());
    if (!cert) return fail(openssl_error("X509_new"));
    const std::string common_name = key.public_key().to_string();
    X509_NAME* name = X509_get_subject_name(cert.get());
    const bool built = X509_set_version(cert.get(), 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
                       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) != nullptr &&
                       X509_gmtime_adj(X509_getm_notAfter(cert.get()), 100L * 365 * 24 * 3600) != nullptr &&
                       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                                  -1, -1, 0) == 1 &&
                       X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), pkey.get()) == 1 &&
                       X509_sign(cert.get(), pkey.get(), nullptr) > 0;
    if (!built) return fail(openssl_error("self-signed node certificate"));

    SSL_CTX* handle = context.native_handle();
    if (SSL_CTX_set_min_proto_version(handle, TLS1_3_VERSION) != 1 || SSL_CTX_set_max_proto_version(handle, TLS1_3_VERSION) != 1)
        return fail(openssl_error("TLS 1.3 only"));
    // AES-128-GCM first: the cheapest AEAD with AES instructions (every TLS 1.3 suite is an AEAD:
    // the record authentication is the same); the other two stay for peers that prefer them.
    if (SSL_CTX_set_ciphersuites(handle, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1)
        return fail(openssl_error("TLS 1.3 cipher suites"));
    if (SSL_CTX_use_certificate(handle, cert.get()) != 1) return fail(openssl_error("use certificate"));
    if (SSL_CTX_use_PrivateKey(handle, pkey.get()) != 1) return fail(openssl_error("use private key"));
    if (SSL_CTX_check_private_key(handle) != 1) return fail(openssl_error("certificate and key mismatch"));
    SSL_CTX_set_session_cache_mode(handle, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(handle, SSL_OP_NO_TICKET);
    error_code ec;
    context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return fail(fmt::format("TLS verify mode: {}", ec.message()));
    // Any self-signed certificate passes the chain check; the key inside is checked against the
    // registered peers after the handshake (TLS 1.3 CertificateVerify proves the peer holds it).
    context.set_verify_callback([](bool, ssl::verify_context&) { return true; }, ec);
    if (ec) return fail(fmt::format("TLS verify callback: {}", ec.message()));
    return {};
}

// The Ed25519 key of the peer's certificate, or nothing when it has none or another key type.
std::optional<crypto::NodePublicKey> peer_certificate_key(SSL* ssl_handle) {
    X509* cert = SSL_get0_peer_certificate(ssl_handle);
    if (cert == nullptr) return std::nullopt;
    EVP_PKEY* pkey = X509_get0_pubkey(cert);
    if (pkey == nullptr || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) return std::nullopt;
    std::array<uint8_t, 32> raw{};
    size_t size = raw.size();
    if (EVP_PKEY_get_raw_public_key(pkey, raw.data(), &size) != 1 || size != raw.size()) return std::nullopt;
    auto key = crypto::NodePublicKey::from_bytes(raw);
    if (!key) return std::nullopt;
    return *key;
}

// A frame waiting in its channel's queue, then (moved) in its connection's write batch: the
// header is kept next to the payload, so the batch is written as a list of buffers (scatter /
// gather) and no payload byte is copied in user space before TLS.
struct QueuedFrame {
    FramePayload payload;
    bool raw = false;  // test support: written without a header
    ByteArray<frame_header_bytes> header{};
};

struct ChannelQueue {
    std::deque<QueuedFrame> frames;
    size_t bytes = 0;
};

}  // namespace

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(asio::io_context& io, ssl::context& context, uint64_t id_, bool outbound_, size_t frame_bytes_max)
        : id(id_), outbound(outbound_), stream(io, context), timer(io), decoder(frame_bytes_max), read_buffer(read_buffer_bytes) {}

    uint64_t id;
    bool outbound;
    std::optional<crypto::NodePublicKey> expected_key;  // outbound: the key we dialed
    std::optional<crypto::NodePublicKey> key;           // after authentication
    ssl::stream<tcp::socket> stream;
    asio::steady_timer timer;
    FrameDecoder decoder;
    Bytes read_buffer;
    // The frames being written and the buffers pointing into them (headers, payloads).
    std::vector<QueuedFrame> write_frames;
    std::vector<asio::const_buffer> write_buffers;
    std::vector<Frame> frames;
    Clock::time_point last_receive = Clock::now();
    Clock::time_point last_send = Clock::now();
    std::string remote = "?";
    std::string source;                // inbound: the budget key of the remote address (source_budget_key)
    bool unauthenticated_slot = false;  // inbound: holds one of the unauthenticated budget's slots
    bool authenticated = false;        // established: the peer's connection
    bool awaiting_acceptance = false;  // TLS done, waiting for the peer's first frame
    bool hello_in_flight = false;      // our confirmation frame is being written
    bool closed = false;
    bool ping_due = false;  // guarded by Impl::mutex
    bool writing = false;   // guarded by Impl::mutex
};

namespace {

struct Peer {
    explicit Peer(PeerAddress address_) : address(std::move(address_)), status{address.key} {}
    PeerAddress address;
    std::array<ChannelQueue, channel_count> queues;
    size_t next_channel = 0;
    std::shared_ptr<Connection> connection;  // the active, authenticated one
    PeerStatus status;
    bool dial_pending = false;  // an outbound attempt is under way or a redial timer is armed
    uint32_t failed_dials = 0;
};

}  // namespace

struct Transport::Impl {
    Impl(TransportOptions options_, const crypto::NodeSecretKey& key, FrameHandler handler_)
        : options(std::move(options_)), self_key(key.public_key()), handler(std::move(handler_)) {}

    // Declared first so it is destroyed last: handlers it still holds own connections.
    asio::io_context io{1};
    TransportOptions options;
    crypto::NodePublicKey self_key;
    FrameHandler handler;
    ssl::context tls{ssl::context::tls};
    tcp::acceptor acceptor{io};
    std::thread thread;
    uint16_t bound_port = 0;

    mutable std::mutex mutex;
    std::map<crypto::NodePublicKey, std::unique_ptr<Peer>> peers;  // guarded by mutex
    bool stopped = false;                                         // guarded by mutex
    std::once_flag stop_once;

    // I/O thread only.
    std::set<std::shared_ptr<Connection>> connections;
    std::map<std::string, size_t> unauthenticated_by_source;
    // Written on the I/O thread, read by counters().
    std::atomic<size_t> inbound_count{0};
    std::atomic<size_t> outbound_count{0};
    std::atomic<size_t> unauthenticated_count{0};
    std::atomic<uint64_t> refused_inbound_limit{0};
    std::atomic<uint64_t> refused_unauthenticated_limit{0};
    std::atomic<uint64_t> refused_per_ip_limit{0};
    std::atomic<uint64_t> dials_deferred{0};
    std::atomic<uint64_t> handshakes_failed{0};
    std::atomic<uint64_t> refused_keys{0};
    uint64_t next_connection_id = 1;
    bool shutting_down = false;
    Clock::time_point warn_window_start = Clock::now();
    int warns_in_window = 0;

    bool we_dial(const crypto::NodePublicKey& other) const { return self_key < other; }

    // Peers can trigger refusals; at most 10 warnings a second, the rest at debug level.
    bool warn_budget() {
        const auto now = Clock::now();
        if (now - warn_window_start > std::chrono::seconds(1)) {
            warn_window_start = now;
            warns_in_window = 0;
        }
        return ++warns_in_window <= 10;
    }

    void log_close(const Connection& c, std::string_view reason) {
        const std::string who = c.key ? c.key->to_string() : (c.expected_key ? c.expected_key->to_string() + " (dialed)" : "unauthenticated");
        if (c.authenticated || !warn_budget()) {
            if (c.authenticated)
                FLEEK_LOG_INFO(log_category, "connection {} to {} at {} closed: {}", c.id, who, c.remote, reason);
            else
                FLEEK_LOG_DEBUG(log_category, "connection {} {} {} at {} refused: {}", c.id, c.outbound ? "to" : "from", who, c.remote, reason);
        } else {
            FLEEK_LOG_WARN(log_category, "connection {} {} {} at {} refused: {}", c.id, c.outbound ? "to" : "from", who, c.remote, reason);
        }
    }

    std::chrono::milliseconds tick_interval() const {
        return std::chrono::milliseconds(std::max<uint64_t>(5, options.idle_timeout_ms / 6));
    }

    // ---- accepting ---------------------------------------------------------------------------

    void accept() {
        acceptor.async_accept([this](error_code ec, tcp::socket socket) {
            if (shutting_down) return;
            if (ec) {
                FLEEK_LOG_WARN(log_category, "accept failed: {}", ec.message());
                auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
                timer->async_wait([this, timer](error_code) {
                    if (!shutting_down) accept();
                });
                return;
            }
            on_accepted(std::move(socket));
            accept();
        });
    }

    void on_accepted(tcp::socket socket) {
        error_code ec;
        const auto endpoint = socket.remote_endpoint(ec);
        if (ec) {
            socket.close(ec);  // already gone
            return;
        }
        const std::string remote = fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
        std::string source = source_budget_key(endpoint.address());
        std::optional<std::string> refusal;
        if (inbound_count >= options.inbound_connections_max) {
            ++refused_inbound_limit;
            refusal = fmt::format("inbound connection limit {} reached", options.inbound_connections_max);
        } else if (unauthenticated_count >= options.unauthenticated_max) {
            ++refused_unauthenticated_limit;
            refusal = fmt::format("{} connections are in their handshake already", options.unauthenticated_max);
        } else if (unauthenticated_by_source[source] >= options.unauthenticated_per_ip_max) {
            ++refused_per_ip_limit;
            refusal = fmt::format("{} connections from {} are in their handshake already", options.unauthenticated_per_ip_max, source);
        }
        if (refusal) {
            if (unauthenticated_by_source[source] == 0) unauthenticated_by_source.erase(source);
            if (warn_budget()) FLEEK_LOG_WARN(log_category, "refused connection from {}: {}", remote, *refusal);
            socket.close(ec);
            return;
        }
        auto c = std::make_shared<Connection>(io, tls, next_connection_id++, false, options.frame_bytes_max);
        c->stream.next_layer() = std::move(socket);
        c->remote = remote;
        c->source = std::move(source);
        c->unauthenticated_slot = true;
        ++unauthenticated_by_source[c->source];
        ++unauthenticated_count;
        ++inbound_count;
        connections.insert(c);
        start_handshake(c);
    }

    // An inbound connection leaves the unauthenticated budget (established or closed).
    void release_unauthenticated_slot(Connection& c) {
        if (!c.unauthenticated_slot) return;
        c.unauthenticated_slot = false;
        --unauthenticated_count;
        auto it = unauthenticated_by_source.find(c.source);
        FLEEK_ASSERT(it != unauthenticated_by_source.end() && it->second > 0);
        if (--it->second == 0) unauthenticated_by_source.erase(it);
    }

    // ---- dialing -----------------------------------------------------------------------------

    void dial(const crypto::NodePublicKey& key) {
        if (shutting_down) return;
        PeerAddress address{key, {}, 0};
        {
            std::lock_guard lock(mutex);
            auto it = peers.find(key);
            if (it == peers.end() || it->second->connection) {
                if (it != peers.end()) it->second->dial_pending = false;
                return;
            }
            it->second->dial_pending = true;
            address = it->second->address;
        }
        if (outbound_count >= options.outbound_connections_max) {
            ++dials_deferred;
            if (warn_budget())
                FLEEK_LOG_WARN(log_category, "not dialing {} now: outbound connection limit {} reached", key.to_string(),
                               options.outbound_connections_max);
            schedule_redial(key, false);
            return;
        }
        auto c = std::make_shared<Connection>(io, tls, next_connection_id++, true, options.frame_bytes_max);
        ++outbound_count;
        c->expected_key = key;
        c->remote = fmt::format("{}:{}", address.host, address.port);
        connections.insert(c);
        arm_timer(c, std::chrono::milliseconds(options.handshake_timeout_ms));
        auto resolver = std::make_shared<tcp::resolver>(io);
        resolver->async_resolve(address.host, std::to_string(address.port),
                                [this, c, resolver](error_code ec, const tcp::resolver::results_type& results) {
                                    if (c->closed) return;
                                    if (ec) return close(c, fmt::format("cannot resolve address: {}", ec.message()));
                                    asio::async_connect(c->stream.next_layer(), results, [this, c](error_code ec2, const tcp::endpoint&) {
                                        if (c->closed) return;
                                        if (ec2) return close(c, fmt::format("connect failed: {}", ec2.message()));
                                        start_handshake(c);
                                    });
                                });
    }

    // Arms the next dial of a peer this node dials, with exponential backoff after failures.
    void schedule_redial(const crypto::NodePublicKey& key, bool was_connected) {
        if (shutting_down) return;
        uint64_t delay_ms = 0;
        {
            std::lock_guard lock(mutex);
            auto it = peers.find(key);
            if (it == peers.end() || !we_dial(key) || it->second->connection) return;
            Peer& peer = *it->second;
            peer.dial_pending = true;
            if (was_connected) peer.failed_dials = 0;
            const uint32_t doublings = std::min<uint32_t>(peer.failed_dials, 30);
            peer.failed_dials += was_connected ? 0 : 1;
            delay_ms = std::min<uint64_t>(options.reconnect_max_ms, options.reconnect_min_ms << std::min<uint32_t>(doublings, 20));
        }
        auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(delay_ms));
        timer->async_wait([this, timer, key](error_code) {
            if (!shutting_down) dial(key);
        });
    }

    // ---- handshake and authentication --------------------------------------------------------

    void start_handshake(const std::shared_ptr<Connection>& c) {
        error_code ec;
        c->stream.next_layer().set_option(tcp::no_delay(true), ec);
        if (!c->outbound) arm_timer(c, std::chrono::milliseconds(options.handshake_timeout_ms));
        c->stream.async_handshake(c->outbound ? ssl::stream_base::client : ssl::stream_base::server, [this, c](error_code ec2) {
            if (c->closed) return;
            if (ec2) {
                ++handshakes_failed;
                return close(c, fmt::format("TLS handshake failed: {}", ec2.message()));
            }
            on_handshake(c);
        });
    }

    // Establishing, after the TLS handshake: each side checks the other's key (the dialer: the
    // key it dialed; the acceptor: a registered peer that may dial it), then sends one keepalive
    // frame as its confirmation and activates the connection only when the other side's first
    // frame arrives. TLS 1.3 lets the client finish before the server has checked the client's
    // certificate, and a dialer with a wrong address learns the mismatch only after the server
    // is done: with the exchange, neither side counts, replaces or feeds a connection the other
    // side refuses.
    void on_handshake(const std::shared_ptr<Connection>& c) {
        const auto key = peer_certificate_key(c->stream.native_handle());
        if (!key) return close(c, "peer certificate does not carry an Ed25519 key");
        if (c->outbound && *key != *c->expected_key)
            return close(c, fmt::format("peer presented key {}, expected {}", key->to_string(), c->expected_key->to_string()));
        if (*key == self_key) return close(c, "peer presented this node's own key");
        c->key = key;
        if (!c->outbound) {
            if (auto refusal = refusal_of_inbound(*key)) {
                ++refused_keys;
                return close(c, *refusal);
            }
        }
        c->awaiting_acceptance = true;  // the handshake timer keeps running
        c->hello_in_flight = true;
        static const auto hello = encode_frame_header(control_channel_byte, 0);
        asio::async_write(c->stream, asio::buffer(hello), [this, c](error_code ec, size_t) {
            c->hello_in_flight = false;
            if (c->closed) return;
            if (ec) return close(c, fmt::format("write failed: {}", ec.message()));
            if (c->authenticated) start_write(c);  // activate() left the first write to us
        });
        start_read(c);
    }

    std::optional<std::string> refusal_of_inbound(const crypto::NodePublicKey& key) {
        std::lock_guard lock(mutex);
        if (!peers.contains(key)) return fmt::format("key {} is not a registered peer", key.to_string());
        if (we_dial(key)) return std::string("registered peer dialed although its key is larger (the smaller key dials)");
        return std::nullopt;
    }

    // Makes `c` its peer's connection; false when it was refused (and closed).
    bool activate(const std::shared_ptr<Connection>& c) {
        const crypto::NodePublicKey& key = *c->key;
        bool registered = false;
        std::shared_ptr<Connection> replaced;
        {
            std::lock_guard lock(mutex);
            auto it = peers.find(key);
            if (it != peers.end()) {
                registered = true;
                Peer& peer = *it->second;
                replaced = std::move(peer.connection);
                peer.connection = c;
                peer.dial_pending = false;
                peer.failed_dials = 0;
                peer.status.connects += 1;
                c->authenticated = true;
                c->awaiting_acceptance = false;
                c->writing = true;
            }
        }
        if (!registered) {
            close(c, "peer removed from the peer set");
            return false;
        }
        if (replaced) {
            count_disconnect(key);  // its close no longer finds it as the peer's connection
            close(replaced, "replaced by a newer connection from the same peer");
        }
        release_unauthenticated_slot(*c);
        FLEEK_LOG_INFO(log_category, "connection {} {} {} at {} established", c->id, c->outbound ? "to" : "from", key.to_string(), c->remote);
        c->last_receive = c->last_send = Clock::now();
        arm_timer(c, tick_interval());
        if (!c->hello_in_flight) start_write(c);
        return true;
    }

    void count_disconnect(const crypto::NodePublicKey& key) {
        std::lock_guard lock(mutex);
        auto it = peers.find(key);
        if (it != peers.end()) it->second->status.disconnects += 1;
    }

    // ---- timers: handshake timeout, idle timeout, keepalive ----------------------------------

    void arm_timer(const std::shared_ptr<Connection>& c, std::chrono::milliseconds delay) {
        c->timer.expires_after(delay);
        c->timer.async_wait([this, c](error_code ec) {
            if (ec == asio::error::operation_aborted || c->closed) return;
            on_timer(c);
        });
    }

    void on_timer(const std::shared_ptr<Connection>& c) {
        if (c->awaiting_acceptance) return close(c, fmt::format("peer did not confirm the connection within {} ms", options.handshake_timeout_ms));
        if (!c->authenticated) {
            ++handshakes_failed;
            return close(c, fmt::format("no TLS handshake within {} ms", options.handshake_timeout_ms));
        }
        const auto now = Clock::now();
        const auto idle = std::chrono::milliseconds(options.idle_timeout_ms);
        if (now - c->last_receive >= idle) {
            if (c->decoder.mid_frame())
                return close(c, fmt::format("truncated frame: {} of {} bytes received, then nothing for {} ms", c->decoder.partial_bytes(),
                                            c->decoder.partial_frame_bytes(), options.idle_timeout_ms));
            return close(c, fmt::format("nothing received for {} ms", options.idle_timeout_ms));
        }
        bool write_now = false;
        if (options.keepalive && now - c->last_send >= idle / 3) {
            std::lock_guard lock(mutex);
            c->ping_due = true;
            if (!c->writing) c->writing = write_now = true;
        }
        if (write_now) start_write(c);
        arm_timer(c, tick_interval());
    }

    // ---- reading -----------------------------------------------------------------------------

    // Reads into the payload of the frame being received when much of it is missing (no copy
    // through the read buffer), else into the read buffer for the decoder.
    void start_read(const std::shared_ptr<Connection>& c) {
        const std::span<uint8_t> room = c->authenticated ? c->decoder.direct_space(direct_read_min_bytes, direct_read_max_bytes)
                                                         : std::span<uint8_t>();
        const bool direct = !room.empty();
        const auto buffer = direct ? asio::buffer(room.data(), room.size()) : asio::buffer(c->read_buffer);
        c->stream.async_read_some(buffer, [this, c, direct](error_code ec, size_t size) {
            if (c->closed) return;
            if (ec && c->awaiting_acceptance) return close(c, "peer closed the connection after the TLS handshake (it does not accept this node's key)");
            if (ec) return close(c, ec == asio::error::eof || ec == ssl::error::stream_truncated ? "peer closed the connection"
                                                                                                    : fmt::format("read failed: {}", ec.message()));
            on_read(c, size, direct);
        });
    }

    void on_read(const std::shared_ptr<Connection>& c, size_t size, bool direct) {
        c->last_receive = Clock::now();
        c->frames.clear();
        Result<void, FrameError> fed;
        if (direct) {
            c->decoder.commit_direct(size, c->frames);
        } else {
            fed = c->decoder.feed(ByteSpan(c->read_buffer.data(), size), c->frames);
        }
        if (c->awaiting_acceptance && !c->frames.empty() && !activate(c)) return;
        uint64_t delivered = 0;
        for (Frame& frame : c->frames) {
            if (frame.is_control()) continue;
            ++delivered;
        }
        {
            std::lock_guard lock(mutex);
            auto it = peers.find(*c->key);
            if (it != peers.end()) {
                it->second->status.frames_received += delivered;
                it->second->status.bytes_received += size;
            }
        }
        for (Frame& frame : c->frames) {
            if (frame.is_control()) continue;
            if (c->closed) break;  // the handler changed the peer set
            handler(*c->key, frame.channel(), std::move(frame.payload));
        }
        c->frames.clear();
        if (c->closed) return;
        if (!fed) {
            if (fed.error() == FrameError::too_large)
                return close(c, fmt::format("frame length over the maximum of {} bytes", options.frame_bytes_max));
            return close(c, "frame with an unknown channel byte");
        }
        start_read(c);
    }

    // ---- writing -----------------------------------------------------------------------------

    // Sends what is queued for the connection's peer; the caller set c->writing under the mutex.
    // Frames are moved out of their queues into the connection's batch (up to write_batch_bytes,
    // round-robin over the channels) and written as one buffer list: their payloads are not copied.
    void start_write(const std::shared_ptr<Connection>& c) {
        if (c->closed) return;
        c->write_frames.clear();
        c->write_buffers.clear();
        size_t batch_bytes = 0;
        {
            std::lock_guard lock(mutex);
            auto it = peers.find(*c->key);
            if (it == peers.end() || it->second->connection != c) {
                c->writing = false;
                return;
            }
            Peer& peer = *it->second;
            uint64_t frames = 0;
            bool took = true;
            while (took && batch_bytes < write_batch_bytes) {
                took = false;
                for (size_t i = 0; i < channel_count; ++i) {
                    const size_t channel = (peer.next_channel + i) % channel_count;
                    ChannelQueue& queue = peer.queues[channel];
                    if (queue.frames.empty()) continue;
                    QueuedFrame& frame = queue.frames.front();
                    if (!frame.raw) {
                        frame.header = encode_frame_header(static_cast<uint8_t>(channel), static_cast<uint32_t>(frame.payload.size()));
                        batch_bytes += frame_header_bytes;
                        ++frames;
                    }
                    batch_bytes += frame.payload.size();
                    queue.bytes -= frame.payload.size();
                    c->write_frames.push_back(std::move(frame));
                    queue.frames.pop_front();
                    took = true;
                }
                peer.next_channel = (peer.next_channel + 1) % channel_count;
            }
            if (c->ping_due) {
                if (c->write_frames.empty()) {
                    QueuedFrame ping;
                    ping.header = encode_frame_header(control_channel_byte, 0);
                    c->write_frames.push_back(std::move(ping));
                    batch_bytes += frame_header_bytes;
                }
                c->ping_due = false;
            }
            if (c->write_frames.empty()) {
                c->writing = false;
                return;
            }
            peer.status.frames_sent += frames;
            peer.status.bytes_sent += batch_bytes;
        }
        // The buffers point into write_frames, which is not touched until the write completes.
        for (const QueuedFrame& frame : c->write_frames) {
            if (!frame.raw) c->write_buffers.emplace_back(frame.header.data(), frame.header.size());
            if (!frame.payload.head.empty()) c->write_buffers.emplace_back(frame.payload.head.data(), frame.payload.head.size());
            if (!frame.payload.tail.empty()) c->write_buffers.emplace_back(frame.payload.tail.data(), frame.payload.tail.size());
        }
        c->last_send = Clock::now();
        asio::async_write(c->stream, c->write_buffers, [this, c](error_code ec, size_t) {
            if (c->closed) return;
            if (ec) return close(c, fmt::format("write failed: {}", ec.message()));
            start_write(c);
        });
    }

    // ---- closing -----------------------------------------------------------------------------

    void close(const std::shared_ptr<Connection>& c, std::string_view reason) {
        if (c->closed) return;
        c->closed = true;
        log_close(*c, reason);
        error_code ec;
        c->timer.cancel();
        c->stream.next_layer().close(ec);
        connections.erase(c);
        release_unauthenticated_slot(*c);
        --(c->outbound ? outbound_count : inbound_count);
        bool was_connected = false;
        if (c->authenticated && c->key) {
            std::lock_guard lock(mutex);
            auto it = peers.find(*c->key);
            if (it != peers.end() && it->second->connection == c) {
                it->second->connection.reset();
                it->second->status.disconnects += 1;
                was_connected = true;
            }
        }
        if (c->outbound && c->expected_key && !shutting_down) {
            {
                std::lock_guard lock(mutex);
                auto it = peers.find(*c->expected_key);
                if (it != peers.end()) it->second->dial_pending = false;
            }
            schedule_redial(*c->expected_key, was_connected);
        }
    }

    // ---- peer set ----------------------------------------------------------------------------

    // Dials peers this node should dial and closes connections of peers no longer listed.
    void reconcile() {
        if (shutting_down) return;
        std::vector<crypto::NodePublicKey> to_dial;
        std::vector<std::shared_ptr<Connection>> to_close;
        {
            std::lock_guard lock(mutex);
            for (auto& [key, peer] : peers)
                if (we_dial(key) && !peer->connection && !peer->dial_pending) {
                    peer->dial_pending = true;
                    to_dial.push_back(key);
                }
            for (const auto& c : connections) {
                const auto& key = c->key ? c->key : c->expected_key;
                if (key && !peers.contains(*key)) to_close.push_back(c);
            }
        }
        for (const auto& c : to_close) close(c, "peer removed from the peer set");
        for (const auto& key : to_dial) dial(key);
    }

    void shutdown() {
        shutting_down = true;
        error_code ec;
        acceptor.close(ec);
        const auto all = connections;
        for (const auto& c : all) close(c, "transport stopping");
        io.stop();
    }
};

Transport::Transport(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Transport::~Transport() {
    stop();
}

Result<std::unique_ptr<Transport>, std::string> Transport::start(TransportOptions options, const crypto::NodeSecretKey& key,
                                                                 FrameHandler handler) {
    FLEEK_ASSERT(handler);
    auto impl = std::make_unique<Impl>(std::move(options), key, std::move(handler));
    auto tls = configure_tls(impl->tls, key);
    if (!tls) return fail(tls.error());
    error_code ec;
    const auto address = asio::ip::make_address(impl->options.listen_host, ec);
    if (ec) return fail(fmt::format("listen address `{}`: {}", impl->options.listen_host, ec.message()));
    const tcp::endpoint endpoint(address, impl->options.listen_port);
    auto& acceptor = impl->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(fmt::format("cannot listen on {}:{}: {}", impl->options.listen_host, impl->options.listen_port, ec.message()));
    impl->bound_port = acceptor.local_endpoint(ec).port();
    if (ec) return fail(fmt::format("listening port: {}", ec.message()));
    Impl* raw = impl.get();
    asio::post(raw->io, [raw] { raw->accept(); });
    raw->thread = std::thread([raw] {
        auto guard = asio::make_work_guard(raw->io);
        raw->io.run();
    });
    FLEEK_LOG_INFO(log_category, "node {} listening on {}:{}", raw->self_key.to_string(), raw->options.listen_host, raw->bound_port);
    return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

void Transport::set_peers(std::vector<PeerAddress> peers) {
    Impl& impl = *m_impl;
    {
        std::lock_guard lock(impl.mutex);
        if (impl.stopped) return;
        std::map<crypto::NodePublicKey, PeerAddress> wanted;
        for (auto& peer : peers)
            if (peer.key != impl.self_key) wanted.insert_or_assign(peer.key, std::move(peer));
        for (auto it = impl.peers.begin(); it != impl.peers.end();) {
            if (wanted.contains(it->first))
                ++it;
            else
                it = impl.peers.erase(it);
        }
        for (auto& [key, address] : wanted) {
            auto it = impl.peers.find(key);
            if (it == impl.peers.end())
                impl.peers.emplace(key, std::make_unique<Peer>(std::move(address)));
            else
                it->second->address = std::move(address);
        }
    }
    asio::post(impl.io, [raw = m_impl.get()] { raw->reconcile(); });
}

namespace {

SendResult enqueue(Transport::Impl& impl, const crypto::NodePublicKey& to, Channel channel, FramePayload& payload, bool raw);
void start_write_soon(Transport::Impl& impl, std::shared_ptr<Connection> kick);

}  // namespace

SendResult Transport::send(const crypto::NodePublicKey& to, Channel channel, Bytes payload) {
    FramePayload frame{std::move(payload), nullptr, {}};
    return enqueue(*m_impl, to, channel, frame, false);
}

SendResult Transport::send_frame(const crypto::NodePublicKey& to, Channel channel, FramePayload& payload) {
    return enqueue(*m_impl, to, channel, payload, false);
}

SendResult Transport::send_raw_for_test(const crypto::NodePublicKey& to, Bytes bytes) {
    FramePayload frame{std::move(bytes), nullptr, {}};
    return enqueue(*m_impl, to, Channel::consensus, frame, true);
}

namespace {

SendResult enqueue(Transport::Impl& impl, const crypto::NodePublicKey& to, Channel channel, FramePayload& payload, bool raw) {
    const auto index = static_cast<size_t>(channel);
    FLEEK_ASSERT(index < channel_count);
    std::shared_ptr<Connection> kick;
    {
        std::lock_guard lock(impl.mutex);
        if (impl.stopped) return SendResult::stopped;
        auto it = impl.peers.find(to);
        if (it == impl.peers.end()) return SendResult::unknown_peer;
        Peer& peer = *it->second;
        ChannelQueue& queue = peer.queues[index];
        // A frame the peer would refuse, or one that does not fit: a frame larger than the whole
        // queue is taken only into an empty queue.
        const bool fits = payload.size() <= impl.options.frame_bytes_max &&
                          (queue.bytes == 0 || queue.bytes + payload.size() <= impl.options.channel_queue_bytes_max);
        if (!fits) {
            peer.status.frames_dropped_queue_full += 1;
            return SendResult::queue_full;
        }
        queue.bytes += payload.size();
        queue.frames.push_back(QueuedFrame{std::move(payload), raw, {}});
        payload = FramePayload{};  // taken
        if (peer.connection && !peer.connection->writing) {
            peer.connection->writing = true;
            kick = peer.connection;
        }
    }
    if (kick) start_write_soon(impl, std::move(kick));
    return SendResult::queued;
}

}  // namespace

// ---- write batches -------------------------------------------------------------------------

namespace {

// The writes a thread's open WriteBatch deferred (the connection's `writing` flag is already set,
// so no other sender starts one meanwhile).
struct DeferredWrites {
    unsigned depth = 0;
    std::vector<std::pair<Transport::Impl*, std::shared_ptr<Connection>>> kicks;
};
thread_local DeferredWrites t_deferred;

void start_write_soon(Transport::Impl& impl, std::shared_ptr<Connection> kick) {
    if (t_deferred.depth > 0) {
        t_deferred.kicks.emplace_back(&impl, std::move(kick));
        return;
    }
    asio::post(impl.io, [&impl, kick = std::move(kick)] { impl.start_write(kick); });
}

}  // namespace

WriteBatch::WriteBatch() noexcept { ++t_deferred.depth; }

WriteBatch::~WriteBatch() {
    FLEEK_ASSERT(t_deferred.depth > 0);
    if (--t_deferred.depth > 0) return;
    auto kicks = std::move(t_deferred.kicks);
    t_deferred.kicks.clear();
    for (auto& [impl, kick] : kicks) start_write_soon(*impl, std::move(kick));
}

std::vector<PeerStatus> Transport::peer_status() const {
    std::lock_guard lock(m_impl->mutex);
    std::vector<PeerStatus> out;
    out.reserve(m_impl->peers.size());
    for (const auto& [key, peer] : m_impl->peers) {
        PeerStatus status = peer->status;
        status.connected = peer->connection != nullptr;
        status.queued_bytes = 0;
        for (const auto& queue : peer->queues) status.queued_bytes += queue.bytes;
        out.push_back(status);
    }
    return out;
}

TransportCounters Transport::counters() const {
    const Impl& impl = *m_impl;
    TransportCounters out;
    out.inbound = impl.inbound_count;
    out.outbound = impl.outbound_count;
    out.unauthenticated = impl.unauthenticated_count;
    out.refused_inbound_limit = impl.refused_inbound_limit;
    out.refused_unauthenticated_limit = impl.refused_unauthenticated_limit;
    out.refused_per_ip_limit = impl.refused_per_ip_limit;
    out.dials_deferred = impl.dials_deferred;
    out.handshakes_failed = impl.handshakes_failed;
    out.refused_keys = impl.refused_keys;
    return out;
}

uint16_t Transport::port() const { return m_impl->bound_port; }

const crypto::NodePublicKey& Transport::key() const { return m_impl->self_key; }

void Transport::stop() {
    Impl& impl = *m_impl;
    std::call_once(impl.stop_once, [&impl] {
        {
            std::lock_guard lock(impl.mutex);
            impl.stopped = true;
        }
        asio::post(impl.io, [&impl] { impl.shutdown(); });
        if (impl.thread.joinable()) impl.thread.join();
        impl.connections.clear();
        std::lock_guard lock(impl.mutex);
        for (auto& [key, peer] : impl.peers) peer->connection.reset();
        FLEEK_LOG_INFO(log_category, "node {} transport stopped", impl.self_key.to_string());
    });
}

}  // namespace fleek::net
