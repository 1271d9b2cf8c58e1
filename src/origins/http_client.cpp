#include "origins/http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
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
};

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

HttpGetResult http_get(const std::string& url, const HttpGetOptions& options, const std::function<bool(ByteSpan)>& on_body) {
    global_init();
    HttpGetResult result;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        result.transport_error = "cannot create an HTTP client";
        return result;
    }
    Transfer transfer{&options, &on_body, &result, curl};
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& header : options.headers) headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, options.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, options.max_redirects);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "fleek-node");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (options.cancel != nullptr) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(options.cancel));
    }
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // any encoding curl decodes; limits count decoded bytes
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status = status;
    char* type = nullptr;
    if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) result.content_type = type;
    if (code != CURLE_OK && !result.too_large && !result.stopped) {
        result.transport_error = error_buffer[0] != 0 ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return result;
}

}  // namespace fleek::origins
