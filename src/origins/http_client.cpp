#include "origins/http_client.h"

#include "origins/curl_transfer.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace fleek::origins {

namespace {

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
    curl_transfer::global_init_once();
    HttpGetResult result;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        result.transport_error = "cannot create an HTTP client";
        return result;
    }
    curl_transfer::State state;
    state.result = &result;
    state.max_body_bytes = options.max_body_bytes;
    state.on_body = &on_body;
    state.policy = options.address_policy;
    curl_transfer::install(curl, state);
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    for (const auto& header : options.headers) headers = curl_slist_append(headers, header.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout_ms));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    if (options.cancel != nullptr) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(options.cancel));
    }
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
        state.begin_hop(*host);
        error_buffer[0] = 0;
        curl_easy_setopt(curl, CURLOPT_URL, current.c_str());
        code = curl_easy_perform(curl);
        if (code != CURLE_OK) {
            state.note_refusals(*host);
            break;
        }
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        char* location = nullptr;
        if (!curl_transfer::is_redirect(status) || options.max_redirects <= 0 ||
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
