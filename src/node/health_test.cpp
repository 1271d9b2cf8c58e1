// When a node reports itself unhealthy (health.h, issue 15): before, /health answered OK as long
// as the process ran, whatever the runtime did.
#include "node/health.h"

#include <gtest/gtest.h>

namespace fleek::node {
namespace {

constexpr HealthLimits limits{.stall_ms = 60'000, .behind_blocks_max = 64};

HealthInputs running_at(uint64_t now_ms) {
    HealthInputs in;
    in.now_ms = now_ms;
    in.last_progress_ms = 0;
    in.height = 100;
    in.verified_height = 100;
    return in;
}

TEST(Health, AQuietNetworkIsHealthy) {
    EXPECT_TRUE(evaluate_health(running_at(10 * 60'000), limits).healthy);
}

TEST(Health, AStoppedRuntimeIsUnhealthyWithItsReason) {
    HealthInputs in = running_at(1000);
    in.running = false;
    in.failure = "executing a block: storage";
    const rpc::Health health = evaluate_health(in, limits);
    EXPECT_FALSE(health.healthy);
    EXPECT_EQ(health.reason, "runtime stopped: executing a block: storage");
}

TEST(Health, NoBlockWhileTransactionsWaitIsAStall) {
    HealthInputs in = running_at(59'999);
    in.pending_transactions = 3;
    EXPECT_TRUE(evaluate_health(in, limits).healthy);  // not long enough yet
    in.now_ms = 60'000;
    const rpc::Health health = evaluate_health(in, limits);
    EXPECT_FALSE(health.healthy);
    EXPECT_EQ(health.reason, "stalled: no new block for 60 s (height 100) while 3 transactions wait to execute");
}

TEST(Health, NoBlockWhilePeersAreAheadIsAStall) {
    HealthInputs in = running_at(61'000);
    in.verified_height = 103;
    const rpc::Health health = evaluate_health(in, limits);
    EXPECT_FALSE(health.healthy);
    EXPECT_EQ(health.reason, "stalled: no new block for 61 s (height 100) while peers certified height 103");
    in.last_progress_ms = 30'000;  // catching up
    EXPECT_TRUE(evaluate_health(in, limits).healthy);
}

TEST(Health, FarBehindPeersIsUnhealthyAtOnce) {
    HealthInputs in = running_at(1000);
    in.last_progress_ms = 1000;
    in.verified_height = 164;
    EXPECT_TRUE(evaluate_health(in, limits).healthy);
    in.verified_height = 165;
    const rpc::Health health = evaluate_health(in, limits);
    EXPECT_FALSE(health.healthy);
    EXPECT_EQ(health.reason, "far behind peers: at height 100, a certified block at height 165 (65 behind, more than 64)");
}

}  // namespace
}  // namespace fleek::node
