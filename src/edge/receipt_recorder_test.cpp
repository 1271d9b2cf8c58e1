// ReceiptRecorder: receipts handed over while a batch is being persisted wait and go together in
// the next one (group commit); completions report each receipt's own result; bounds and stop.
#include "edge/handshake_fixture_test.h"
#include "edge/receipt_recorder.h"

#include <atomic>
#include <chrono>

namespace fleek::edge::handshake {
namespace {

using namespace testing;

ledger::SignedDeliveryReceipt receipt(uint64_t amount) {
    ledger::DeliveryReceipt r{NodeFixture::chain_id, node_key().public_key().bytes(), 0, session_id(0x5e), 3, amount};
    return ledger::sign_delivery_receipt(r, client_key());
}

// `persist` that blocks until released, and records each batch's amounts.
struct GatedPersist {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = false;
    bool blocked = false;
    std::vector<std::vector<uint64_t>> batches;
    uint64_t refuse_amount = 0;  // this amount fails to persist

    PersistReceipts function() {
        return [this](std::span<const ledger::SignedDeliveryReceipt> receipts) {
            std::unique_lock lock(mutex);
            blocked = true;
            changed.notify_all();
            changed.wait(lock, [this] { return open; });
            blocked = false;
            std::vector<uint64_t> amounts;
            std::vector<Result<void, ReceiptSinkError>> out;
            for (const auto& r : receipts) {
                amounts.push_back(r.receipt.amount);
                out.push_back(r.receipt.amount == refuse_amount ? Result<void, ReceiptSinkError>(fail(ReceiptSinkError::not_stored))
                                                                : Result<void, ReceiptSinkError>());
            }
            batches.push_back(amounts);
            return out;
        };
    }
    void wait_blocked() {
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return blocked; });
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        changed.notify_all();
    }
};

struct Completions {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<uint64_t, std::optional<ReceiptSinkError>> results;  // amount → error (nullopt: ok)
    ReceiptRecorded done(uint64_t amount) {
        return [this, amount](Result<void, ReceiptSinkError> result) {
            std::lock_guard lock(mutex);
            results[amount] = result ? std::nullopt : std::optional(result.error());
            changed.notify_all();
        };
    }
    bool wait_for(size_t count) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(20), [&] { return results.size() >= count; });
    }
};

TEST(ReceiptRecorder, ReceiptsThatArriveDuringAPersistGoTogetherInTheNextBatch) {
    GatedPersist persist;
    persist.refuse_amount = 4;
    Completions completions;
    ReceiptRecorder recorder(persist.function());
    recorder.record(receipt(1), completions.done(1));
    persist.wait_blocked();  // the first batch (one receipt) is being persisted
    for (uint64_t amount = 2; amount <= 6; ++amount) recorder.record(receipt(amount), completions.done(amount));
    {
        std::lock_guard lock(completions.mutex);
        EXPECT_TRUE(completions.results.empty());  // nothing completes before its persist returns
    }
    persist.release();
    ASSERT_TRUE(completions.wait_for(6));
    recorder.stop();
    EXPECT_EQ(persist.batches, (std::vector<std::vector<uint64_t>>{{1}, {2, 3, 4, 5, 6}}));
    for (uint64_t amount = 1; amount <= 6; ++amount) {
        EXPECT_EQ(completions.results.at(amount), amount == 4 ? std::optional(ReceiptSinkError::not_stored) : std::nullopt) << amount;
    }
    EXPECT_EQ(recorder.stats().batches, 2u);
    EXPECT_EQ(recorder.stats().receipts, 6u);
}

TEST(ReceiptRecorder, AFullQueueAndAStoppedRecorderCompleteWithBusyAndStopPersistsWhatWaits) {
    GatedPersist persist;
    Completions completions;
    ReceiptRecorder recorder(persist.function(), ReceiptRecorderOptions{.queue_max = 2});
    recorder.record(receipt(1), completions.done(1));
    persist.wait_blocked();
    recorder.record(receipt(2), completions.done(2));
    recorder.record(receipt(3), completions.done(3));
    recorder.record(receipt(4), completions.done(4));  // over queue_max: refused at once
    ASSERT_TRUE(completions.wait_for(1));
    EXPECT_EQ(completions.results.at(4), ReceiptSinkError::busy);
    persist.release();
    recorder.stop();  // waits for 2 and 3 to be persisted
    EXPECT_EQ(persist.batches, (std::vector<std::vector<uint64_t>>{{1}, {2, 3}}));
    recorder.record(receipt(5), completions.done(5));
    ASSERT_TRUE(completions.wait_for(5));
    for (uint64_t amount = 1; amount <= 3; ++amount) EXPECT_EQ(completions.results.at(amount), std::nullopt) << amount;
    EXPECT_EQ(completions.results.at(5), ReceiptSinkError::busy);
    EXPECT_EQ(recorder.stats().refused_busy, 2u);
}

}  // namespace
}  // namespace fleek::edge::handshake
