// Per-client-address rate limit of the JSON-RPC server (docs/rpc.md §Rate limits): a token bucket
// per address that refills `per_second` tokens a second up to `burst`. Each JSON-RPC call takes
// one token (a batch takes one per request in it), each GET one. A request that finds too few
// tokens is answered at once with -32005 / HTTP 429 and a retry time, and costs nothing else.
//
// Memory is bounded: at most `addresses_max` buckets. When a new address finds the table full,
// buckets that are full again (idle long enough) are dropped first, then the least recently
// used one.
//
// Thread-safe. Deterministic: the time is an argument. Integer arithmetic (milli-tokens).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace fleek::rpc {

struct RateLimitOptions {
    uint64_t per_second = 100;  // 0: no limit
    uint64_t burst = 200;       // tokens a bucket holds (at least 1 when per_second > 0)
    size_t addresses_max = 10'000;
};

class RateLimiter {
public:
    explicit RateLimiter(RateLimitOptions options) : m_options(options) {}

    // 0 when `cost` tokens were taken from `address`'s bucket; else the milliseconds until the
    // bucket holds them (nothing is taken). A cost over the burst waits for a full bucket.
    uint64_t take(std::string_view address, uint64_t cost, uint64_t now_ms);
    bool enabled() const { return m_options.per_second > 0; }
    size_t addresses() const;

private:
    struct Bucket {
        uint64_t milli_tokens = 0;
        uint64_t updated_ms = 0;
    };
    void make_room(uint64_t now_ms);

    RateLimitOptions m_options;
    mutable std::mutex m_mutex;
    std::map<std::string, Bucket, std::less<>> m_buckets;
};

}  // namespace fleek::rpc
