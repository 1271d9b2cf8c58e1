#include "apps/flk/http.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstring>

namespace fleek::flk {

namespace {

struct Transfer {
    Transfer(HttpResponse* response_out, CURL* handle) : response(response_out), curl(handle) {}
    HttpResponse* response;
    CURL* curl;
    const std::function<bool(ByteSpan)>* on_data = nullptr;
    FILE* upload = nullptr;
    ByteSpan upload_bytes;
    size_t upload_offset = 0;
    const ProgressFunction* progress = nullptr;
    uint64_t progress_total = 0;
    uint64_t progress_done = 0;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::string line(data, size * count);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(value.begin());
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
        transfer->response->headers[name] = value;
    } else if (line.rfind("HTTP/", 0) == 0) {
        transfer->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t bytes = size * count;
    long status = 0;
    curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &status);
    if (transfer->on_data != nullptr && status >= 200 && status < 300) {
        return (*transfer->on_data)(ByteSpan(reinterpret_cast<const uint8_t*>(data), bytes)) ? bytes : 0;
    }
    if (transfer->response->body.size() < (size_t{64} << 20)) transfer->response->body.append(data, bytes);
    return bytes;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const size_t room = size * count;
    size_t got = 0;
    if (transfer->upload != nullptr) {
        got = std::fread(buffer, 1, room, transfer->upload);
        if (got == 0 && std::ferror(transfer->upload)) return CURL_READFUNC_ABORT;
    } else {
        got = std::min(room, transfer->upload_bytes.size() - transfer->upload_offset);
        std::memcpy(buffer, transfer->upload_bytes.data() + transfer->upload_offset, got);
        transfer->upload_offset += got;
    }
    transfer->progress_done += got;
    if (transfer->progress != nullptr && *transfer->progress) (*transfer->progress)(transfer->progress_done, transfer->progress_total);
    return got;
}

// The request's own headers plus the ones every request carries (the token).
curl_slist* common_headers(curl_slist* headers, const HttpClientOptions& options) {
    if (!options.bearer_token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + options.bearer_token).c_str());
    return headers;
}

HttpResponse perform(CURL* curl, const std::string& url, Transfer& transfer, const HttpClientOptions& options, curl_slist* headers) {
    HttpResponse& response = *transfer.response;
    char error_buffer[CURL_ERROR_SIZE] = {};
    if (headers != nullptr) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (options.stall_timeout_s > 0) {
        // Less than one byte a second for that long, either way: the peer stopped answering.
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.stall_timeout_s));
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10'000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "flk");
    const CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    if (code == CURLE_OPERATION_TIMEDOUT && options.stall_timeout_s > 0 && std::string_view(error_buffer).find("too slow") != std::string_view::npos) {
        response.transport_error = fmt::format("the node sent nothing for {} s; the transfer was abandoned (--stall-timeout)",
                                               options.stall_timeout_s);
    } else if (code != CURLE_OK && code != CURLE_WRITE_ERROR) {
        response.transport_error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
    } else if (code == CURLE_WRITE_ERROR) {
        response.transport_error = "stopped by the client";
    }
    curl_easy_reset(curl);
    return response;
}

}  // namespace

std::string HttpResponse::describe() const {
    if (!transport_error.empty()) return transport_error;
    // Our node answers errors as {"error": "..."}.
    auto json = nlohmann::json::parse(body, nullptr, false);
    if (json.is_object() && json.contains("error") && json["error"].is_string()) {
        return fmt::format("HTTP {}: {}", status, json["error"].get<std::string>());
    }
    return fmt::format("HTTP {}", status);
}

HttpClient::HttpClient(HttpClientOptions options) : m_options(std::move(options)) {
    static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    (void)initialized;
    m_curl = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(m_curl)); }

HttpResponse HttpClient::head(const std::string& url) {
    CURL* curl = static_cast<CURL*>(m_curl);
    HttpResponse response;
    Transfer transfer(&response, curl);
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_slist* headers = common_headers(nullptr, m_options);
    perform(curl, url, transfer, m_options, headers);
    curl_slist_free_all(headers);
    return response;
}

HttpResponse HttpClient::get(const std::string& url) {
    CURL* curl = static_cast<CURL*>(m_curl);
    HttpResponse response;
    Transfer transfer(&response, curl);
    curl_slist* headers = common_headers(nullptr, m_options);
    perform(curl, url, transfer, m_options, headers);
    curl_slist_free_all(headers);
    return response;
}

HttpResponse HttpClient::get_stream(const std::string& url, const std::function<bool(ByteSpan)>& on_data) {
    CURL* curl = static_cast<CURL*>(m_curl);
    HttpResponse response;
    Transfer transfer(&response, curl);
    transfer.on_data = &on_data;
    curl_slist* headers = common_headers(nullptr, m_options);
    perform(curl, url, transfer, m_options, headers);
    curl_slist_free_all(headers);
    return response;
}

HttpResponse HttpClient::put_file(const std::string& url, const std::filesystem::path& path,
                                  const ProgressFunction& progress) {
    CURL* curl = static_cast<CURL*>(m_curl);
    HttpResponse response;
    FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        response.transport_error = fmt::format("cannot open {}: {}", path.string(), std::strerror(errno));
        return response;
    }
    std::error_code error;
    const uint64_t size = std::filesystem::file_size(path, error);
    Transfer transfer(&response, curl);
    transfer.upload = file;
    transfer.progress = &progress;
    transfer.progress_total = size;
    struct curl_slist* headers = curl_slist_append(nullptr, "Expect:");  // no 100-continue round trip
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    headers = common_headers(headers, m_options);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    perform(curl, url, transfer, m_options, headers);
    curl_slist_free_all(headers);
    std::fclose(file);
    return response;
}

HttpResponse HttpClient::put_bytes(const std::string& url, ByteSpan body) {
    CURL* curl = static_cast<CURL*>(m_curl);
    HttpResponse response;
    Transfer transfer(&response, curl);
    transfer.upload_bytes = body;
    struct curl_slist* headers = common_headers(curl_slist_append(nullptr, "Expect:"), m_options);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    perform(curl, url, transfer, m_options, headers);
    curl_slist_free_all(headers);
    return response;
}

HttpResponse HttpClient::post_json(const std::string& url, const std::string& body, long timeout_ms) {
    CURL* curl = static_cast<CURL*>(m_curl);
    HttpResponse response;
    Transfer transfer(&response, curl);
    struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    perform(curl, url, transfer, m_options, headers);
    curl_slist_free_all(headers);
    return response;
}

}  // namespace fleek::flk
