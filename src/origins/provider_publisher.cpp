#include "origins/provider_publisher.h"

#include <algorithm>
#include <limits>

namespace fleek::origins {

ProviderPublisher::ProviderPublisher(crypto::NodeSecretKey key, ProviderPublisherOptions options)
    : m_key(std::move(key)), m_options(options) {
    FLEEK_ASSERT(m_options.refresh_margin_ms < m_options.announce_ttl_ms);
}

uint64_t ProviderPublisher::next_sequence(uint64_t now_ms) {
    const uint64_t from_clock = now_ms > std::numeric_limits<uint64_t>::max() / 1000 ? std::numeric_limits<uint64_t>::max() : now_ms * 1000;
    m_sequence = std::max(m_sequence + 1, from_clock);
    return m_sequence;
}

ProviderRecord ProviderPublisher::sign_announcement(const crypto::Hash32& content, uint64_t now_ms) {
    const uint64_t expires_at_ms = now_ms + m_options.announce_ttl_ms;
    if (auto it = m_announced.find(content); it != m_announced.end()) {
        m_by_expiry.erase({it->second, content});
        it->second = expires_at_ms;
    } else {
        m_announced.emplace(content, expires_at_ms);
    }
    m_by_expiry.emplace(expires_at_ms, content);
    return ProviderRecord::sign(m_key, content, next_sequence(now_ms), ProviderAction::announce, expires_at_ms);
}

Result<ProviderRecord, PublishError> ProviderPublisher::announce(const crypto::Hash32& content, uint64_t now_ms) {
    if (!m_announced.contains(content) && m_announced.size() >= m_options.announced_max) return fail(PublishError::limit_reached);
    return sign_announcement(content, now_ms);
}

std::optional<ProviderRecord> ProviderPublisher::withdraw(const crypto::Hash32& content, uint64_t now_ms) {
    auto it = m_announced.find(content);
    if (it == m_announced.end()) return std::nullopt;
    m_by_expiry.erase({it->second, content});
    m_announced.erase(it);
    return ProviderRecord::sign(m_key, content, next_sequence(now_ms), ProviderAction::withdraw, now_ms + m_options.announce_ttl_ms);
}

std::vector<ProviderRecord> ProviderPublisher::refresh(uint64_t now_ms, size_t max) {
    std::vector<crypto::Hash32> due;
    for (auto it = m_by_expiry.begin(); it != m_by_expiry.end() && due.size() < max; ++it) {
        if (it->first > now_ms + m_options.refresh_margin_ms) break;
        due.push_back(it->second);
    }
    std::vector<ProviderRecord> records;
    records.reserve(due.size());
    for (const auto& content : due) records.push_back(sign_announcement(content, now_ms));
    return records;
}

}  // namespace fleek::origins
