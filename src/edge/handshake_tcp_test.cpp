// The TCP listener on loopback: a paid fetch of 8 MiB with receipts, refusal of oversized
// frames, and half-open connections closed at their deadline while a good client is served.
// Clients are plain blocking sockets with receive deadlines (no sleeps), and the socket client
// flk uses (handshake_socket_client.h): its typed failures (a silent node abandoned at the stall
// deadline, connection refused, the node's termination and refusal reasons).
#include "edge/handshake_fixture_test.h"
#include "edge/handshake_socket_client.h"
#include "edge/handshake_tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <time.h>
#include <thread>

namespace fleek::edge::handshake {
namespace {

using namespace testing;
constexpr uint64_t mib = 1 << 20;

class Socket {
public:
    // `source`: the local address to connect from (any 127.0.0.0/8 address is loopback), so a
    // test can be two clients as the listener's per-source limit sees them.
    explicit Socket(uint16_t port, int receive_buffer_bytes = 0, const char* source = nullptr) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (receive_buffer_bytes > 0) ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
        if (source) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &local.sin_addr);
            if (::bind(m_fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) return;
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~Socket() { ::close(m_fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    bool connected() const { return m_connected; }

    bool send(ByteSpan bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }
    // Bytes received before `deadline_ms` from now; empty at end of stream; nullopt on timeout.
    std::optional<Bytes> receive(int deadline_ms) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, deadline_ms) <= 0) return std::nullopt;
        Bytes buffer(64 * 1024);
        const ssize_t n = ::recv(m_fd, buffer.data(), buffer.size(), 0);
        if (n < 0) return Bytes{};
        buffer.resize(static_cast<size_t>(n));
        return buffer;
    }

private:
    int m_fd;
    bool m_connected = false;
};

// Reads frames until end of stream (or the deadline); returns the payloads and whether the
// stream ended.
struct Received {
    std::vector<Bytes> payloads;
    bool ended = false;
};
Received read_until_closed(Socket& socket, int deadline_ms) {
    Received out;
    FrameSplitter splitter(node_frame_max_bytes);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    while (std::chrono::steady_clock::now() < until) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
        auto bytes = socket.receive(static_cast<int>(std::max<int64_t>(left, 1)));
        if (!bytes) break;
        if (bytes->empty()) {
            out.ended = true;
            break;
        }
        EXPECT_TRUE(splitter.feed(*bytes, [&](ByteSpan p) { return out.payloads.emplace_back(p.begin(), p.end()), true; }));
    }
    return out;
}

std::optional<TerminationReason> last_termination(const Received& received) {
    if (received.payloads.empty()) return std::nullopt;
    auto frame = decode_node_frame(received.payloads.back());
    if (!frame || !std::holds_alternative<Terminate>(*frame)) return std::nullopt;
    return std::get<Terminate>(*frame).reason;
}

struct TcpFixture : NodeFixture {
    explicit TcpFixture(TcpOptions tcp_options = {}) : server(TcpDependencies{key, admission, sink, source, [this] { return epoch; }, {}, {}}) {
        tcp_options.address = "127.0.0.1";
        tcp_options.session.chain_id = chain_id;
        options = tcp_options.session;
        EXPECT_TRUE(server.start(0, tcp_options));
    }
    HandshakeTcpServer server;
};

// A whole paid fetch with the socket client flk uses (handshake_socket_client.h).
struct FetchResult {
    Bytes content;
    std::optional<ClientError> error;
    std::optional<TerminationReason> termination;
};
FetchResult fetch(uint16_t port, const ClientOptions& options, const Hash32& hash) {
    FetchResult result;
    HandshakeClient client(client_key(), options);
    auto fetched = fetch_over_socket({.host = "127.0.0.1", .port = port, .connect_timeout_ms = 10'000, .stall_timeout_ms = 20'000},
                                     client, hash, std::nullopt, [&](uint64_t, ByteSpan block) {
                                         result.content.insert(result.content.end(), block.begin(), block.end());
                                         return true;
                                     });
    if (!fetched) {
        EXPECT_EQ(fetched.error().error, SocketError::session) << fetched.error().describe();
        result.error = fetched.error().client_error;
    }
    result.termination = client.termination();
    return result;
}

// Waits (polling, with a deadline) for a condition set by the server's thread.
template <class Condition>
bool eventually(Condition condition, int deadline_ms = 20'000) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::yield();
    }
    return condition();
}

TEST(HandshakeTcp, FetchesEightMebibytesWithCumulativeReceipts) {
    TcpFixture node;
    const Hash32 hash = node.put(8 * mib, 11);
    const auto result = fetch(node.server.port(), node.client_options(), hash);
    EXPECT_FALSE(result.error) << to_string(*result.error);
    EXPECT_EQ(result.content, node.content_bytes);
    // The last receipt reaches the node after the client's last block: wait for it.
    EXPECT_TRUE(eventually([&] { return !node.sink.amounts().empty() && node.sink.amounts().back() == 8 * mib; }));
    const auto amounts = node.sink.amounts();
    ASSERT_EQ(amounts.size(), 8u);
    for (size_t i = 0; i < amounts.size(); ++i) EXPECT_EQ(amounts[i], (i + 1) * mib);
    for (const auto& r : node.sink.receipts()) EXPECT_TRUE(ledger::verify_delivery_receipt(r));
    EXPECT_EQ(node.server.stats().opened_sessions, 1u);
}

// Receipts are recorded asynchronously (the node's sink group-commits them on a thread of its
// own): the session counts a receipt only when the sink completed it, so the client never holds
// more than one window beyond what the sink completed, even while its receipts wait; the fetch
// finishes as the completions come.
TEST(HandshakeTcp, TheWindowReopensOnlyWhenTheSinkCompletedTheReceipt) {
    NodeFixture node;
    node.options.chain_id = NodeFixture::chain_id;
    TcpOptions tcp_options;
    tcp_options.address = "127.0.0.1";
    tcp_options.session = node.options;
    GatedSink gated;
    HandshakeTcpServer server(TcpDependencies{node.key, node.admission, gated, node.source, [&node] { return node.epoch; }, {}, {}});
    ASSERT_TRUE(server.start(0, tcp_options));
    const Hash32 hash = node.put(8 * mib, 12);
    const uint64_t window = node.options.window_bytes;

    std::atomic<uint64_t> completed{0};
    std::atomic<uint64_t> received{0};
    std::atomic<uint64_t> most_beyond_completed{0};  // the most the client held beyond `completed`
    std::atomic<bool> finished{false};
    Bytes content;
    std::optional<SocketFailure> failure;
    std::thread fetcher([&] {
        HandshakeClient client(client_key(), node.client_options());
        auto fetched = fetch_over_socket({.host = "127.0.0.1", .port = server.port(), .connect_timeout_ms = 10'000, .stall_timeout_ms = 20'000},
                                         client, hash, std::nullopt, [&](uint64_t, ByteSpan block) {
                                             content.insert(content.end(), block.begin(), block.end());
                                             const uint64_t now_received = received += block.size();
                                             const uint64_t acknowledged = completed;
                                             if (now_received > acknowledged) {
                                                 const uint64_t beyond = now_received - acknowledged;
                                                 if (beyond > most_beyond_completed) most_beyond_completed = beyond;
                                             }
                                             return true;
                                         });
        if (!fetched) failure = fetched.error();
        finished = true;
    });
    // The test is a slow disk: it completes the oldest waiting record only once the client holds
    // a whole window beyond what was completed (or the whole file), so a node that counted a
    // receipt before its completion would stream past that.
    EXPECT_TRUE(eventually([&] {
        if (received >= std::min<uint64_t>(8 * mib, completed + window)) gated.complete_next(completed);
        return finished && completed == 8 * mib;
    }));
    fetcher.join();
    ASSERT_FALSE(failure) << failure->describe();
    EXPECT_EQ(content, node.content_bytes);
    EXPECT_LE(most_beyond_completed.load(), window);
    server.stop();
}

TEST(HandshakeTcp, AnOversizedFrameIsRefusedBeforeItsBodyIsRead) {
    TcpFixture node;
    Socket socket(node.server.port());
    ASSERT_TRUE(socket.connected());
    const Bytes header = {0xff, 0xff, 0xff, 0x7f};  // 2 GiB announced, nothing sent
    ASSERT_TRUE(socket.send(header));
    const auto received = read_until_closed(socket, 20'000);
    EXPECT_TRUE(received.ended);
    EXPECT_EQ(last_termination(received), TerminationReason::frame_too_large);
}

TEST(HandshakeTcp, GarbageIsRefusedAsMalformed) {
    TcpFixture node;
    Socket socket(node.server.port());
    ASSERT_TRUE(socket.send(Bytes{0x05, 0, 0, 0, 0x10, 1, 2, 3, 4}));
    const auto received = read_until_closed(socket, 20'000);
    EXPECT_TRUE(received.ended);
    EXPECT_EQ(last_termination(received), TerminationReason::malformed);
}

TEST(HandshakeTcp, HalfOpenConnectionsAreClosedAtTheDeadlineWhileAGoodClientIsServed) {
    TcpOptions options;
    options.session.open_timeout_ms = 1'000;
    options.max_connections = 200;
    options.max_connections_per_source = 1'000;  // the total limit is the subject here
    TcpFixture node(options);
    const Hash32 hash = node.put(2 * mib, 12);
    std::vector<std::unique_ptr<Socket>> idle;
    for (int i = 0; i < 150; ++i) {
        idle.push_back(std::make_unique<Socket>(node.server.port()));
        ASSERT_TRUE(idle.back()->connected());
        if (i % 2 == 0) {  // slowloris: a frame begun, never finished
            ASSERT_TRUE(idle.back()->send(Bytes{0x76, 0, 0, 0, 0x10}));
        }
    }
    ASSERT_TRUE(eventually([&] { return node.server.stats().open_connections == 150; }));
    const auto started = std::chrono::steady_clock::now();
    const auto result = fetch(node.server.port(), node.client_options(), hash);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.content, node.content_bytes);
    // Over the limit: told server_busy at once.
    std::vector<std::unique_ptr<Socket>> extra;
    for (int i = 0; i < 60; ++i) extra.push_back(std::make_unique<Socket>(node.server.port()));
    EXPECT_TRUE(eventually([&] { return node.server.stats().refused_busy >= 1; }));
    for (auto& socket : idle) {
        const auto received = read_until_closed(*socket, 20'000);
        EXPECT_TRUE(received.ended);
        ASSERT_EQ(received.payloads.size(), 2u);  // the challenge, then the reason
        EXPECT_TRUE(std::holds_alternative<Challenge>(decode_node_frame(received.payloads[0]).value()));
        EXPECT_EQ(last_termination(received), TerminationReason::timeout);
    }
    EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));
    EXPECT_GE(node.server.stats().timed_out, 150u);
    size_t busy = 0;
    for (auto& socket : extra) {
        const auto received = read_until_closed(*socket, 20'000);
        EXPECT_TRUE(received.ended);
        if (last_termination(received) == TerminationReason::server_busy) ++busy;
    }
    EXPECT_GE(busy, 1u);
    EXPECT_EQ(busy, node.server.stats().refused_busy);
}

// 10,000 half-open connections from one address (127.0.0.2; connected, never a byte sent): 64 are held
// until the open deadline, every other one is told server_busy at once, the listener never holds
// more than its limits, and a client from another address is served meanwhile.
TEST(HandshakeTcp, TenThousandHalfOpenConnectionsFromOneAddressAreRefusedWhileOthersAreServed) {
    constexpr size_t attackers = 10'000;
    rlimit files{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &files), 0);
    const rlim_t needed = attackers + 512;  // client ends here, the listener's ends, the rest of the test
    ASSERT_GE(files.rlim_max, needed) << "this test needs RLIMIT_NOFILE of at least " << needed << " (ulimit -Hn)";
    if (files.rlim_cur < needed) {
        files.rlim_cur = needed;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &files), 0);
    }
    TcpOptions options;
    options.session.open_timeout_ms = 2'000;
    options.max_connections = 256;
    options.max_connections_per_source = 64;
    TcpFixture node(options);
    const Hash32 hash = node.put(2 * mib, 14);
    std::vector<std::unique_ptr<Socket>> half_open;
    half_open.reserve(attackers);
    for (size_t i = 0; i < attackers; ++i) {
        half_open.push_back(std::make_unique<Socket>(node.server.port(), 0, "127.0.0.2"));
        ASSERT_TRUE(half_open.back()->connected()) << "connection " << i;
    }
    ASSERT_TRUE(eventually([&] { return node.server.stats().accepted == attackers; }, 60'000)) << node.server.stats().accepted;
    EXPECT_EQ(node.server.stats().open_connections, 64u);
    EXPECT_EQ(node.server.stats().refused_per_source, attackers - 64);
    EXPECT_EQ(node.server.stats().refused_busy, 0u);
    // Another address (127.0.0.1) is served while the 64 are held.
    const auto result = fetch(node.server.port(), node.client_options(), hash);
    EXPECT_FALSE(result.error);
    EXPECT_EQ(result.content, node.content_bytes);
    size_t busy = 0;
    size_t timed_out = 0;
    for (auto& socket : half_open) {
        const auto received = read_until_closed(*socket, 20'000);
        ASSERT_TRUE(received.ended);
        if (last_termination(received) == TerminationReason::server_busy) {
            EXPECT_EQ(received.payloads.size(), 1u);  // refused before any challenge
            ++busy;
        } else {
            ASSERT_EQ(received.payloads.size(), 2u);  // the challenge, then the reason
            EXPECT_EQ(last_termination(received), TerminationReason::timeout);
            ++timed_out;
        }
    }
    EXPECT_EQ(busy, attackers - 64);
    EXPECT_EQ(timed_out, 64u);
    EXPECT_TRUE(eventually([&] { return node.server.stats().open_connections == 0; }));
}

// Out of file descriptors, the listener retries accept() every 100 ms instead of at once (which
// would spin its thread at 100% while connections wait in the backlog). The listener runs in a
// child process whose RLIMIT_NOFILE leaves room for two connections; the parent connects 30.
TEST(HandshakeTcp, OutOfDescriptorsTheListenerBacksOffInsteadOfSpinning) {
    int to_parent[2];
    int to_child[2];
    ASSERT_EQ(::pipe(to_parent), 0);
    ASSERT_EQ(::pipe(to_child), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(to_parent[0]);
        ::close(to_child[1]);
        uint64_t report[3] = {0, 0, 0};  // port, accept errors in the window, CPU µs in the window
        {
            TcpFixture node;
            report[0] = node.server.port();
            size_t open_files = 0;
            for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++open_files;
            rlimit files{};
            ::getrlimit(RLIMIT_NOFILE, &files);
            files.rlim_cur = open_files + 2;
            ::setrlimit(RLIMIT_NOFILE, &files);
            if (::write(to_parent[1], &report[0], sizeof(report[0])) != sizeof(report[0])) ::_exit(2);
            // Once the parent's clients are waiting and accept() has failed: a 500 ms window.
            char go = 0;
            if (::read(to_child[0], &go, 1) != 1) ::_exit(3);
            if (!eventually([&] { return node.server.stats().accept_errors >= 1; })) ::_exit(4);
            const uint64_t errors_before = node.server.stats().accept_errors;
            timespec cpu_before{};
            timespec cpu_after{};
            ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_before);
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
            while (std::chrono::steady_clock::now() < until) ::usleep(10'000);  // the measured window itself
            ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_after);
            report[1] = node.server.stats().accept_errors - errors_before;
            report[2] = static_cast<uint64_t>((cpu_after.tv_sec - cpu_before.tv_sec) * 1'000'000 + (cpu_after.tv_nsec - cpu_before.tv_nsec) / 1'000);
            files.rlim_cur = files.rlim_max;  // room again for the fixture's teardown
            ::setrlimit(RLIMIT_NOFILE, &files);
        }
        const ssize_t written = ::write(to_parent[1], &report[1], 2 * sizeof(uint64_t));
        ::_exit(written == 2 * sizeof(uint64_t) ? 0 : 5);
    }
    ::close(to_parent[1]);
    ::close(to_child[0]);
    uint64_t port = 0;
    ASSERT_EQ(::read(to_parent[0], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
    std::vector<std::unique_ptr<Socket>> clients;
    for (int i = 0; i < 30; ++i) {
        clients.push_back(std::make_unique<Socket>(static_cast<uint16_t>(port)));
        ASSERT_TRUE(clients.back()->connected());  // completed by the kernel's backlog
    }
    ASSERT_EQ(::write(to_child[1], "g", 1), 1);
    uint64_t window[2] = {0, 0};
    ASSERT_EQ(::read(to_parent[0], window, sizeof(window)), static_cast<ssize_t>(sizeof(window)));
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    // About 5 retries in 500 ms; spinning makes tens of thousands and burns the whole window.
    EXPECT_LE(window[0], 10u) << "accept() failures within 500 ms";
    EXPECT_LT(window[1], 250'000u) << "listener CPU µs within 500 ms";
    ::close(to_parent[0]);
    ::close(to_child[1]);
}

// A client that opens, asks for 8 MiB and stops reading: the window is large, so only the
// write timeout can end it, and it does.
TEST(HandshakeTcp, AClientThatStopsReadingIsClosedAtTheWriteTimeout) {
    TcpOptions options;
    options.session.window_bytes = 64 * mib;
    options.session.ack_timeout_ms = 600'000;
    options.write_timeout_ms = 500;
    TcpFixture node(options);
    const Hash32 hash = node.put(8 * mib, 13);
    Socket socket(node.server.port(), 4096);
    HandshakeClient client(client_key(), node.client_options());
    FrameSplitter splitter(node_frame_max_bytes);
    while (!client.is_open()) {
        auto bytes = socket.receive(20'000);
        ASSERT_TRUE(bytes && !bytes->empty());
        std::vector<Bytes> out;
        ASSERT_TRUE(splitter.feed(*bytes, [&](ByteSpan p) { return client.on_frame(p, out).has_value(); }));
        for (const Bytes& frame : out) ASSERT_TRUE(socket.send(frame));
    }
    ASSERT_TRUE(socket.send(client.request(hash, std::nullopt, {})));
    EXPECT_TRUE(eventually([&] { return node.server.stats().write_timeouts == 1; }));
    EXPECT_TRUE(eventually([&] { return node.server.stats().open_connections == 0; }));
}

// A loopback port with a listener that completes connections (the kernel's backlog) and never
// sends: a node that stopped sending.
struct SilentListener {
    SilentListener() : fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
        EXPECT_EQ(::listen(fd, 4), 0);
        socklen_t length = sizeof(address);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
    }
    ~SilentListener() { ::close(fd); }
    int fd;
    uint16_t port = 0;
};

TEST(HandshakeSocketClient, ANodeThatSendsNothingIsAbandonedAtTheStallDeadline) {
    SilentListener listener;
    HandshakeClient client(client_key(), NodeFixture().client_options());
    bool sink_called = false;
    const auto started = std::chrono::steady_clock::now();
    auto fetched = fetch_over_socket({.host = "127.0.0.1", .port = listener.port, .connect_timeout_ms = 5'000, .stall_timeout_ms = 300},
                                     client, Hash32{}, std::nullopt, [&](uint64_t, ByteSpan) { return sink_called = true; });
    const auto waited = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(fetched);
    EXPECT_EQ(fetched.error().error, SocketError::stalled);
    EXPECT_NE(fetched.error().describe().find("stalled"), std::string::npos);
    EXPECT_GE(waited, std::chrono::milliseconds(300));
    EXPECT_LT(waited, std::chrono::seconds(5));
    EXPECT_FALSE(sink_called);
    EXPECT_EQ(client.signed_bytes(), 0u);
}

TEST(HandshakeSocketClient, APortWhereNothingListensIsConnectionRefused) {
    uint16_t port = 0;
    {
        SilentListener closed_soon;  // a port that was free a moment ago, closed again
        port = closed_soon.port;
    }
    HandshakeClient client(client_key(), NodeFixture().client_options());
    auto fetched = fetch_over_socket({.host = "127.0.0.1", .port = port, .connect_timeout_ms = 5'000, .stall_timeout_ms = 5'000}, client, Hash32{}, std::nullopt, {});
    ASSERT_FALSE(fetched);
    EXPECT_EQ(fetched.error().error, SocketError::connection_refused);
    EXPECT_NE(fetched.error().describe().find("connection_refused"), std::string::npos);
}

TEST(HandshakeSocketClient, AnUnapprovedKeyIsRefusedBeforeAnyByteWithItsReason) {
    TcpFixture node;
    const Hash32 hash = node.put(3 * mib, 12);
    HandshakeClient client(client_key(9), node.client_options());  // the admission knows only client_key(2)
    bool sink_called = false;
    auto fetched = fetch_over_socket({.host = "localhost", .port = node.server.port(), .connect_timeout_ms = 5'000, .stall_timeout_ms = 20'000}, client, hash, std::nullopt,
                                     [&](uint64_t, ByteSpan) { return sink_called = true; });
    ASSERT_FALSE(fetched);
    EXPECT_EQ(fetched.error().error, SocketError::session);
    EXPECT_EQ(fetched.error().client_error, ClientError::terminated);
    EXPECT_EQ(fetched.error().termination, TerminationReason::unapproved_client);
    EXPECT_EQ(fetched.error().describe(), "the node ended the session: terminated (unapproved_client)");
    EXPECT_FALSE(sink_called);
    EXPECT_EQ(client.verified_bytes(), 0u);
    EXPECT_TRUE(node.sink.receipts().empty());
}

TEST(HandshakeSocketClient, ContentTheNodeDoesNotHoldIsARefusalNamingItsReason) {
    TcpFixture node;
    HandshakeClient client(client_key(), node.client_options());
    auto fetched = fetch_over_socket({.host = "127.0.0.1", .port = node.server.port(), .connect_timeout_ms = 5'000, .stall_timeout_ms = 20'000}, client, Hash32{}, std::nullopt, {});
    ASSERT_FALSE(fetched);
    EXPECT_EQ(fetched.error().client_error, ClientError::refused);
    EXPECT_EQ(fetched.error().describe(), "the node refused the request: refused (not_found)");
}

}  // namespace
}  // namespace fleek::edge::handshake
