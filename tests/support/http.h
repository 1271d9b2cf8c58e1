// A minimal HTTP/1.1 client over a raw socket for gateway tests: it sends exactly the bytes a
// test asks for and reports exactly what came back, including a connection cut mid-body.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <map>
#include <string>

namespace fleek::testing {

struct RawResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    bool complete = false;  // the body had all of Content-Length
};

inline int connect_loopback(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t put = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (put <= 0) return false;
        data.remove_prefix(static_cast<size_t>(put));
    }
    return true;
}

inline RawResponse parse_response(const std::string& raw, bool head) {
    RawResponse response;
    const size_t end = raw.find("\r\n\r\n");
    if (end == std::string::npos || raw.size() < 12) return response;
    response.status = std::stoi(raw.substr(9, 3));
    size_t line_start = raw.find("\r\n") + 2;
    while (line_start < end) {
        const size_t line_end = raw.find("\r\n", line_start);
        const std::string line = raw.substr(line_start, line_end - line_start);
        const size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(value.begin());
        response.headers[name] = value;
        line_start = line_end + 2;
    }
    response.body = raw.substr(end + 4);
    const auto length = response.headers.find("content-length");
    const size_t expected = length == response.headers.end() ? response.body.size() : std::stoull(length->second);
    response.complete = head ? response.body.empty() : response.body.size() == expected;
    if (!head && response.body.size() > expected) response.body.resize(expected);
    return response;
}

// Sends one request with "Connection: close" and reads until the server closes.
inline RawResponse http_request(uint16_t port, const std::string& method, const std::string& target,
                                const std::string& extra_headers = "", const std::string& body = "") {
    const int fd = connect_loopback(port);
    if (fd < 0) return {};
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers;
    if (!body.empty() || method == "PUT") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    send_all(fd, request);
    std::string raw;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        raw.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    return parse_response(raw, method == "HEAD");
}

}  // namespace fleek::testing
