// The JSON-RPC rate limit's token buckets (rate_limiter.h), with the time as input.
#include "rpc/rate_limiter.h"

#include <gtest/gtest.h>

namespace fleek::rpc {
namespace {

TEST(RateLimiter, ABurstThenTheRate) {
    RateLimiter limiter({.per_second = 10, .burst = 5, .addresses_max = 100});
    for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.take("10.0.0.1", 1, 1000), 0u) << i;
    // Empty: one token comes back every 100 ms.
    EXPECT_EQ(limiter.take("10.0.0.1", 1, 1000), 100u);
    EXPECT_EQ(limiter.take("10.0.0.1", 1, 1050), 50u);
    EXPECT_EQ(limiter.take("10.0.0.1", 1, 1100), 0u);
    EXPECT_EQ(limiter.take("10.0.0.1", 2, 1100), 200u);  // refused: nothing is taken
    EXPECT_EQ(limiter.take("10.0.0.1", 2, 1300), 0u);
    // Another address has its own bucket.
    EXPECT_EQ(limiter.take("10.0.0.2", 5, 1300), 0u);
    // A long pause refills to the burst, no further.
    EXPECT_EQ(limiter.take("10.0.0.1", 5, 1'000'000), 0u);
    EXPECT_EQ(limiter.take("10.0.0.1", 1, 1'000'000), 100u);
}

TEST(RateLimiter, ABatchLargerThanTheBurstWaitsForAFullBucket) {
    RateLimiter limiter({.per_second = 10, .burst = 5, .addresses_max = 100});
    EXPECT_EQ(limiter.take("a", 1, 0), 0u);
    EXPECT_EQ(limiter.take("a", 50, 0), 100u);  // counted as 5: one token short
    EXPECT_EQ(limiter.take("a", 50, 100), 0u);
}

TEST(RateLimiter, OffWhenTheRateIsZero) {
    RateLimiter limiter({.per_second = 0, .burst = 0, .addresses_max = 1});
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.take("a", 100, 0), 0u);
    EXPECT_EQ(limiter.addresses(), 0u);
}

TEST(RateLimiter, TheTableOfAddressesIsBounded) {
    RateLimiter limiter({.per_second = 1, .burst = 2, .addresses_max = 3});
    for (int i = 0; i < 100; ++i) {
        (void)limiter.take("client-" + std::to_string(i), 2, static_cast<uint64_t>(i));
        EXPECT_LE(limiter.addresses(), 3u);
    }
    // An address that drained its bucket stays limited while newer addresses come and go,
    // as long as it is not the least recently used one.
    RateLimiter kept({.per_second = 1, .burst = 2, .addresses_max = 2});
    EXPECT_EQ(kept.take("flooder", 2, 0), 0u);
    EXPECT_GT(kept.take("flooder", 1, 10), 0u);
    EXPECT_EQ(kept.take("other", 1, 20), 0u);
    EXPECT_GT(kept.take("flooder", 1, 30), 0u);
}

}  // namespace
}  // namespace fleek::rpc
