#include "origins/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <mutex>

namespace fleek::origins {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    const HttpGetOptions* options;
    const std::function<bool(ByteSpan)>* on_body;
    HttpGetResult* result;
    CURL* curl;
    bool status_known = false;
    bool success = false;
    bool host_allowed = false;          // this hop's host is allowlisted by name
    std::vector<std::string> refusals;  // addresses the policy refused on this hop
};

// Called by curl for every socket it opens, with the address it will connect to: the address
// policy sees exactly what is used, whatever DNS answered before or answers later.
curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
    auto& transfer = *static_cast<Transfer*>(user);
    const AddressPolicy* policy = transfer.options->address_policy;
    if (policy != nullptr && !transfer.host_allowed) {
        if (purpose != CURLSOCKTYPE_IPCXN) {
            transfer.refusals.emplace_back("a connection that is not IP");
            return CURL_SOCKET_BAD;
        }
        IpAddress ip;
        if (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) {
            sockaddr_in v4{};
            std::memcpy(&v4, &address->addr, sizeof(v4));
            std::memcpy(ip.bytes.data(), &v4.sin_addr, 4);
        } else if (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6)) {
            sockaddr_in6 v6{};
            std::memcpy(&v6, &address->addr, sizeof(v6));
            ip.v6 = true;
            std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
        } else {
            transfer.refusals.emplace_back("an address that is neither IPv4 nor IPv6");
            return CURL_SOCKET_BAD;
        }
        if (auto why = policy->refusal(ip)) {
            transfer.refusals.push_back(std::move(*why));
            return CURL_SOCKET_BAD;
        }
    }
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool is_redirect(long status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    if (!transfer.status_known) {
        long status = 0;
        curl_easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &status);
        transfer.result->status = status;
        transfer.success = status >= 200 && status < 300;
        transfer.status_known = true;
    }
    if (!transfer.success) {
        // Keep the start of an error body for the message; drop the rest.
        if (transfer.result->error_body.size() < 512) transfer.result->error_body.append(data, std::min<size_t>(bytes, 512));
        return bytes;
    }
    if (transfer.result->body_bytes + bytes > transfer.options->max_body_bytes) {
        transfer.result->too_large = true;
        return 0;  // aborts the transfer
    }
    transfer.result->body_bytes += bytes;
    if (!(*transfer.on_body)(ByteSpan(reinterpret_cast<const uint8_t*>(data), bytes))) {
        transfer.result->stopped = true;
        return 0;
    }
    return bytes;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* cancel = static_cast<const std::atomic<bool>*>(user);
    return cancel != nullptr && cancel->load() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

std::string HttpGetResult::describe() const {
    if (!refused.empty()) return fmt::format("refused to connect: {}", refused);
    if (too_large) return "the response is larger than allowed";
    if (stopped) return "the transfer was stopped";
    if (!transport_error.empty()) return transport_error;
    std::string body = error_body.substr(0, 200);
    std::replace_if(body.begin(), body.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    if (body.empty()) return fmt::format("HTTP {}", status);
    return fmt::format("HTTP {}: {}", status, body);
}

bool is_http_url(std::string_view url) {
    std::string lower(url.substr(0, 8));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view rest;
    if (lower.starts_with("http://")) {
        rest = url.substr(7);
    } else if (lower.starts_with("https://")) {
        rest = url.substr(8);
    } else {
        return false;
    }
    if (rest.empty() || rest.front() == '/') return false;
    return std::none_of(url.begin(), url.end(), [](char c) { return c <= ' ' || c == 0x7f; });
}

std::optional<std::string> url_host(const std::string& url) {
    CURLU* parsed = curl_url();
    if (parsed == nullptr) return std::nullopt;
    std::optional<std::string> out;
    char* host = nullptr;
    if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != nullptr) {
        std::string text(host);
        if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
        const size_t zone = text.find('%');
        if (zone != std::string::npos) text.resize(zone);
        out = std::move(text);
    }
    curl_free(host);
    curl_url_cleanup(parsed);
    return out;
}

HttpGetResult http_get(const std::string& url, const HttpGetOptions& options, const std::function<bool(ByteSpan)>& on_body) {
    global_init();
    HttpGetResult result;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        result.transport_error = "cannot create an HTTP client";
        return result;
    }
    Transfer transfer{&options, &on_body, &result, curl, false, false, false, {}};
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& header : options.headers) headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // Redirects are followed here, one hop at a time, so each new host gets its own policy
    // check (curl's own following would not say which host a socket is for).
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never a proxy from the environment: it would be the address checked
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "fleek-node");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (options.cancel != nullptr) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(options.cancel));
    }
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl decodes; limits count decoded bytes
    std::string current = url;
    CURLcode code = CURLE_OK;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.total_timeout_ms);
    for (long hop = 0;; ++hop) {
        // The total timeout covers every hop together.
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            result.transport_error = fmt::format("no answer within {} ms", options.total_timeout_ms);
            break;
        }
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(left));
        const auto host = url_host(current);
        if (!host) {
            result.transport_error = fmt::format("`{}` is not a valid URL", current);
            break;
        }
        transfer.host_allowed = options.address_policy == nullptr || options.address_policy->allows_host(*host);
        transfer.refusals.clear();
        transfer.status_known = false;
        transfer.success = false;
        result.error_body.clear();
        error_buffer[0] = 0;
        curl_easy_setopt(curl, CURLOPT_URL, current.c_str());
        code = curl_easy_perform(curl);
        if (code != CURLE_OK) {
            if (!transfer.refusals.empty()) {
                std::string reasons;
                for (const auto& reason : transfer.refusals) reasons += (reasons.empty() ? "" : "; ") + reason;
                result.refused = fmt::format("{} ({}), and origins may only reach public addresses", *host, reasons);
            }
            break;
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        char* location = nullptr;
        if (!is_redirect(status) || options.max_redirects <= 0 ||
            curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) != CURLE_OK || location == nullptr) {
            break;
        }
        if (hop + 1 > options.max_redirects) {
            result.transport_error = fmt::format("more than {} redirects", options.max_redirects);
            break;
        }
        current = location;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status = status;
    char* type = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) result.content_type = type;
    if (code != CURLE_OK && !result.too_large && !result.stopped && result.refused.empty()) {
        result.transport_error = error_buffer[0] != 0 ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return result;
}

}  // namespace fleek::origins
