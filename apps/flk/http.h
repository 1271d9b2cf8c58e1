// A small blocking HTTP client over libcurl for flk.
#pragma once

#include "util/bytes.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace fleek::flk {

struct HttpResponse {
    long status = 0;                            // 0 when no response arrived
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;                           // for streamed GETs: only non-2xx bodies
    std::string transport_error;                // set when the request failed below HTTP
    bool ok() const { return transport_error.empty() && status >= 200 && status < 300; }
    // A one-line explanation for an error message.
    std::string describe() const;
};

// Called with the bytes done and the total (0 when unknown).
using ProgressFunction = std::function<void(uint64_t done, uint64_t total)>;

struct HttpClientOptions {
    // A transfer during which nothing arrives (or leaves) for this long fails instead of
    // hanging; 0: never (then only the JSON-RPC total timeout applies).
    unsigned stall_timeout_s = 30;
    std::string bearer_token;  // sent as Authorization: Bearer <token> when set
};

class HttpClient {
public:
    explicit HttpClient(HttpClientOptions options = {});
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    HttpResponse head(const std::string& url);
    HttpResponse get(const std::string& url);
    // Streams a 2xx body to on_data (return false to stop); other bodies land in `body`.
    HttpResponse get_stream(const std::string& url, const std::function<bool(ByteSpan)>& on_data);
    HttpResponse put_file(const std::string& url, const std::filesystem::path& path, const ProgressFunction& progress);
    HttpResponse put_bytes(const std::string& url, ByteSpan body);
    // POST with Content-Type: application/json (JSON-RPC), with a total timeout.
    HttpResponse post_json(const std::string& url, const std::string& body, long timeout_ms = 30'000);

private:
    void* m_curl;
    HttpClientOptions m_options;
};

}  // namespace fleek::flk
