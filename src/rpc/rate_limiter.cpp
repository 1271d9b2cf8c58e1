#include "rpc/rate_limiter.h"

#include <algorithm>

namespace fleek::rpc {

namespace {

// Milli-tokens a bucket gains in `elapsed_ms`: per_second tokens a second is per_second
// milli-tokens a millisecond. Saturates instead of overflowing after a long idle time.
uint64_t refill(uint64_t elapsed_ms, uint64_t per_second) {
    if (per_second != 0 && elapsed_ms > UINT64_MAX / per_second) return UINT64_MAX;
    return elapsed_ms * per_second;
}

}  // namespace

void RateLimiter::make_room(uint64_t now_ms) {
    const uint64_t capacity = std::max<uint64_t>(1, m_options.burst) * 1000;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        const Bucket& bucket = it->second;
        const uint64_t gained = refill(now_ms - std::min(now_ms, bucket.updated_ms), m_options.per_second);
        if (bucket.milli_tokens >= capacity || gained >= capacity - bucket.milli_tokens) {
            it = m_buckets.erase(it);  // full again: the same as a new bucket
        } else {
            ++it;
        }
    }
    if (m_buckets.size() < m_options.addresses_max) return;
    auto oldest = std::min_element(m_buckets.begin(), m_buckets.end(),
                                   [](const auto& a, const auto& b) { return a.second.updated_ms < b.second.updated_ms; });
    if (oldest != m_buckets.end()) m_buckets.erase(oldest);
}

uint64_t RateLimiter::take(std::string_view address, uint64_t cost, uint64_t now_ms) {
    if (!enabled()) return 0;
    const uint64_t capacity = std::max<uint64_t>(1, m_options.burst) * 1000;
    const uint64_t wanted = std::min(capacity, cost * 1000);
    std::lock_guard lock(m_mutex);
    auto it = m_buckets.find(address);
    if (it == m_buckets.end()) {
        if (m_buckets.size() >= std::max<size_t>(1, m_options.addresses_max)) make_room(now_ms);
        it = m_buckets.emplace(std::string(address), Bucket{capacity, now_ms}).first;
    }
    Bucket& bucket = it->second;
    const uint64_t gained = refill(now_ms - std::min(now_ms, bucket.updated_ms), m_options.per_second);
    bucket.milli_tokens = gained >= capacity - std::min(capacity, bucket.milli_tokens) ? capacity : bucket.milli_tokens + gained;
    bucket.updated_ms = std::max(bucket.updated_ms, now_ms);
    if (bucket.milli_tokens >= wanted) {
        bucket.milli_tokens -= wanted;
        return 0;
    }
    const uint64_t missing = wanted - bucket.milli_tokens;
    return (missing + m_options.per_second - 1) / m_options.per_second;
}

size_t RateLimiter::addresses() const {
    std::lock_guard lock(m_mutex);
    return m_buckets.size();
}

}  // namespace fleek::rpc
