// A small HTTP/1.1 server on loopback for tests of HTTP clients (origins): every request is
// answered by a handler the test writes, which may delay, cut the body short, send it slowly or
// misbehave in other ways a real server might. One thread per connection; "Connection: close"
// unless the server is made with keep_alive, then a connection serves requests until the client
// closes it. It counts connections and the most requests it was answering at once.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fleek::testing {

struct ServedRequest {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // lower-case names
};

struct ServedResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int delay_ms = 0;               // before anything is sent
    size_t cut_after = std::string::npos;  // close the connection after this many body bytes
    int hold_open_ms = 0;           // then keep the connection open, silent, this long (a stalled server)
    size_t chunk_bytes = 0;         // with chunk_interval_ms: the body sent this many bytes at a time
    int chunk_interval_ms = 0;      // ... with this pause before each piece (a slow server)
};

struct TestHttpServerOptions {
    bool keep_alive = false;
    std::string host = "127.0.0.1";  // an IPv4 loopback address to listen on (127.0.0.2 gives a second loopback host)
};

class TestHttpServer {
public:
    using Handler = std::function<ServedResponse(const ServedRequest&)>;

    explicit TestHttpServer(Handler handler, TestHttpServerOptions options = {})
        : m_handler(std::move(handler)), m_host(options.host), m_options(options) {
        start();
    }
    // `host`: an IPv4 loopback address to listen on.
    TestHttpServer(Handler handler, std::string host) : TestHttpServer(std::move(handler), TestHttpServerOptions{.host = std::move(host)}) {}

private:
    void start() {
        m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        ::inet_pton(AF_INET, m_host.c_str(), &address.sin_addr);
        address.sin_port = 0;
        ::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof(address));
        ::listen(m_listener, 64);
        socklen_t length = sizeof(address);
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
        m_acceptor = std::thread([this] { accept_loop(); });
    }

public:
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;
    ~TestHttpServer() {
        m_stopping = true;
        ::shutdown(m_listener, SHUT_RDWR);
        ::close(m_listener);
        m_acceptor.join();
        std::vector<std::thread> workers;
        {
            std::lock_guard lock(m_mutex);
            workers.swap(m_workers);
        }
        for (auto& worker : workers) worker.join();
    }

    uint16_t port() const { return m_port; }
    std::string url() const { return "http://" + m_host + ":" + std::to_string(m_port); }
    std::vector<ServedRequest> requests() {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }
    size_t count(std::string_view target_part) {
        size_t n = 0;
        for (const auto& request : requests()) n += request.target.find(target_part) != std::string::npos;
        return n;
    }
    size_t connections() const { return m_connections.load(); }
    // The most requests being answered at the same time (received, response not yet sent).
    size_t max_concurrent() const { return m_max_concurrent.load(); }

private:
    void accept_loop() {
        while (!m_stopping) {
            pollfd poll_fd{m_listener, POLLIN, 0};
            if (::poll(&poll_fd, 1, 50) <= 0) continue;
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0) continue;
            ++m_connections;
            std::lock_guard lock(m_mutex);
            m_workers.emplace_back([this, fd] { serve(fd); });
        }
    }

    static bool send_all(int fd, std::string_view data) {
        while (!data.empty()) {
            const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (sent <= 0) return false;
            data.remove_prefix(static_cast<size_t>(sent));
        }
        return true;
    }

    // Reads until a request head is buffered; false when the connection ends (or the server stops).
    bool read_head(int fd, std::string& raw) {
        char buffer[8192];
        while (raw.find("\r\n\r\n") == std::string::npos && raw.size() < 65536) {
            pollfd poll_fd{fd, POLLIN, 0};
            const int ready = ::poll(&poll_fd, 1, 50);
            if (m_stopping) return false;
            if (ready <= 0) continue;
            const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
            if (got <= 0) return !raw.empty();
            raw.append(buffer, static_cast<size_t>(got));
        }
        return true;
    }

    static ServedRequest parse_head(std::string& raw) {
        ServedRequest request;
        const size_t end = std::min(raw.find("\r\n\r\n"), raw.size());
        const size_t line_end = raw.find("\r\n");
        if (line_end != std::string::npos) {
            const std::string line = raw.substr(0, line_end);
            const size_t first = line.find(' ');
            const size_t second = line.find(' ', first + 1);
            request.method = line.substr(0, first);
            request.target = line.substr(first + 1, second - first - 1);
            size_t at = line_end + 2;
            while (at < end) {
                const size_t next = raw.find("\r\n", at);
                const std::string header = raw.substr(at, next - at);
                const size_t colon = header.find(':');
                if (colon != std::string::npos) {
                    std::string name = header.substr(0, colon);
                    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                    std::string value = header.substr(colon + 1);
                    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
                    request.headers[name] = value;
                }
                at = next + 2;
            }
        }
        raw.erase(0, std::min(raw.size(), end + 4));
        return request;
    }

    void serve(int fd) {
        std::string raw;
        while (read_head(fd, raw)) {
            ServedRequest request = parse_head(raw);
            const auto connection = request.headers.find("connection");
            const bool keep_alive = m_options.keep_alive && (connection == request.headers.end() || connection->second != "close");
            {
                std::lock_guard lock(m_mutex);
                m_requests.push_back(request);
            }
            const size_t now_answering = ++m_answering;
            size_t seen = m_max_concurrent.load();
            while (now_answering > seen && !m_max_concurrent.compare_exchange_weak(seen, now_answering)) {
            }
            const ServedResponse response = m_handler(request);
            if (response.delay_ms > 0) {
                for (int waited = 0; waited < response.delay_ms && !m_stopping; waited += 10) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
            }
            std::string head = "HTTP/1.1 " + std::to_string(response.status) + " X\r\nConnection: " + (keep_alive ? "keep-alive" : "close") +
                               "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
            for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
            head += "\r\n";
            bool sent = send_all(fd, head);
            const bool cut = response.cut_after < response.body.size();
            if (sent && request.method != "HEAD") {
                std::string_view body = std::string_view(response.body).substr(0, response.cut_after);
                const size_t piece = response.chunk_bytes > 0 ? response.chunk_bytes : std::max<size_t>(body.size(), 1);
                while (sent && !body.empty() && !m_stopping) {
                    if (response.chunk_interval_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(response.chunk_interval_ms));
                    const std::string_view part = body.substr(0, piece);
                    sent = send_all(fd, part);
                    body.remove_prefix(part.size());
                }
            }
            --m_answering;
            // A stalled server: the connection stays open, silent, then closes.
            for (int waited = 0; waited < response.hold_open_ms && !m_stopping; waited += 10) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            if (!sent || !keep_alive || cut || m_stopping || response.hold_open_ms > 0) break;
        }
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
    }

    Handler m_handler;
    std::string m_host;
    TestHttpServerOptions m_options;
    std::atomic<size_t> m_connections{0};
    std::atomic<size_t> m_answering{0};
    std::atomic<size_t> m_max_concurrent{0};
    int m_listener = -1;
    uint16_t m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_workers;
    std::vector<ServedRequest> m_requests;
};

}  // namespace fleek::testing
