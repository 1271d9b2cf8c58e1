#include "edge/source_connection_budget.h"

#include "util/assert.h"

namespace fleek::edge {

bool SourceConnectionBudget::try_acquire(const std::string& key) {
    std::lock_guard lock(m_mutex);
    auto it = m_held.find(key);
    const size_t held = it == m_held.end() ? 0 : it->second;
    if (held >= m_per_source_max) return false;
    if (it == m_held.end()) {
        m_held.emplace(key, 1);
    } else {
        ++it->second;
    }
    return true;
}

void SourceConnectionBudget::release(const std::string& key) {
    std::lock_guard lock(m_mutex);
    auto it = m_held.find(key);
    FLEEK_ASSERT(it != m_held.end() && it->second > 0);
    if (--it->second == 0) m_held.erase(it);
}

size_t SourceConnectionBudget::held(const std::string& key) const {
    std::lock_guard lock(m_mutex);
    auto it = m_held.find(key);
    return it == m_held.end() ? 0 : it->second;
}

}  // namespace fleek::edge
