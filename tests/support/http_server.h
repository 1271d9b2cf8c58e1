// A small HTTP/1.1 server on loopback for tests of HTTP clients (origins): every request is
// answered by a handler the test writes, which may delay, cut the body short or misbehave in
// other ways a real server might. One thread per connection, "Connection: close" always.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

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
};

class TestHttpServer {
public:
    using Handler = std::function<ServedResponse(const ServedRequest&)>;

    // `host`: an IPv4 loopback address to listen on (127.0.0.2 gives a second loopback host).
    explicit TestHttpServer(Handler handler, std::string host = "127.0.0.1") : m_handler(std::move(handler)), m_host(std::move(host)) {
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

private:
    void accept_loop() {
        while (!m_stopping) {
            pollfd poll_fd{m_listener, POLLIN, 0};
            if (::poll(&poll_fd, 1, 50) <= 0) continue;
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0) continue;
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

    void serve(int fd) {
        std::string raw;
        char buffer[8192];
        while (raw.find("\r\n\r\n") == std::string::npos && raw.size() < 65536) {
            const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
            if (got <= 0) break;
            raw.append(buffer, static_cast<size_t>(got));
        }
        ServedRequest request;
        const size_t line_end = raw.find("\r\n");
        if (line_end != std::string::npos) {
            const std::string line = raw.substr(0, line_end);
            const size_t first = line.find(' ');
            const size_t second = line.find(' ', first + 1);
            request.method = line.substr(0, first);
            request.target = line.substr(first + 1, second - first - 1);
            size_t at = line_end + 2;
            const size_t end = raw.find("\r\n\r\n");
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
        {
            std::lock_guard lock(m_mutex);
            m_requests.push_back(request);
        }
        const ServedResponse response = m_handler(request);
        if (response.delay_ms > 0) {
            for (int waited = 0; waited < response.delay_ms && !m_stopping; waited += 10) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        std::string head = "HTTP/1.1 " + std::to_string(response.status) + " X\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(response.body.size()) + "\r\n";
        for (const auto& [name, value] : response.headers) head += name + ": " + value + "\r\n";
        head += "\r\n";
        if (send_all(fd, head) && request.method != "HEAD") {
            const std::string_view body = std::string_view(response.body).substr(0, response.cut_after);
            send_all(fd, body);
        }
        for (int waited = 0; waited < response.hold_open_ms && !m_stopping; waited += 10) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
    }

    Handler m_handler;
    std::string m_host;
    int m_listener = -1;
    uint16_t m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_workers;
    std::vector<ServedRequest> m_requests;
};

}  // namespace fleek::testing
