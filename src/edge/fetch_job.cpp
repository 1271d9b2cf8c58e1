#include "edge/fetch_job.h"

#include <cstring>

namespace fleek::edge {

std::string_view to_string(MissError error) noexcept {
    switch (error) {
        case MissError::not_found: return "not found on any peer";
        case MissError::failed: return "fetch from peers failed";
        case MissError::too_large: return "content too large";
        case MissError::timed_out: return "fetch deadline exceeded";
    }
    return "fetch error";
}

FetchJob::FetchJob(const content::Hash32& hash, content::Blockstore& store, size_t recent_blocks_max)
    : m_hash(hash), m_store(store), m_recent_blocks_max(recent_blocks_max) {}

FetchJob::~FetchJob() {
    // A reader still waiting must not hang: wake it (it then finds no progress, or the store).
    for (auto& wake : m_waiters) wake();
}

FetchJob::State FetchJob::state() const {
    std::lock_guard lock(m_mutex);
    return m_state;
}

bool FetchJob::has_block(uint64_t index) const {
    std::shared_ptr<content::PartialWriter> partial;
    {
        std::lock_guard lock(m_mutex);
        if (m_state.stored) return true;
        for (const auto& [k, block] : m_recent) {
            if (k == index) return true;
        }
        partial = m_partial;
    }
    return partial && index < partial->blocks() && partial->has_block(index);
}

Result<std::optional<content::BlockBuffer>, content::BlockstoreError> FetchJob::block(uint64_t index) {
    std::shared_ptr<content::PartialWriter> partial;
    bool stored = false;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [k, block] : m_recent) {
            if (k == index) return std::optional<content::BlockBuffer>(block);
        }
        partial = m_partial;
        stored = m_state.stored;
    }
    if (partial && index < partial->blocks() && partial->has_block(index)) {
        auto read = partial->read_block(index);
        if (!read) return fleek::fail(read.error());
        return std::optional<content::BlockBuffer>(std::move(*read));
    }
    if (stored) {
        auto read = m_store.read_block(m_hash, index);
        if (!read) return fleek::fail(read.error());
        return std::optional<content::BlockBuffer>(std::move(*read));
    }
    return std::optional<content::BlockBuffer>();
}

void FetchJob::when_changed(uint64_t seen_generation, std::function<void()> wake) {
    {
        std::lock_guard lock(m_mutex);
        const bool ended = m_state.stored || m_state.error;
        if (m_state.generation <= seen_generation && !ended) {
            m_waiters.push_back(std::move(wake));
            return;
        }
    }
    wake();
}

void FetchJob::want(uint64_t index) {
    std::lock_guard lock(m_mutex);
    if (m_wants.size() < 64) m_wants.insert(index);
}

std::set<uint64_t> FetchJob::take_wants() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_wants, {});
}

void FetchJob::changed_locked(std::vector<std::function<void()>>& to_wake) {
    ++m_state.generation;
    to_wake.swap(m_waiters);
}

void FetchJob::set_content_length(uint64_t content_length) {
    std::vector<std::function<void()>> to_wake;
    {
        std::lock_guard lock(m_mutex);
        if (m_state.content_length) return;
        m_state.content_length = content_length;
        changed_locked(to_wake);
    }
    for (auto& wake : to_wake) wake();
}

void FetchJob::set_partial(std::shared_ptr<content::PartialWriter> partial) {
    std::lock_guard lock(m_mutex);
    m_partial = std::move(partial);
}

std::shared_ptr<content::PartialWriter> FetchJob::partial() const {
    std::lock_guard lock(m_mutex);
    return m_partial;
}

void FetchJob::add_block(uint64_t index, ByteSpan bytes, std::shared_ptr<const void> owner) {
    std::shared_ptr<content::Block> copy;
    if (owner) {
        copy = std::make_shared<content::Block>(std::move(owner), bytes);
    } else {
        copy = std::make_shared<content::Block>(bytes.size());
        if (!bytes.empty()) std::memcpy(copy->data(), bytes.data(), bytes.size());
    }
    std::vector<std::function<void()>> to_wake;
    {
        std::lock_guard lock(m_mutex);
        if (m_recent_blocks_max > 0) {
            if (m_recent.size() >= m_recent_blocks_max) m_recent.pop_front();
            m_recent.emplace_back(index, std::move(copy));
        }
        ++m_state.blocks_verified;
        changed_locked(to_wake);
    }
    for (auto& wake : to_wake) wake();
}

void FetchJob::set_directory() {
    std::vector<std::function<void()>> to_wake;
    {
        std::lock_guard lock(m_mutex);
        m_state.is_directory = true;
        changed_locked(to_wake);
    }
    for (auto& wake : to_wake) wake();
}

void FetchJob::set_stored() {
    std::vector<std::function<void()>> to_wake;
    {
        std::lock_guard lock(m_mutex);
        m_state.stored = true;
        m_recent.clear();  // the store (and its block cache) serves from now on
        changed_locked(to_wake);
    }
    for (auto& wake : to_wake) wake();
}

void FetchJob::fail(MissError error, std::string message) {
    std::vector<std::function<void()>> to_wake;
    {
        std::lock_guard lock(m_mutex);
        if (m_state.stored || m_state.error) return;
        m_state.error = error;
        m_state.message = std::move(message);
        m_recent.clear();
        m_partial.reset();  // a failed fetch keeps nothing: the staging file goes with the last holder
        changed_locked(to_wake);
    }
    for (auto& wake : to_wake) wake();
}

bool FetchJob::ended() const {
    std::lock_guard lock(m_mutex);
    return m_state.stored || m_state.error.has_value();
}

}  // namespace fleek::edge
