// HTTP requests to IPFS trustless gateways, many at once over reused connections: one libcurl
// multi handle whose connection cache keeps the connections to each gateway open between
// requests (and between fetches: the IPFS origin pools clients), with up to `max_parallel`
// transfers in flight (HTTP/2 multiplexes them over one connection where the gateway speaks it).
//
// Each transfer is bounded by a connect timeout, a total timeout, a low-speed limit (aborted when
// fewer than `low_speed_bytes_per_s` arrive for `low_speed_time_s` seconds, libcurl's
// CURLOPT_LOW_SPEED_LIMIT/TIME) and the caller's deadline, and stops on cancellation. http and
// https only, redirects included (followed one hop at a time, each meeting the address policy). Bodies are streamed to callbacks on the thread calling run().
#pragma once

#include "origins/http_client.h"
#include "util/bytes.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace fleek::origins {

struct GatewayClientOptions {
    uint64_t connect_timeout_ms = 5'000;
    uint64_t request_timeout_ms = 120'000;
    uint64_t low_speed_bytes_per_s = 0;  // 0: no low-speed limit
    uint64_t low_speed_time_s = 0;
    size_t max_parallel = 8;
    long max_redirects = 5;
    // Where requests may connect (each redirect hop checked on the address actually used;
    // curl_transfer.h); null: any address.
    const AddressPolicy* address_policy = nullptr;
    const std::atomic<bool>* cancel = nullptr;
};

struct GatewayRequest {
    std::string url;
    std::string accept;
    uint64_t max_body_bytes = UINT64_MAX;
    std::function<bool(ByteSpan)> on_body;  // pieces of a 2xx body; false stops the transfer
    std::function<void(const HttpGetResult&)> on_done;
};

class GatewayClient {
public:
    using Clock = std::chrono::steady_clock;
    explicit GatewayClient(GatewayClientOptions options);
    ~GatewayClient();
    GatewayClient(const GatewayClient&) = delete;
    GatewayClient& operator=(const GatewayClient&) = delete;

    // Runs transfers until `next` has nothing more and every started one is done. `next` is asked
    // whenever fewer than max_parallel run (it may return nullopt while transfers run and give
    // more after one of them is done). Every started request gets on_done exactly once. Past
    // `deadline`, on cancellation or once `stop` returns true, running transfers are ended with
    // a transport error and no new one starts.
    void run(const std::function<std::optional<GatewayRequest>()>& next, Clock::time_point deadline,
             const std::function<bool()>& stop = nullptr);

    // Connections opened so far (reused ones are not counted again).
    uint64_t connections_opened() const { return m_connections; }
    bool usable() const { return m_multi != nullptr; }

private:
    struct Transfer;
    void start(GatewayRequest request, Clock::time_point deadline, long hops);
    void finish(void* easy, int code, const char* forced_error);

    GatewayClientOptions m_options;
    void* m_multi = nullptr;  // CURLM*
    std::vector<std::unique_ptr<Transfer>> m_running;
    uint64_t m_connections = 0;
};

}  // namespace fleek::origins
