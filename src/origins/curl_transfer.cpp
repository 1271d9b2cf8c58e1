#include "origins/curl_transfer.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace fleek::origins::curl_transfer {

namespace {

// Called by curl for every socket it opens, with the address it will connect to: the address
// policy sees exactly what is used, whatever DNS answered before or answers later.
curl_socket_t open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
    auto& state = *static_cast<State*>(user);
    if (state.policy != nullptr && !state.host_allowed) {
        if (purpose != CURLSOCKTYPE_IPCXN) {
            state.refusals.emplace_back("a connection that is not IP");
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
            state.refusals.emplace_back("an address that is neither IPv4 nor IPv6");
            return CURL_SOCKET_BAD;
        }
        if (auto why = state.policy->refusal(ip)) {
            state.refusals.push_back(std::move(*why));
            return CURL_SOCKET_BAD;
        }
    }
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto& state = *static_cast<State*>(user);
    HttpGetResult& result = *state.result;
    const size_t bytes = size * count;
    if (!state.status_known) {
        long status = 0;
        curl_easy_getinfo(state.curl, CURLINFO_RESPONSE_CODE, &status);
        result.status = status;
        state.success = status >= 200 && status < 300;
        state.status_known = true;
    }
    if (!state.success) {
        // Keep the start of an error body for the message; drop the rest.
        if (result.error_body.size() < 512) result.error_body.append(data, std::min<size_t>(bytes, 512));
        return bytes;
    }
    if (result.body_bytes + bytes > state.max_body_bytes) {
        result.too_large = true;
        return 0;  // aborts the transfer
    }
    result.body_bytes += bytes;
    if (state.on_body != nullptr && *state.on_body && !(*state.on_body)(ByteSpan(reinterpret_cast<const uint8_t*>(data), bytes))) {
        result.stopped = true;
        return 0;
    }
    return bytes;
}

}  // namespace

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void State::begin_hop(const std::string& host) {
    host_allowed = policy == nullptr || policy->allows_host(host);
    refusals.clear();
    status_known = false;
    success = false;
    result->error_body.clear();
}

void State::note_refusals(const std::string& host) {
    if (refusals.empty()) return;
    std::string reasons;
    for (const auto& reason : refusals) reasons += (reasons.empty() ? "" : "; ") + reason;
    result->refused = fmt::format("{} ({}), and origins may only reach public addresses", host, reasons);
}

void install(CURL* curl, State& state) {
    state.curl = curl;
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    // Redirects are followed by the caller, one hop at a time, so each new host gets its own
    // policy check (curl's own following would not say which host a socket is for).
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROXY, "");  // never a proxy from the environment: it would be the address checked
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "fleek-node");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &state);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl decodes; limits count decoded bytes
}

bool is_redirect(long status) { return status == 301 || status == 302 || status == 303 || status == 307 || status == 308; }

}  // namespace fleek::origins::curl_transfer
