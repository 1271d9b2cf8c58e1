#include "edge/receipt_recorder.h"

namespace fleek::edge::handshake {

ReceiptRecorder::ReceiptRecorder(PersistReceipts persist, const ReceiptRecorderOptions& options)
    : m_persist(std::move(persist)), m_options(options), m_thread([this] { run(); }) {}

ReceiptRecorder::~ReceiptRecorder() { stop(); }

void ReceiptRecorder::record(const ledger::SignedDeliveryReceipt& receipt, ReceiptRecorded done) {
    {
        std::unique_lock lock(m_mutex);
        if (!m_stopping && m_queue.size() < m_options.queue_max) {
            m_queue.push_back(Waiting{receipt, std::move(done)});
            lock.unlock();
            m_wake.notify_one();
            return;
        }
        ++m_stats.refused_busy;
    }
    done(fail(ReceiptSinkError::busy));
}

void ReceiptRecorder::run() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
        if (m_queue.empty()) return;  // stopping, nothing left
        std::vector<Waiting> batch;
        batch.swap(m_queue);
        lock.unlock();
        std::vector<ledger::SignedDeliveryReceipt> receipts;
        receipts.reserve(batch.size());
        for (const Waiting& w : batch) receipts.push_back(w.receipt);
        auto results = m_persist(receipts);
        FLEEK_ASSERT(results.size() == batch.size());
        {
            std::lock_guard counted(m_mutex);
            ++m_stats.batches;
            m_stats.receipts += batch.size();
        }
        for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
        lock.lock();
    }
}

void ReceiptRecorder::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

ReceiptRecorderStats ReceiptRecorder::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

}  // namespace fleek::edge::handshake
