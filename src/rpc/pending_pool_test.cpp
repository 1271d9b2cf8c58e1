// The pending transactions of a node by sender and nonce (pending_pool.h): the pending nonce a
// client signs with, the refusals of a taken nonce and of a nonce too far ahead, and every way an
// entry leaves (receipt, committed nonce, time, forget).
#include "rpc/pending_pool.h"

#include <gtest/gtest.h>

#include <set>

namespace fleek::rpc {
namespace {

crypto::Hash32 digest_of(uint8_t n) {
    crypto::Hash32 digest{};
    digest[0] = n;
    return digest;
}

ledger::AccountSender account(uint8_t n) {
    ledger::AccountSender sender;
    sender.address[0] = n;
    return sender;
}

struct PoolTest : ::testing::Test {
    std::set<crypto::Hash32> receipts;
    PendingPool::HasReceipt has_receipt = [this](const crypto::Hash32& digest) { return receipts.count(digest) != 0; };
    PendingPool pool;
};

TEST_F(PoolTest, PendingNonceCountsConsecutiveTransactions) {
    const auto alice = account(1);
    EXPECT_EQ(pool.pending_nonce(alice, 7, 0, has_receipt).pending_nonce, 7u);
    for (uint8_t n = 8; n <= 12; ++n) {
        ASSERT_EQ(pool.admit(alice, n, digest_of(n), 7, 0, has_receipt).value(), PendingPool::Admitted::added);
    }
    const PendingNonce nonces = pool.pending_nonce(alice, 7, 0, has_receipt);
    EXPECT_EQ(nonces.nonce, 7u);
    EXPECT_EQ(nonces.pending_nonce, 12u);
    EXPECT_EQ(nonces.pending, 5u);
    // Another sender is unaffected.
    EXPECT_EQ(pool.pending_nonce(account(2), 0, 0, has_receipt).pending_nonce, 0u);
    // A gap stops the count: nonce 15 is pending but 13 and 14 are not.
    ASSERT_TRUE(pool.admit(alice, 15, digest_of(15), 7, 0, has_receipt));
    EXPECT_EQ(pool.pending_nonce(alice, 7, 0, has_receipt).pending_nonce, 12u);
    EXPECT_EQ(pool.pending_nonce(alice, 7, 0, has_receipt).pending, 6u);
}

TEST_F(PoolTest, ASecondTransactionWithAPendingNonceIsRefused) {
    const auto alice = account(1);
    ASSERT_TRUE(pool.admit(alice, 1, digest_of(1), 0, 0, has_receipt));
    auto second = pool.admit(alice, 1, digest_of(2), 0, 0, has_receipt);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), SubmitError::nonce_pending);
    // The same transaction again is not an error.
    EXPECT_EQ(pool.admit(alice, 1, digest_of(1), 0, 0, has_receipt).value(), PendingPool::Admitted::already_pending);
    EXPECT_EQ(pool.size(), 1u);
}

TEST_F(PoolTest, NoncesTooFarAheadOrUsedAreRefused) {
    const auto alice = account(1);
    auto ahead = pool.admit(alice, 10 + pool.options().nonce_ahead_max + 1, digest_of(1), 10, 0, has_receipt);
    ASSERT_FALSE(ahead);
    EXPECT_EQ(ahead.error(), SubmitError::nonce_too_far_ahead);
    EXPECT_TRUE(pool.admit(alice, 10 + pool.options().nonce_ahead_max, digest_of(2), 10, 0, has_receipt));
    auto used = pool.admit(alice, 10, digest_of(3), 10, 0, has_receipt);
    ASSERT_FALSE(used);
    EXPECT_EQ(used.error(), SubmitError::bad_nonce);
}

TEST_F(PoolTest, EntriesLeaveWithAReceiptTheCommittedNonceTimeOrForget) {
    const auto alice = account(1);
    for (uint8_t n = 1; n <= 4; ++n) ASSERT_TRUE(pool.admit(alice, n, digest_of(n), 0, 1000, has_receipt));
    // Nonce 1 executed: the committed nonce passed it.
    EXPECT_EQ(pool.pending_nonce(alice, 1, 1000, has_receipt).pending, 3u);
    // Nonce 2 was rejected when it executed (its receipt exists, its nonce is free again): the
    // pending nonce falls back to 1, and nonce 2 may be taken by another transaction.
    receipts.insert(digest_of(2));
    const PendingNonce after = pool.pending_nonce(alice, 1, 1000, has_receipt);
    EXPECT_EQ(after.pending_nonce, 1u);
    EXPECT_EQ(after.pending, 2u);
    EXPECT_EQ(pool.admit(alice, 2, digest_of(20), 1, 1000, has_receipt).value(), PendingPool::Admitted::added);
    // forget() drops one (it could not be relayed).
    pool.forget(digest_of(20));
    EXPECT_EQ(pool.pending_nonce(alice, 1, 1000, has_receipt).pending, 2u);
    // After ttl_ms everything is forgotten.
    EXPECT_EQ(pool.pending_nonce(alice, 1, 1000 + pool.options().ttl_ms, has_receipt).pending, 0u);
    EXPECT_EQ(pool.size(), 0u);
}

TEST(PendingPool, IsBoundedAndRefusesWhenFull) {
    PendingPool pool({.entries_max = 3, .ttl_ms = 1000, .nonce_ahead_max = 64});
    const PendingPool::HasReceipt none = [](const crypto::Hash32&) { return false; };
    for (uint8_t n = 1; n <= 3; ++n) ASSERT_TRUE(pool.admit(account(n), 1, digest_of(n), 0, 0, none));
    auto full = pool.admit(account(9), 1, digest_of(9), 0, 0, none);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error(), SubmitError::unavailable);
    EXPECT_TRUE(pool.admit(account(9), 1, digest_of(9), 0, 1000, none));  // the others expired
    EXPECT_EQ(pool.size(), 1u);
}

}  // namespace
}  // namespace fleek::rpc
