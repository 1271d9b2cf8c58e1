// Group commit of verified client receipts off the handshake's I/O thread (issue 13): the I/O
// thread hands a receipt to record() and goes on streaming; one thread of the recorder takes
// every receipt waiting and persists them with ONE call of `persist` (the node's: one RocksDB
// WriteBatch, one sync), then calls each receipt's completion (which the transport posts back
// to its I/O thread, where the session counts the receipt).
//
// Invariants: a completion says success only for a receipt `persist` reported stored, and only
// after `persist` returned; every accepted receipt's completion is called exactly once (stop()
// persists what is still queued first); at most `queue_max` receipts wait at once, one more is
// completed at once with `busy` (the transport holds one in flight per connection, so this
// bounds the queue even if that ever changes).
#pragma once

#include "edge/handshake_session.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace fleek::edge::handshake {

// Persists `receipts` durably together; one result per receipt, in order.
using PersistReceipts = std::function<std::vector<Result<void, ReceiptSinkError>>(std::span<const ledger::SignedDeliveryReceipt> receipts)>;

struct ReceiptRecorderOptions {
    size_t queue_max = 4096;  // receipts waiting at once
};

struct ReceiptRecorderStats {
    uint64_t batches = 0;    // calls of `persist`
    uint64_t receipts = 0;   // receipts handed to `persist`
    uint64_t refused_busy = 0;
};

class ReceiptRecorder final : public ReceiptSink {
public:
    // Starts the recording thread.
    explicit ReceiptRecorder(PersistReceipts persist, const ReceiptRecorderOptions& options = {});
    ~ReceiptRecorder() override;
    ReceiptRecorder(const ReceiptRecorder&) = delete;
    ReceiptRecorder& operator=(const ReceiptRecorder&) = delete;

    void record(const ledger::SignedDeliveryReceipt& receipt, ReceiptRecorded done) override;
    // Persists what is queued, completes it, joins the thread; later records complete with
    // `busy`. Idempotent.
    void stop();
    ReceiptRecorderStats stats() const;

private:
    struct Waiting {
        ledger::SignedDeliveryReceipt receipt;
        ReceiptRecorded done;
    };
    void run();

    PersistReceipts m_persist;
    ReceiptRecorderOptions m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Waiting> m_queue;
    bool m_stopping = false;
    ReceiptRecorderStats m_stats;
    std::thread m_thread;  // last: started once the rest is built
};

}  // namespace fleek::edge::handshake
