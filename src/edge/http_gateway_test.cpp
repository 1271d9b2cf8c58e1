// The gateway's per-source connection cap (GatewayOptions::max_connections_per_source) against a
// real HttpGateway on loopback: Linux routes all of 127/8 to lo, so a client socket bound to
// 127.0.0.2 is another source than one from 127.0.0.1.
#include "edge/http_gateway.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace fleek::edge {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto deadline_after = std::chrono::seconds(10);

class Socket {
public:
    explicit Socket(int fd) : m_fd(fd) {}
    Socket(Socket&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Socket& operator=(Socket&&) = delete;
    ~Socket() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int fd() const { return m_fd; }

private:
    int m_fd;
};

// A TCP connection from `source` to 127.0.0.1:`port`; fd -1 when it could not connect.
Socket connect_from(const char* source, uint16_t port) {
    Socket socket(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
        ::connect(socket.fd(), reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
        return Socket(-1);
    }
    return socket;
}

enum class ReadEnd { closed, timed_out, data };

// Waits until the peer closes (read returns 0 or an error such as ECONNRESET) or sends something, or the deadline.
ReadEnd wait_for_close(const Socket& socket, std::string& received) {
    const auto deadline = Clock::now() + deadline_after;
    while (Clock::now() < deadline) {
        pollfd ready{socket.fd(), POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (::poll(&ready, 1, static_cast<int>(std::max<int64_t>(left, 1))) <= 0) continue;
        char chunk[4096];
        const ssize_t got = ::recv(socket.fd(), chunk, sizeof(chunk), 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return received.empty() ? ReadEnd::closed : ReadEnd::data;  // EOF or reset
        received.append(chunk, static_cast<size_t>(got));
    }
    return received.empty() ? ReadEnd::timed_out : ReadEnd::data;
}

// GET /health from `source`, the whole response (the request asks the server to close).
std::string get_health(const char* source, uint16_t port) {
    Socket socket = connect_from(source, port);
    if (socket.fd() < 0) return {};
    const std::string request = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if (::send(socket.fd(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return {};
    std::string response;
    wait_for_close(socket, response);
    return response;
}

bool is_ok(const std::string& response) { return response.rfind("HTTP/1.1 200", 0) == 0; }

// One source holding its whole share of idle connections (slowloris) is refused one more,
// closed unread, while another source is served; once it lets go, it is served again.
TEST(HttpGatewayTest, CapsTheConnectionsOfOneSourceAndServesTheOthers) {
    fleek::testing::ScratchDirectory dir;
    auto store = content::Blockstore::open(dir / "store", {}).value();
    GatewayOptions options;
    options.port = 0;
    options.max_connections_per_source = 8;
    options.idle_timeout_ms = 120'000;  // the idle connections stay open for the whole test
    auto started = HttpGateway::start(options, *store);
    ASSERT_TRUE(started) << started.error();
    auto& gateway = *started.value();
    const uint16_t port = gateway.port();
    ASSERT_NE(port, 0);

    std::vector<Socket> idle;
    for (size_t i = 0; i < options.max_connections_per_source; ++i) {
        idle.push_back(connect_from("127.0.0.1", port));
        ASSERT_GE(idle.back().fd(), 0) << "connection " << i;
    }
    // Accepted in order after the idle ones: refused, closed without an answer.
    Socket over = connect_from("127.0.0.1", port);
    ASSERT_GE(over.fd(), 0);
    std::string answer;
    EXPECT_EQ(wait_for_close(over, answer), ReadEnd::closed) << "got: " << answer;
    EXPECT_EQ(gateway.refused_per_source(), 1u);

    // Another source is not locked out.
    const std::string other = get_health("127.0.0.2", port);
    EXPECT_TRUE(is_ok(other)) << other;
    EXPECT_EQ(gateway.refused_per_source(), 1u);

    // The idle connections end: their units come back (when the server has read their EOF).
    idle.clear();
    const auto deadline = Clock::now() + deadline_after;
    std::string again;
    while (Clock::now() < deadline && !is_ok(again)) again = get_health("127.0.0.1", port);
    EXPECT_TRUE(is_ok(again)) << again;
    gateway.stop();
}

}  // namespace
}  // namespace fleek::edge
