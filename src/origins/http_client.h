// A blocking HTTP GET over libcurl for origin fetches: connect and total timeouts, a size limit,
// http and https only (redirects too), the body streamed to a callback as it arrives. With an
// address policy, every connection (each redirect hop, each address a name resolves to) is
// checked against it just before the socket is opened, on the address actually used.
#pragma once

#include "origins/address_policy.h"
#include "util/bytes.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fleek::origins {

struct HttpGetOptions {
    uint64_t connect_timeout_ms = 5'000;
    uint64_t total_timeout_ms = 60'000;
    uint64_t max_body_bytes = UINT64_MAX;
    long max_redirects = 5;
    std::vector<std::string> headers;  // "Name: value"
    const std::atomic<bool>* cancel = nullptr;  // set: the transfer stops soon after
    const AddressPolicy* address_policy = nullptr;  // null: any address (tests of the client only)
};

struct HttpGetResult {
    long status = 0;             // 0: no HTTP response
    std::string content_type;
    std::string transport_error; // connection refused, timeout, ...
    std::string error_body;      // the start of a non-2xx body, for messages
    uint64_t body_bytes = 0;     // 2xx body bytes handed to the callback
    bool too_large = false;      // stopped at max_body_bytes
    bool stopped = false;        // the callback returned false
    std::string refused;         // the address policy refused every address of a host: why
    bool ok() const {
        return transport_error.empty() && refused.empty() && !too_large && !stopped && status >= 200 && status < 300;
    }
    // One line for logs and error messages.
    std::string describe() const;
};

// Calls `on_body` with each piece of a 2xx body; return false to stop the transfer.
HttpGetResult http_get(const std::string& url, const HttpGetOptions& options, const std::function<bool(ByteSpan)>& on_body);

// True for http:// and https:// URLs with a host.
bool is_http_url(std::string_view url);
// The host of an http(s) URL as curl parses it, IPv6 brackets removed; nullopt if malformed.
std::optional<std::string> url_host(const std::string& url);

}  // namespace fleek::origins
