#include "edge/handshake_socket_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fleek::edge::handshake {

std::string_view to_string(SocketError error) noexcept {
    switch (error) {
        case SocketError::resolve_failed: return "resolve_failed";
        case SocketError::connection_refused: return "connection_refused";
        case SocketError::connect_failed: return "connect_failed";
        case SocketError::connect_timeout: return "connect_timeout";
        case SocketError::stalled: return "stalled";
        case SocketError::closed: return "closed";
        case SocketError::send_failed: return "send_failed";
        case SocketError::receive_failed: return "receive_failed";
        case SocketError::bad_frame: return "bad_frame";
        case SocketError::session: return "session";
    }
    return "unknown";
}

std::string SocketFailure::describe() const {
    const std::string system_text = system_error != 0 && error != SocketError::resolve_failed ? std::strerror(system_error) : "";
    switch (error) {
        case SocketError::resolve_failed:
            return fmt::format("resolve_failed: the host does not resolve ({})", ::gai_strerror(system_error));
        case SocketError::connection_refused: return "connection_refused: nothing listens on that port";
        case SocketError::connect_failed: return fmt::format("connect_failed: {}", system_text);
        case SocketError::connect_timeout: return "connect_timeout: the connection did not complete in time";
        case SocketError::stalled: return "stalled: the node sent nothing within the stall timeout; the fetch was abandoned";
        case SocketError::closed: return "closed: the node closed the connection before the content was complete";
        case SocketError::send_failed: return fmt::format("send_failed: {}", system_text);
        case SocketError::receive_failed: return fmt::format("receive_failed: {}", system_text);
        case SocketError::bad_frame:
            return fmt::format("bad_frame: the node sent a frame that does not split ({})",
                               frame_error ? to_string(*frame_error) : std::string_view("?"));
        case SocketError::session: break;
    }
    if (!client_error) return "session: failed";
    const std::string_view name = to_string(*client_error);
    switch (*client_error) {
        case ClientError::terminated:
            return fmt::format("the node ended the session: {} ({})", name,
                               termination ? to_string(*termination) : std::string_view("?"));
        case ClientError::refused:
            return fmt::format("the node refused the request: {} ({})", name, refusal ? to_string(*refusal) : std::string_view("?"));
        case ClientError::stream_failed:
            return fmt::format("the content failed verification: {} ({})", name,
                               stream_failure ? stream_failure->describe() : std::string("?"));
        case ClientError::wrong_node: return fmt::format("handshake failed: {} (the node's key is not the one expected)", name);
        case ClientError::wrong_chain: return fmt::format("handshake failed: {} (the node is on another chain)", name);
        case ClientError::bad_node_signature:
            return fmt::format("handshake failed: {} (the node's signature does not verify)", name);
        case ClientError::wrong_session: return fmt::format("handshake failed: {} (the node opened another session)", name);
        case ClientError::malformed: return fmt::format("handshake failed: {} (a node frame does not decode)", name);
        case ClientError::unexpected_frame: return fmt::format("handshake failed: {} (a node frame at the wrong time)", name);
    }
    return std::string(name);
}

namespace {

using Clock = std::chrono::steady_clock;

SocketFailure failure(SocketError error, int system_error = 0) {
    SocketFailure out;
    out.error = error;
    out.system_error = system_error;
    return out;
}

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0) ::close(m_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

// Rounded up: a wait never ends before its deadline.
int remaining_ms(Clock::time_point until) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

// Waits for `events` on `fd` until `until`: 1 ready, 0 timed out, -1 error (errno set).
int wait_for(int fd, short events, Clock::time_point until) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int ready = ::poll(&p, 1, remaining_ms(until));
        if (ready < 0 && errno == EINTR) continue;
        return ready;
    }
}

// A non-blocking connect to one address, completed within the deadline.
Result<void, SocketFailure> connect_one(int fd, const addrinfo& address, Clock::time_point until) {
    if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) return {};
    if (errno != EINPROGRESS) return fail(failure(errno == ECONNREFUSED ? SocketError::connection_refused : SocketError::connect_failed, errno));
    const int ready = wait_for(fd, POLLOUT, until);
    if (ready == 0) return fail(failure(SocketError::connect_timeout));
    if (ready < 0) return fail(failure(SocketError::connect_failed, errno));
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return fail(failure(SocketError::connect_failed, errno));
    if (error != 0) return fail(failure(error == ECONNREFUSED ? SocketError::connection_refused : SocketError::connect_failed, error));
    return {};
}

// A connected non-blocking socket to the first address of `host` that accepts.
Result<int, SocketFailure> connect_to(const SocketClientOptions& options) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(options.port);
    if (const int code = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); code != 0) {
        return fail(failure(SocketError::resolve_failed, code));
    }
    const auto until = Clock::now() + std::chrono::milliseconds(options.connect_timeout_ms);
    SocketFailure last = failure(SocketError::resolve_failed, EAI_NONAME);
    for (const addrinfo* address = found; address != nullptr; address = address->ai_next) {
        const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address->ai_protocol);
        if (fd < 0) {
            last = failure(SocketError::connect_failed, errno);
            continue;
        }
        auto connected = connect_one(fd, *address, until);
        if (connected) {
            ::freeaddrinfo(found);
            return fd;
        }
        ::close(fd);
        last = connected.error();
    }
    ::freeaddrinfo(found);
    return fail(last);
}

// Writes every byte, waiting for room at most `stall_ms` at a time.
Result<void, SocketFailure> send_all(int fd, ByteSpan bytes, uint64_t stall_ms) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            const int ready = wait_for(fd, POLLOUT, Clock::now() + std::chrono::milliseconds(stall_ms));
            if (ready == 0) return fail(failure(SocketError::stalled));
            if (ready < 0) return fail(failure(SocketError::send_failed, errno));
            continue;
        }
        return fail(failure(SocketError::send_failed, n < 0 ? errno : EPIPE));
    }
    return {};
}

SocketFailure session_failure(const HandshakeClient& client, ClientError error) {
    SocketFailure out = failure(SocketError::session);
    out.client_error = error;
    out.termination = client.termination();
    out.refusal = client.refusal();
    out.stream_failure = client.stream_failure();
    return out;
}

// After the last receipt: no more writes, then read (and drop) until the node closes, so the
// receipt is read by the node before our side of the connection goes away (closing a socket
// with unread bytes sends a reset, which may discard what the node has not read yet).
void finish_gracefully(int fd, uint64_t stall_ms) {
    ::shutdown(fd, SHUT_WR);
    const auto until = Clock::now() + std::chrono::milliseconds(std::min<uint64_t>(stall_ms, 5'000));
    uint8_t buffer[4096];
    while (wait_for(fd, POLLIN, until) > 0) {
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) return;
    }
}

}  // namespace

Result<void, SocketFailure> fetch_over_socket(const SocketClientOptions& options, HandshakeClient& client, const Hash32& hash,
                                              const std::optional<BlockRange>& range, HandshakeClient::BlockSink sink) {
    auto connected = connect_to(options);
    if (!connected) return fail(connected.error());
    const Fd socket(*connected);
    FrameSplitter splitter(node_frame_max_bytes);
    Bytes buffer(256 * 1024);
    bool requested = false;
    for (;;) {
        const int ready = wait_for(socket.get(), POLLIN, Clock::now() + std::chrono::milliseconds(options.stall_timeout_ms));
        if (ready == 0) return fail(failure(SocketError::stalled));
        if (ready < 0) return fail(failure(SocketError::receive_failed, errno));
        const ssize_t n = ::recv(socket.get(), buffer.data(), buffer.size(), 0);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            return fail(failure(SocketError::receive_failed, errno));
        }
        if (n == 0) return fail(failure(SocketError::closed));
        std::vector<Bytes> out;
        std::optional<ClientError> client_error;
        auto split = splitter.feed(ByteSpan(buffer.data(), static_cast<size_t>(n)), [&](ByteSpan payload) {
            auto fed = client.on_frame(payload, out);
            if (!fed) client_error = fed.error();
            return fed.has_value();
        });
        if (client_error) return fail(session_failure(client, *client_error));
        if (!split) {
            SocketFailure bad = failure(SocketError::bad_frame);
            bad.frame_error = split.error();
            return fail(std::move(bad));
        }
        if (client.is_open() && !requested) {
            requested = true;
            out.push_back(client.request(hash, range, std::move(sink)));
        }
        for (const Bytes& frame : out) {
            if (auto sent = send_all(socket.get(), frame, options.stall_timeout_ms); !sent) return sent;
        }
        if (requested && client.request_done()) break;
    }
    finish_gracefully(socket.get(), options.stall_timeout_ms);
    return {};
}

}  // namespace fleek::edge::handshake
