#include "edge/handshake_tcp.h"

#include "crypto/random.h"
#include "edge/handshake_connection_io.h"
#include "net/source_address.h"
#include "util/log.h"

#include <boost/asio.hpp>

#include <chrono>
#include <map>
#include <thread>

namespace fleek::edge::handshake {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Frames as u32 length ‖ payload on a TCP stream (docs/formats/handshake.md §Framing).
class TcpTransport {
public:
    explicit TcpTransport(tcp::socket socket) : m_socket(std::move(socket)) {}

    tcp::socket::executor_type executor() { return m_socket.get_executor(); }

    void start() {
        boost::system::error_code ignored;
        m_socket.set_option(tcp::no_delay(true), ignored);
    }

    template <class Handler>
    void async_read_frame(Handler handler) {
        asio::async_read(m_socket, asio::buffer(m_header), [this, handler = std::move(handler)](boost::system::error_code ec, size_t) mutable {
            if (ec) return handler(io::ReadResult::closed, ByteSpan{}, FrameError::truncated);
            // The length is checked before anything is allocated or read.
            auto length = decode_frame_length(m_header, client_frame_max_bytes);
            if (!length) return handler(io::ReadResult::frame_error, ByteSpan{}, length.error());
            m_body.resize(*length);
            asio::async_read(m_socket, asio::buffer(m_body), [this, handler = std::move(handler)](boost::system::error_code body_ec, size_t) mutable {
                if (body_ec) return handler(io::ReadResult::closed, ByteSpan{}, FrameError::truncated);
                handler(io::ReadResult::payload, ByteSpan(m_body), FrameError::truncated);
            });
        });
    }

    template <class Handler>
    void async_write_frame(const OutFrame& frame, Handler handler) {
        std::array<asio::const_buffer, 2> buffers{asio::buffer(frame.bytes),
                                                 frame.block ? asio::buffer(frame.block->data(), frame.block->size())
                                                             : asio::const_buffer()};
        asio::async_write(m_socket, buffers, [handler = std::move(handler)](boost::system::error_code ec, size_t) mutable { handler(ec); });
    }

    void close() {
        boost::system::error_code ignored;
        m_socket.shutdown(tcp::socket::shutdown_both, ignored);
        m_socket.close(ignored);
    }

private:
    tcp::socket m_socket;
    std::array<uint8_t, frame_header_size> m_header{};
    Bytes m_body;
};

using Connection = io::Connection<TcpTransport>;

}  // namespace

struct HandshakeTcpServer::Impl {
    Impl(const TcpDependencies& dependencies, const TcpOptions& opts)
        : options(opts), registry(opts.session), acceptor(io), completions(std::make_shared<io::CompletionPost>(io)) {
        random = dependencies.random ? dependencies.random : RandomFill([](MutableByteSpan out) { crypto::random_bytes(out); });
        now_ms = dependencies.now_ms ? dependencies.now_ms : io::steady_now_ms();
    }

    void accept(const TcpDependencies& deps) {
        acceptor.async_accept([this, &deps](boost::system::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted) return;
            if (ec) {
                // Out of descriptors (EMFILE, ENFILE) or memory: accepting again at once would
                // fail again and spin the I/O thread; the connections already open keep being served.
                if (counters.accept_errors++ == 0) FLEEK_LOG_WARN("handshake", "accept failed: {} (retrying every {} ms)", ec.message(), accept_retry_ms);
                accept_retry.expires_after(std::chrono::milliseconds(accept_retry_ms));
                accept_retry.async_wait([this, &deps](boost::system::error_code waited) {
                    if (!waited) accept(deps);
                });
                return;
            }
            ++counters.accepted;
            boost::system::error_code remote_error;
            const auto remote = socket.remote_endpoint(remote_error);
            std::string source = remote_error ? std::string("?") : net::source_budget_key(remote.address());
            if (connections.size() >= options.max_connections) {
                ++counters.refused_busy;
                refuse_busy(std::move(socket));
            } else if (by_source[source] >= options.max_connections_per_source) {
                ++counters.refused_per_source;
                refuse_busy(std::move(socket));
            } else {
                const uint64_t id = next_id++;
                SessionContext context{deps.node_key, deps.admission, deps.content, registry, random, deps.current_epoch};
                auto connection = std::make_shared<Connection>(
                    TcpTransport(std::move(socket)), std::move(context), deps.receipts, completions, options.session,
                    io::Limits{options.send_queue_max_bytes, options.write_timeout_ms}, now_ms, counters,
                    [this](uint64_t closed) { forget(closed); }, id);
                ++by_source[source];
                connections.emplace(id, Held{connection, std::move(source)});
                counters.open_connections = connections.size();
                connection->start();
            }
            accept(deps);
        });
    }

    void forget(uint64_t id) {
        auto it = connections.find(id);
        if (it == connections.end()) return;
        auto count = by_source.find(it->second.source);
        if (count != by_source.end() && --count->second == 0) by_source.erase(count);
        connections.erase(it);
        counters.open_connections = connections.size();
    }

    void refuse_busy(tcp::socket socket) {
        auto held = std::make_shared<std::pair<tcp::socket, Bytes>>(std::move(socket), encode_frame(NodeFrame{Terminate{TerminationReason::server_busy}}));
        asio::async_write(held->first, asio::buffer(held->second), [held](boost::system::error_code, size_t) {
            boost::system::error_code ignored;
            held->first.shutdown(tcp::socket::shutdown_both, ignored);
            held->first.close(ignored);
        });
    }

    TcpOptions options;
    SessionRegistry registry;
    asio::io_context io;
    tcp::acceptor acceptor;
    std::shared_ptr<io::CompletionPost> completions;  // the receipt sink's completions, to this I/O thread
    RandomFill random;
    std::function<uint64_t()> now_ms;
    io::Counters counters;
    struct Held {
        std::shared_ptr<Connection> connection;
        std::string source;  // net::source_budget_key of the remote address
    };
    std::map<uint64_t, Held> connections;
    std::map<std::string, size_t> by_source;  // open connections per source key
    asio::steady_timer accept_retry{io};
    static constexpr uint64_t accept_retry_ms = 100;
    uint64_t next_id = 0;
    uint16_t port = 0;
    std::thread thread;
};

HandshakeTcpServer::HandshakeTcpServer(TcpDependencies dependencies) : m_dependencies(std::move(dependencies)) {}

HandshakeTcpServer::~HandshakeTcpServer() { stop(); }

Result<void, std::string> HandshakeTcpServer::start(uint16_t port, const TcpOptions& options) {
    FLEEK_ASSERT(!m_impl);
    auto impl = std::make_unique<Impl>(m_dependencies, options);
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) return fail("handshake: bad address " + options.address + ": " + ec.message());
    const tcp::endpoint endpoint(address, port);
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(endpoint, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("handshake: cannot listen on " + options.address + ":" + std::to_string(port) + ": " + ec.message());
    impl->port = impl->acceptor.local_endpoint().port();
    impl->accept(m_dependencies);
    impl->thread = std::thread([raw = impl.get()] { raw->io.run(); });
    m_impl = std::move(impl);
    FLEEK_LOG_INFO("handshake", "listening on {}:{}", options.address, m_impl->port);
    return {};
}

uint16_t HandshakeTcpServer::port() const noexcept { return m_impl ? m_impl->port : 0; }

void HandshakeTcpServer::stop() {
    if (!m_impl) return;
    asio::post(m_impl->io, [impl = m_impl.get()] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
        auto connections = impl->connections;  // close() erases from the map
        impl->accept_retry.cancel();
        for (auto& [id, held] : connections) held.connection->close();
        impl->io.stop();  // pending handlers are dropped with the io_context
    });
    if (m_impl->thread.joinable()) m_impl->thread.join();
    m_impl->completions->detach();  // a receipt completing later finds no io_context
    m_impl.reset();
}

TcpStats HandshakeTcpServer::stats() const {
    if (!m_impl) return {};
    return io::snapshot(m_impl->counters);
}

}  // namespace fleek::edge::handshake
