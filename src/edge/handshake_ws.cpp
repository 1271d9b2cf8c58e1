#include "edge/handshake_ws.h"

#include "crypto/random.h"
#include "edge/handshake_connection_io.h"
#include "net/source_address.h"
#include "util/assert.h"
#include "util/log.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace fleek::edge::handshake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using WebSocket = websocket::stream<tcp::socket>;

namespace {

// A socket descriptor handed over by the gateway, closed unless a tcp::socket took it.
class OwnedFd {
public:
    explicit OwnedFd(int fd) : m_fd(fd) {}
    OwnedFd(OwnedFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    OwnedFd& operator=(OwnedFd&&) = delete;
    ~OwnedFd() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const noexcept { return m_fd; }
    int release() noexcept { return std::exchange(m_fd, -1); }

private:
    int m_fd;
};

// The frame as one binary message: the payload without its u32 length.
std::array<asio::const_buffer, 2> message_buffers(const OutFrame& frame) {
    FLEEK_ASSERT(frame.bytes.size() > frame_header_size);
    return {asio::buffer(frame.bytes.data() + frame_header_size, frame.bytes.size() - frame_header_size),
            frame.block ? asio::buffer(frame.block->data(), frame.block->size()) : asio::const_buffer()};
}

class WebSocketTransport {
public:
    explicit WebSocketTransport(std::unique_ptr<WebSocket> ws) : m_ws(std::move(ws)) {}

    WebSocket::executor_type executor() { return m_ws->get_executor(); }

    void start() {
        boost::system::error_code ignored;
        beast::get_lowest_layer(*m_ws).set_option(tcp::no_delay(true), ignored);
        m_ws->binary(true);
        // The size of a message is checked here, piece by piece, so that an oversized one gets
        // `frame_too_large` instead of a close from Beast.
        m_ws->read_message_max(0);
        // The session keeps its own timeouts (open, idle, write).
        m_ws->set_option(websocket::stream_base::timeout{std::chrono::seconds(30), websocket::stream_base::none(), false});
    }

    template <class Handler>
    void async_read_frame(Handler handler) {
        m_message.clear();
        read_piece(std::move(handler));
    }

    template <class Handler>
    void async_write_frame(const OutFrame& frame, Handler handler) {
        m_ws->async_write(message_buffers(frame), [handler = std::move(handler)](boost::system::error_code ec, size_t) mutable { handler(ec); });
    }

    void close() {
        boost::system::error_code ignored;
        auto& socket = beast::get_lowest_layer(*m_ws);
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

private:
    template <class Handler>
    void read_piece(Handler handler) {
        m_buffer.clear();
        // At most one byte past the maximum is read: enough to know the message is too long.
        const size_t limit = client_frame_max_bytes + 1 - m_message.size();
        m_ws->async_read_some(m_buffer, limit, [this, handler = std::move(handler)](boost::system::error_code ec, size_t) mutable {
            if (ec) return handler(io::ReadResult::closed, ByteSpan{}, FrameError::truncated);
            if (!m_ws->got_binary()) return handler(io::ReadResult::frame_error, ByteSpan{}, FrameError::unknown_tag);
            const auto data = m_buffer.cdata();
            const auto* bytes = static_cast<const uint8_t*>(data.data());
            m_message.insert(m_message.end(), bytes, bytes + data.size());
            if (m_message.size() > client_frame_max_bytes) return handler(io::ReadResult::frame_error, ByteSpan{}, FrameError::frame_too_large);
            if (!m_ws->is_message_done()) return read_piece(std::move(handler));
            handler(io::ReadResult::payload, ByteSpan(m_message), FrameError::truncated);
        });
    }

    std::unique_ptr<WebSocket> m_ws;  // on the heap: handlers hold `this` of the transport, which moves
    beast::flat_buffer m_buffer;
    Bytes m_message;
};

using Connection = io::Connection<WebSocketTransport>;

}  // namespace

struct HandshakeWebSocketServer::Impl {
    Impl(const TcpDependencies& dependencies, const TcpOptions& opts)
        : options(opts), registry(opts.session), work(io.get_executor()), completions(std::make_shared<io::CompletionPost>(io)) {
        random = dependencies.random ? dependencies.random : RandomFill([](MutableByteSpan out) { crypto::random_bytes(out); });
        now_ms = dependencies.now_ms ? dependencies.now_ms : io::steady_now_ms();
    }

    // On the I/O thread.
    void upgrade(const TcpDependencies& deps, OwnedFd fd, std::string request) {
        ++counters.accepted;
        sockaddr_storage address{};
        socklen_t length = sizeof(address);
        if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) return;
        tcp::socket socket(io);
        boost::system::error_code assign_error;
        socket.assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd.get(), assign_error);
        if (assign_error) return;
        fd.release();  // the socket owns it now
        // Per source as on TCP (handshake_tcp.cpp): the gateway stopped counting this connection
        // when it handed it over. Upgrades in progress count too.
        boost::system::error_code remote_error;
        const auto remote = socket.remote_endpoint(remote_error);
        std::string source = remote_error ? std::string("?") : net::source_budget_key(remote.address());
        const bool busy = connections.size() + upgrading >= options.max_connections;
        const bool over_source = !busy && by_source[source] >= options.max_connections_per_source;
        if (busy) ++counters.refused_busy;
        if (over_source) ++counters.refused_per_source;
        const bool refused = busy || over_source;
        if (!refused) ++by_source[source];
        ++upgrading;
        auto ws = std::make_unique<WebSocket>(std::move(socket));
        // The upgrade answer must go out within the open timeout (a client that does not read it).
        ws->set_option(websocket::stream_base::timeout{std::chrono::milliseconds(options.session.open_timeout_ms),
                                                       websocket::stream_base::none(), false});
        auto held = std::make_shared<std::pair<std::unique_ptr<WebSocket>, std::string>>(std::move(ws), std::move(request));
        held->first->async_accept(asio::buffer(held->second), [this, &deps, held, refused, source](boost::system::error_code ec) {
            --upgrading;
            if (ec || stopping) {
                if (!refused) release_source(source);
                boost::system::error_code ignored;
                beast::get_lowest_layer(*held->first).close(ignored);
                return;
            }
            if (refused) return refuse_busy(std::move(held->first));
            const uint64_t id = next_id++;
            SessionContext context{deps.node_key, deps.admission, deps.content, registry, random, deps.current_epoch};
            auto connection = std::make_shared<Connection>(
                WebSocketTransport(std::move(held->first)), std::move(context), deps.receipts, completions, options.session,
                io::Limits{options.send_queue_max_bytes, options.write_timeout_ms}, now_ms, counters,
                [this](uint64_t closed) {
                    if (connections.erase(closed) == 0) return;
                    auto held_source = sources.find(closed);
                    release_source(held_source->second);
                    sources.erase(held_source);
                    counters.open_connections = connections.size();
                },
                id);
            connections.emplace(id, connection);
            sources.emplace(id, source);
            counters.open_connections = connections.size();
            connection->start();
        });
    }

    void release_source(const std::string& source) {
        auto count = by_source.find(source);
        if (count != by_source.end() && --count->second == 0) by_source.erase(count);
    }

    void refuse_busy(std::unique_ptr<WebSocket> ws) {
        auto held = std::make_shared<std::pair<std::unique_ptr<WebSocket>, Bytes>>(std::move(ws), encode_frame(NodeFrame{Terminate{TerminationReason::server_busy}}));
        held->first->binary(true);
        held->first->async_write(asio::buffer(held->second.data() + frame_header_size, held->second.size() - frame_header_size),
                                 [held](boost::system::error_code, size_t) {
                                     boost::system::error_code ignored;
                                     auto& socket = beast::get_lowest_layer(*held->first);
                                     socket.shutdown(tcp::socket::shutdown_both, ignored);
                                     socket.close(ignored);
                                 });
    }

    TcpOptions options;
    SessionRegistry registry;
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    std::shared_ptr<io::CompletionPost> completions;  // the receipt sink's completions, to this I/O thread
    RandomFill random;
    std::function<uint64_t()> now_ms;
    io::Counters counters;
    std::map<uint64_t, std::shared_ptr<Connection>> connections;
    std::map<uint64_t, std::string> sources;   // of each connection, net::source_budget_key
    std::map<std::string, size_t> by_source;   // connections and upgrades in progress per source
    size_t upgrading = 0;
    uint64_t next_id = 0;
    bool stopping = false;
    std::thread thread;
};

void HandshakeUpgradeSlot::attach(HandshakeUpgrades& target) {
    std::lock_guard lock(m_mutex);
    m_target = &target;
}

void HandshakeUpgradeSlot::detach() {
    std::lock_guard lock(m_mutex);
    m_target = nullptr;
}

void HandshakeUpgradeSlot::adopt(int socket_fd, std::string request) {
    std::lock_guard lock(m_mutex);
    if (m_target == nullptr) {
        ::close(socket_fd);
        return;
    }
    m_target->adopt(socket_fd, std::move(request));
}

bool HandshakeUpgradeSlot::accepting() const {
    std::lock_guard lock(m_mutex);
    return m_target != nullptr && m_target->accepting();
}

HandshakeWebSocketServer::HandshakeWebSocketServer(TcpDependencies dependencies) : m_dependencies(std::move(dependencies)) {}

HandshakeWebSocketServer::~HandshakeWebSocketServer() { stop(); }

void HandshakeWebSocketServer::start(const TcpOptions& options) {
    std::lock_guard lock(m_mutex);
    FLEEK_ASSERT(!m_impl);
    auto impl = std::make_unique<Impl>(m_dependencies, options);
    impl->thread = std::thread([raw = impl.get()] { raw->io.run(); });
    m_impl = std::move(impl);
    FLEEK_LOG_INFO("handshake", "WebSocket sessions at /handshake on the HTTP gateway");
}

void HandshakeWebSocketServer::adopt(int socket_fd, std::string request) {
    OwnedFd fd(socket_fd);
    std::lock_guard lock(m_mutex);
    if (!m_impl) return;  // not running: the descriptor is closed
    // A handler dropped unrun (the server stopping) closes the descriptor with it.
    asio::post(m_impl->io, [impl = m_impl.get(), &deps = m_dependencies, fd = std::move(fd), request = std::move(request)]() mutable {
        if (impl->stopping) return;
        impl->upgrade(deps, std::move(fd), std::move(request));
    });
}

bool HandshakeWebSocketServer::accepting() const {
    std::lock_guard lock(m_mutex);
    return m_impl != nullptr;
}

void HandshakeWebSocketServer::stop() {
    std::unique_ptr<Impl> impl;
    {
        std::lock_guard lock(m_mutex);
        impl = std::move(m_impl);
    }
    if (!impl) return;
    asio::post(impl->io, [raw = impl.get()] {
        raw->stopping = true;
        auto connections = raw->connections;  // close() erases from the map
        for (auto& [id, connection] : connections) connection->close();
        raw->io.stop();  // pending handlers (upgrades in progress, adoptions) are dropped with the io_context
    });
    if (impl->thread.joinable()) impl->thread.join();
    impl->completions->detach();  // a receipt completing later finds no io_context
}

TcpStats HandshakeWebSocketServer::stats() const {
    std::lock_guard lock(m_mutex);
    if (!m_impl) return {};
    return io::snapshot(m_impl->counters);
}

}  // namespace fleek::edge::handshake
