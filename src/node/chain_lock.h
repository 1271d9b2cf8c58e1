// The lock between the runtime's core thread, which executes blocks, and the readers of the
// ledger (JSON-RPC threads). The ledger is not thread-safe, so readers exclude each other as well
// as the core thread; but the core thread goes first: once it asks for the lock, readers that
// arrive later wait until it is done. A flood of reads delays a block by at most the one read
// under way, instead of racing the core thread for an unfair mutex.
//
// lock()/unlock() for the core thread (usable with std::lock_guard); read_lock()/read_unlock()
// for readers (ReadGuard). The core thread's waits are measured (core_wait_max_us, total).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace fleek::node {

class ChainLock {
public:
    void lock() {
        const auto asked = std::chrono::steady_clock::now();
        std::unique_lock guard(m_mutex);
        ++m_core_waiting;
        m_released.wait(guard, [&] { return !m_held; });
        --m_core_waiting;
        m_held = true;
        const auto waited_us = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - asked).count());
        m_core_wait_total_us.fetch_add(waited_us, std::memory_order_relaxed);
        if (waited_us > m_core_wait_max_us.load(std::memory_order_relaxed)) m_core_wait_max_us.store(waited_us, std::memory_order_relaxed);
    }
    void unlock() {
        {
            std::lock_guard guard(m_mutex);
            m_held = false;
        }
        m_released.notify_all();
    }
    void read_lock() {
        std::unique_lock guard(m_mutex);
        m_released.wait(guard, [&] { return !m_held && m_core_waiting == 0; });
        m_held = true;
    }
    void read_unlock() { unlock(); }

    // The longest and the total time the core thread waited for the lock (readers held it).
    uint64_t core_wait_max_us() const { return m_core_wait_max_us.load(std::memory_order_relaxed); }
    uint64_t core_wait_total_us() const { return m_core_wait_total_us.load(std::memory_order_relaxed); }
    void reset_wait_stats() {
        m_core_wait_max_us.store(0, std::memory_order_relaxed);
        m_core_wait_total_us.store(0, std::memory_order_relaxed);
    }

    class ReadGuard {
    public:
        explicit ReadGuard(ChainLock& lock) : m_lock(lock) { m_lock.read_lock(); }
        ~ReadGuard() { m_lock.read_unlock(); }
        ReadGuard(const ReadGuard&) = delete;
        ReadGuard& operator=(const ReadGuard&) = delete;

    private:
        ChainLock& m_lock;
    };

private:
    std::mutex m_mutex;
    std::condition_variable m_released;
    bool m_held = false;
    uint32_t m_core_waiting = 0;
    std::atomic<uint64_t> m_core_wait_max_us{0};
    std::atomic<uint64_t> m_core_wait_total_us{0};
};

}  // namespace fleek::node
