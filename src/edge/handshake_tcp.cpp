#include "edge/handshake_tcp.h"

#include "crypto/random.h"
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

struct Counters {
    std::atomic<uint64_t> accepted{0};
    std::atomic<uint64_t> refused_busy{0};
    std::atomic<uint64_t> refused_per_source{0};
    std::atomic<uint64_t> accept_errors{0};
    std::atomic<uint64_t> open_connections{0};
    std::atomic<uint64_t> opened_sessions{0};
    std::atomic<uint64_t> timed_out{0};
    std::atomic<uint64_t> write_timeouts{0};
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, SessionContext context, const TcpOptions& options, std::function<uint64_t()> now_ms,
               Counters& counters, std::function<void(uint64_t)> on_closed, uint64_t id)
        : m_socket(std::move(socket)), m_timer(m_socket.get_executor()), m_now_ms(std::move(now_ms)),
          m_options(options), m_counters(counters), m_on_closed(std::move(on_closed)), m_id(id),
          m_session(std::move(context), options.session, m_now_ms()) {}

    void start() {
        boost::system::error_code ignored;
        m_socket.set_option(tcp::no_delay(true), ignored);
        read_header();
        pump();
        arm_timer();
    }

    void close() {
        if (m_closed) return;
        m_closed = true;
        boost::system::error_code ignored;
        m_timer.cancel();
        m_socket.shutdown(tcp::socket::shutdown_both, ignored);
        m_socket.close(ignored);
        if (m_session.termination() == TerminationReason::timeout) ++m_counters.timed_out;
        m_on_closed(m_id);  // drops the server's reference: the last handler's releases this
    }

private:
    void read_header() {
        if (m_closed) return;
        asio::async_read(m_socket, asio::buffer(m_header), [self = shared_from_this()](boost::system::error_code ec, size_t) {
            if (ec) return self->close();
            auto length = decode_frame_length(self->m_header, client_frame_max_bytes);
            if (!length) {
                self->m_session.on_frame_error(length.error());
                return self->pump();
            }
            self->m_body.resize(*length);
            self->read_body();
        });
    }

    void read_body() {
        asio::async_read(m_socket, asio::buffer(m_body), [self = shared_from_this()](boost::system::error_code ec, size_t) {
            if (ec) return self->close();
            const bool was_open = self->m_session.session() != nullptr;
            self->m_session.on_frame(self->m_body, self->m_now_ms());
            if (!was_open && self->m_session.session()) ++self->m_counters.opened_sessions;
            self->pump();
            self->arm_timer();
            if (!self->m_session.finished() && !self->m_session.termination()) self->read_header();
        });
    }

    void pump() {
        if (m_closed) return;
        const uint64_t now = m_now_ms();
        while (m_queued_bytes < m_options.send_queue_max_bytes) {
            auto frame = m_session.next_frame(now);
            if (!frame) break;
            m_queued_bytes += frame->size();
            m_queue.push_back(std::move(*frame));
        }
        if (m_queue.empty() && m_session.finished()) return close();
        if (!m_writing) write_next();
        arm_timer();
    }

    void write_next() {
        if (m_queue.empty() || m_closed) return;
        m_writing = true;
        m_write_started_ms = m_now_ms();
        const OutFrame& frame = m_queue.front();
        std::array<asio::const_buffer, 2> buffers{asio::buffer(frame.bytes),
                                                 frame.block ? asio::buffer(frame.block->data(), frame.block->size())
                                                             : asio::const_buffer()};
        asio::async_write(m_socket, buffers, [self = shared_from_this()](boost::system::error_code ec, size_t) {
            self->m_writing = false;
            if (ec) return self->close();
            self->arm_timer();
            self->m_queued_bytes -= self->m_queue.front().size();
            self->m_queue.pop_front();
            self->pump();
        });
    }

    std::optional<uint64_t> next_deadline_ms() const {
        auto deadline = m_session.next_deadline_ms();
        if (m_writing) {
            const uint64_t write_deadline = m_write_started_ms + m_options.write_timeout_ms;
            deadline = deadline ? std::min(*deadline, write_deadline) : write_deadline;
        }
        return deadline;
    }

    void arm_timer() {
        if (m_closed) return;
        const auto deadline = next_deadline_ms();
        if (deadline == m_armed_deadline_ms) return;
        m_armed_deadline_ms = deadline;
        m_timer.cancel();
        if (!deadline) return;
        const uint64_t now = m_now_ms();
        m_timer.expires_after(std::chrono::milliseconds(*deadline > now ? *deadline - now : 0));
        m_timer.async_wait([self = shared_from_this(), deadline](boost::system::error_code ec) {
            if (ec || self->m_armed_deadline_ms != deadline) return;
            self->m_armed_deadline_ms.reset();
            const uint64_t fired_ms = self->m_now_ms();
            if (self->m_writing && fired_ms >= self->m_write_started_ms + self->m_options.write_timeout_ms) {
                ++self->m_counters.write_timeouts;  // the client stopped reading: nothing more can reach it
                return self->close();
            }
            self->m_session.tick(fired_ms);
            self->pump();
            self->arm_timer();
        });
    }

    tcp::socket m_socket;
    asio::steady_timer m_timer;
    std::function<uint64_t()> m_now_ms;
    const TcpOptions& m_options;
    Counters& m_counters;
    std::function<void(uint64_t)> m_on_closed;
    uint64_t m_id;
    HandshakeConnection m_session;
    std::array<uint8_t, frame_header_size> m_header{};
    Bytes m_body;
    std::deque<OutFrame> m_queue;
    size_t m_queued_bytes = 0;
    bool m_writing = false;
    uint64_t m_write_started_ms = 0;
    bool m_closed = false;
    std::optional<uint64_t> m_armed_deadline_ms;
};

}  // namespace

struct HandshakeTcpServer::Impl {
    Impl(const TcpDependencies& dependencies, const TcpOptions& opts)
        : options(opts), registry(opts.session), acceptor(io) {
        random = dependencies.random ? dependencies.random : RandomFill([](MutableByteSpan out) { crypto::random_bytes(out); });
        now_ms = dependencies.now_ms ? dependencies.now_ms : std::function<uint64_t()>([] {
            return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now().time_since_epoch())
                                             .count());
        });
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
                SessionContext context{deps.node_key, deps.admission, deps.receipts, deps.content, registry, random, deps.current_epoch};
                auto connection = std::make_shared<Connection>(
                    std::move(socket), std::move(context), options, now_ms, counters,
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
    RandomFill random;
    std::function<uint64_t()> now_ms;
    Counters counters;
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
    m_impl.reset();
}

TcpStats HandshakeTcpServer::stats() const {
    if (!m_impl) return {};
    const Counters& c = m_impl->counters;
    return TcpStats{c.accepted, c.refused_busy, c.refused_per_source, c.accept_errors, c.open_connections, c.opened_sessions, c.timed_out, c.write_timeouts};
}

}  // namespace fleek::edge::handshake
