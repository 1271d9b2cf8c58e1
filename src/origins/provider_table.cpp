#include "origins/provider_table.h"

#include <algorithm>

namespace fleek::origins {

std::string_view to_string(ProviderApplied outcome) noexcept {
    switch (outcome) {
        case ProviderApplied::accepted: return "accepted";
        case ProviderApplied::duplicate: return "duplicate";
        case ProviderApplied::stale: return "stale";
        case ProviderApplied::expired: return "expired";
    }
    return "unknown";
}

std::string_view to_string(ProviderRefusal refusal) noexcept {
    switch (refusal) {
        case ProviderRefusal::malformed: return "malformed";
        case ProviderRefusal::wrong_origin: return "wrong origin";
        case ProviderRefusal::unknown_provider: return "unknown provider";
        case ProviderRefusal::bad_signature: return "bad signature";
        case ProviderRefusal::expiry_too_far: return "expiry too far";
    }
    return "unknown";
}

void ProviderApplyCounts::add(const Result<ProviderApplied, ProviderRefusal>& outcome) {
    if (!outcome) {
        ++refused;
        if (!first_refusal) first_refusal = outcome.error();
        return;
    }
    switch (*outcome) {
        case ProviderApplied::accepted: ++accepted; return;
        case ProviderApplied::duplicate: ++duplicate; return;
        case ProviderApplied::stale: ++stale; return;
        case ProviderApplied::expired: ++expired; return;
    }
}

ProviderTable::ProviderTable(ProviderTableOptions options, NodeKeyCheck is_registered)
    : m_options(options), m_is_registered(std::move(is_registered)) {
    FLEEK_ASSERT(m_options.records_max >= 1 && m_options.records_per_provider_max >= 1);
    FLEEK_ASSERT(m_is_registered != nullptr);
}

void ProviderTable::index(const crypto::NodePublicKey& provider, uint64_t keep_until_ms, const crypto::Hash32& content) {
    auto& entries = m_by_provider[provider];
    if (!entries.empty()) m_sizes.erase({entries.size(), provider});
    entries.emplace(keep_until_ms, content);
    m_sizes.emplace(entries.size(), provider);
}

void ProviderTable::unindex(const crypto::NodePublicKey& provider, uint64_t keep_until_ms, const crypto::Hash32& content) {
    auto it = m_by_provider.find(provider);
    FLEEK_ASSERT(it != m_by_provider.end());
    m_sizes.erase({it->second.size(), provider});
    const size_t erased = it->second.erase({keep_until_ms, content});
    FLEEK_ASSERT(erased == 1);
    if (it->second.empty()) {
        m_by_provider.erase(it);
    } else {
        m_sizes.emplace(it->second.size(), provider);
    }
}

void ProviderTable::evict_soonest(const crypto::NodePublicKey& provider) {
    auto it = m_by_provider.find(provider);
    FLEEK_ASSERT(it != m_by_provider.end() && !it->second.empty());
    const auto [keep_until_ms, content] = *it->second.begin();
    unindex(provider, keep_until_ms, content);
    m_entries.erase(provider_key(content, provider));
    ++m_evicted;
}

void ProviderTable::make_room(const crypto::NodePublicKey& provider) {
    if (size_of(provider) >= m_options.records_per_provider_max) {
        evict_soonest(provider);
    } else if (m_entries.size() >= m_options.records_max) {
        // The provider holding the most entries gives one up (ties: the highest key). A copy: the
        // element of m_sizes it comes from is replaced while evicting.
        const crypto::NodePublicKey largest = m_sizes.rbegin()->second;
        evict_soonest(largest);
    }
}

Result<ProviderApplied, ProviderRefusal> ProviderTable::apply(const ProviderRecord& record, uint64_t now_ms) {
    if (record.expires_at_ms <= now_ms) return ProviderApplied::expired;
    if (record.expires_at_ms - now_ms > m_options.ttl_max_ms + m_options.clock_skew_max_ms) {
        return fail(ProviderRefusal::expiry_too_far);
    }
    const ProviderKey key = record.key();
    auto held = m_entries.find(key);
    if (held != m_entries.end() && held->second.record == record) return ProviderApplied::duplicate;
    if (!m_is_registered(record.provider)) return fail(ProviderRefusal::unknown_provider);
    if (!record.verify()) return fail(ProviderRefusal::bad_signature);
    if (held != m_entries.end()) {
        if (held->second.record.sequence >= record.sequence) return ProviderApplied::stale;
        // Kept at least as long as what it replaces: a tombstone outlives the announcements it
        // superseded, and an announcement keeps protecting against older ones.
        const uint64_t keep_until_ms = std::max(record.expires_at_ms, held->second.keep_until_ms);
        unindex(record.provider, held->second.keep_until_ms, record.content);
        index(record.provider, keep_until_ms, record.content);
        held->second = Entry{record, keep_until_ms};
        return ProviderApplied::accepted;
    }
    make_room(record.provider);
    index(record.provider, record.expires_at_ms, record.content);
    m_entries.emplace(key, Entry{record, record.expires_at_ms});
    return ProviderApplied::accepted;
}

ProviderApplyCounts ProviderTable::apply_batch(const crypto::NodePublicKey& origin, ByteSpan payload, uint64_t now_ms) {
    ProviderApplyCounts counts;
    auto records = decode_provider_batch(payload);
    if (!records) {
        counts.add(fail(ProviderRefusal::malformed));
        return counts;
    }
    for (const auto& record : *records) {
        if (record.provider != origin) {
            counts.add(fail(ProviderRefusal::wrong_origin));
            return counts;
        }
    }
    for (const auto& record : *records) counts.add(apply(record, now_ms));
    return counts;
}

std::vector<crypto::NodePublicKey> ProviderTable::providers(const crypto::Hash32& content, uint64_t now_ms, size_t max) const {
    std::vector<crypto::NodePublicKey> out;
    ProviderKey first{};
    std::copy(content.begin(), content.end(), first.begin());
    for (auto it = m_entries.lower_bound(first); it != m_entries.end() && out.size() < max; ++it) {
        if (!std::equal(content.begin(), content.end(), it->first.begin())) break;
        const ProviderRecord& record = it->second.record;
        if (record.action == ProviderAction::announce && record.expires_at_ms > now_ms) out.push_back(record.provider);
    }
    return out;
}

void ProviderTable::expire(uint64_t now_ms) {
    for (auto it = m_by_provider.begin(); it != m_by_provider.end();) {
        const crypto::NodePublicKey provider = it->first;
        ++it;  // unindex may erase the provider's node
        for (;;) {
            auto entries = m_by_provider.find(provider);
            if (entries == m_by_provider.end() || entries->second.begin()->first > now_ms) break;
            const auto [keep_until_ms, content] = *entries->second.begin();
            unindex(provider, keep_until_ms, content);
            m_entries.erase(provider_key(content, provider));
        }
    }
}

void ProviderTable::forget_provider(const crypto::NodePublicKey& provider) {
    auto it = m_by_provider.find(provider);
    if (it == m_by_provider.end()) return;
    for (const auto& [keep_until_ms, content] : it->second) m_entries.erase(provider_key(content, provider));
    m_sizes.erase({it->second.size(), provider});
    m_by_provider.erase(it);
}

ProviderSnapshotPage ProviderTable::snapshot_page(const ProviderSnapshotRequest& request, uint64_t now_ms) const {
    ProviderSnapshotPage page;
    page.after = request.after;
    const size_t limit = std::clamp<size_t>(request.max_records, 1, provider_page_records_max);
    const size_t scan_limit = 4 * limit;
    auto it = request.after ? m_entries.upper_bound(*request.after) : m_entries.begin();
    size_t scanned = 0;
    std::optional<ProviderKey> last;
    for (; it != m_entries.end() && page.records.size() < limit && scanned < scan_limit; ++it, ++scanned) {
        if (it->second.record.expires_at_ms > now_ms) page.records.push_back(it->second.record);
        last = it->first;
    }
    if (it != m_entries.end()) page.next = last;
    return page;
}

size_t ProviderTable::size_of(const crypto::NodePublicKey& provider) const {
    auto it = m_by_provider.find(provider);
    return it == m_by_provider.end() ? 0 : it->second.size();
}

const ProviderRecord* ProviderTable::find(const crypto::Hash32& content, const crypto::NodePublicKey& provider) const {
    auto it = m_entries.find(provider_key(content, provider));
    return it == m_entries.end() ? nullptr : &it->second.record;
}

}  // namespace fleek::origins
