#include "origins/ipfs_gateway_client.h"

#include "origins/curl_transfer.h"

#include <curl/curl.h>

#include <algorithm>

namespace fleek::origins {

namespace {

long clamp_long(uint64_t value) { return static_cast<long>(std::min<uint64_t>(value, 0x7fffffff)); }

}  // namespace

struct GatewayClient::Transfer {
    GatewayRequest request;
    HttpGetResult result;
    curl_transfer::State state;
    std::string host;
    long hops = 0;  // redirects followed to get here
    Clock::time_point deadline;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    char error_buffer[CURL_ERROR_SIZE] = {0};

    ~Transfer() {
        if (easy != nullptr) curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
    }
};

GatewayClient::GatewayClient(GatewayClientOptions options) : m_options(options) {
    curl_transfer::global_init_once();
    CURLM* multi = curl_multi_init();
    if (multi == nullptr) return;
    const long parallel = clamp_long(std::max<size_t>(m_options.max_parallel, 1));
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, parallel);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 4 * parallel);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 4 * parallel);  // idle connections kept for reuse
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    m_multi = multi;
}

GatewayClient::~GatewayClient() {
    auto* multi = static_cast<CURLM*>(m_multi);
    for (auto& transfer : m_running) curl_multi_remove_handle(multi, transfer->easy);
    m_running.clear();
    if (multi != nullptr) curl_multi_cleanup(multi);
}

void GatewayClient::start(GatewayRequest request, Clock::time_point deadline, long hops) {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->deadline = deadline;
    transfer->hops = hops;
    const auto fail_now = [&](const char* why) {
        transfer->result.transport_error = why;
        if (transfer->request.on_done) transfer->request.on_done(transfer->result);
    };
    const auto now = Clock::now();
    if (now >= deadline) return fail_now("the fetch deadline passed");
    CURL* easy = curl_easy_init();
    if (easy == nullptr || m_multi == nullptr) {
        if (easy != nullptr) curl_easy_cleanup(easy);
        return fail_now("cannot create an HTTP client");
    }
    transfer->easy = easy;
    const auto host = url_host(transfer->request.url);
    if (!host) return fail_now("not a valid URL");
    transfer->host = *host;
    transfer->state.result = &transfer->result;
    transfer->state.max_body_bytes = transfer->request.max_body_bytes;
    transfer->state.on_body = &transfer->request.on_body;
    transfer->state.policy = m_options.address_policy;
    curl_transfer::install(easy, transfer->state);
    transfer->state.begin_hop(transfer->host);
    const uint64_t remaining_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    transfer->headers = curl_slist_append(nullptr, ("Accept: " + transfer->request.accept).c_str());
    curl_easy_setopt(easy, CURLOPT_URL, transfer->request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, clamp_long(std::max<uint64_t>(1, m_options.connect_timeout_ms)));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, clamp_long(std::max<uint64_t>(1, std::min(m_options.request_timeout_ms, remaining_ms))));
    if (m_options.low_speed_bytes_per_s > 0 && m_options.low_speed_time_s > 0) {
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, clamp_long(m_options.low_speed_bytes_per_s));
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, clamp_long(m_options.low_speed_time_s));
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error_buffer);
    // https gateways speaking HTTP/2: wait for the connection being set up and multiplex over it
    // rather than opening one per request (plain http/1.1 connections are never waited for).
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    if (curl_multi_add_handle(static_cast<CURLM*>(m_multi), easy) != CURLM_OK) return fail_now("cannot start an HTTP transfer");
    m_running.push_back(std::move(transfer));
}

void GatewayClient::finish(void* easy_handle, int code, const char* forced_error) {
    auto* easy = static_cast<CURL*>(easy_handle);
    const auto found = std::find_if(m_running.begin(), m_running.end(), [&](const auto& transfer) { return transfer->easy == easy; });
    if (found == m_running.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(*found);
    m_running.erase(found);
    curl_multi_remove_handle(static_cast<CURLM*>(m_multi), easy);
    HttpGetResult& result = transfer->result;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    result.status = status;
    char* type = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type != nullptr) result.content_type = type;
    long connects = 0;
    if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0) m_connections += static_cast<uint64_t>(connects);
    if (forced_error == nullptr && code == CURLE_OK && curl_transfer::is_redirect(status)) {
        // Redirects are followed here, one hop at a time, so each new host meets the address policy.
        char* location = nullptr;
        if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr &&
            m_options.max_redirects > 0) {
            if (transfer->hops + 1 > m_options.max_redirects) {
                forced_error = "too many redirects";
            } else {
                GatewayRequest next = std::move(transfer->request);
                next.url = location;
                start(std::move(next), transfer->deadline, transfer->hops + 1);
                return;
            }
        }
    }
    if (code != CURLE_OK) transfer->state.note_refusals(transfer->host);
    if (forced_error != nullptr) {
        result.transport_error = forced_error;
    } else if (code != CURLE_OK && !result.too_large && !result.stopped && result.refused.empty()) {
        result.transport_error = transfer->error_buffer[0] != 0 ? std::string(transfer->error_buffer)
                                                                : std::string(curl_easy_strerror(static_cast<CURLcode>(code)));
    }
    if (transfer->request.on_done) transfer->request.on_done(result);
}

void GatewayClient::run(const std::function<std::optional<GatewayRequest>()>& next, Clock::time_point deadline,
                        const std::function<bool()>& stop) {
    auto* multi = static_cast<CURLM*>(m_multi);
    const auto halted = [&]() -> const char* {
        if (m_options.cancel != nullptr && m_options.cancel->load()) return "the fetch was cancelled";
        if (Clock::now() >= deadline) return "the fetch deadline passed";
        if (stop && stop()) return "the fetch stopped";
        return nullptr;
    };
    while (true) {
        const char* why = halted();
        if (why != nullptr) {
            // End what runs; what `next` still has is not started.
            while (!m_running.empty()) finish(m_running.front()->easy, CURLE_OK, why);
            return;
        }
        while (m_running.size() < std::max<size_t>(m_options.max_parallel, 1)) {
            auto request = next();
            if (!request) break;
            start(std::move(*request), deadline, 0);
        }
        if (m_running.empty()) return;
        int still_running = 0;
        curl_multi_perform(multi, &still_running);
        int queued = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
            if (message->msg == CURLMSG_DONE) finish(message->easy_handle, message->data.result, nullptr);
        }
        if (m_running.empty()) continue;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        const int wait_ms = static_cast<int>(std::clamp<int64_t>(left, 0, 100));
        curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
    }
}

}  // namespace fleek::origins
