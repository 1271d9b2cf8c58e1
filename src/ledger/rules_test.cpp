// The pure rules of the ledger: committee selection PRNG, rewards, reputation.
#include "ledger/prng.h"
#include "ledger/reputation.h"
#include "ledger/rewards.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>

namespace fleek::ledger {
namespace {

// ---- PRNG ----------------------------------------------------------------------------------------

TEST(Prng, ChaCha20KeystreamMatchesRfc8439) {
    // RFC 8439 Appendix A.1, test vectors #1 and #2: all-zero key and nonce, blocks 0 and 1.
    ChaCha20Stream stream(Hash32{});
    Bytes block(128);
    stream.fill(block);
    EXPECT_EQ(hex_encode(ByteSpan(block).first(64)),
              "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
              "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
    EXPECT_EQ(hex_encode(ByteSpan(block).subspan(64)),
              "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
              "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f");
}

// The vector in docs/formats/ledger-state.md, computed independently with Python's
// `cryptography` ChaCha20 by tests/vectors/ledger/committee_vector.py.
TEST(Prng, CommitteeSelectionVector) {
    Hash32 seed{};
    std::iota(seed.begin(), seed.end(), uint8_t{0});
    ChaCha20Stream stream(seed);
    EXPECT_EQ(stream.next_u64(), 7645359380336737593ull);
    std::vector<NodeIndex> items{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    ChaCha20Stream shuffle_stream(seed);
    fisher_yates_shuffle(items, shuffle_stream);
    EXPECT_EQ(items, (std::vector<NodeIndex>{6, 0, 8, 4, 1, 5, 9, 2, 7, 3}));
    EXPECT_EQ(select_committee({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 4, seed), (std::vector<NodeIndex>{0, 4, 6, 8}));
    // Input order does not matter; a set no larger than the committee is taken whole.
    EXPECT_EQ(select_committee({9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, 4, seed), (std::vector<NodeIndex>{0, 4, 6, 8}));
    EXPECT_EQ(select_committee({5, 3}, 4, seed), (std::vector<NodeIndex>{3, 5}));
}

TEST(Prng, UniformIsInRangeAndCoversIt) {
    ChaCha20Stream stream(Hash32{});
    std::map<uint64_t, int> counts;
    for (int i = 0; i < 6000; ++i) ++counts[stream.uniform(6)];
    ASSERT_EQ(counts.size(), 6u);
    for (const auto& [value, count] : counts) {
        EXPECT_LT(value, 6u);
        EXPECT_GT(count, 850);  // expected 1000 each
        EXPECT_LT(count, 1150);
    }
    EXPECT_EQ(stream.uniform(1), 0u);
}

// ---- rewards -----------------------------------------------------------------------------------

AddressBytes address(uint8_t fill) {
    AddressBytes out{};
    out.fill(fill);
    return out;
}

TEST(Rewards, BoostGrowsWithTheLockUpToMaxBoost) {
    ProtocolParams params;
    params.max_boost = 4;
    params.max_stake_lock_time_epochs = 100;
    EXPECT_EQ(stake_boost_milli(params, 10, 0), 1000u);
    EXPECT_EQ(stake_boost_milli(params, 10, 10), 1000u);
    EXPECT_EQ(stake_boost_milli(params, 10, 60), 2500u);
    EXPECT_EQ(stake_boost_milli(params, 10, 110), 4000u);
    EXPECT_EQ(stake_boost_milli(params, 10, 5000), 4000u);
}

TEST(Rewards, PlanPaysEverythingAndMintsExactlyTheEmission) {
    ProtocolParams params;
    params.max_inflation_bps = 1000;
    params.epochs_per_year = 365;
    params.node_share_percent = 70;
    params.service_builder_share_percent = 20;
    const U256 supply = U256(1'000'000) * flk_unit();
    const std::vector<NodeRevenue> nodes{{1, address(1), 333, 0}, {2, address(2), 667, 50}};
    const std::vector<ServiceRevenueEntry> services{{0, address(9), 900}, {1, std::nullopt, 100}};
    const RewardPlan plan = plan_rewards(params, 0, supply, supply, 1000, nodes, services, address(7));
    const U256 emission = supply * 1000 / 10'000 / 365;
    EXPECT_EQ(plan.flk_minted, emission);
    EXPECT_EQ(epoch_emission(params, supply, supply), emission);
    EXPECT_EQ(plan.stables_paid, U256(1000));
    ASSERT_EQ(plan.payouts.size(), 4u);  // two nodes, one service with an owner, the fund
    U256 flk = 0;
    U256 stables = 0;
    for (const Payout& p : plan.payouts) {
        flk += p.flk;
        stables += p.stables;
    }
    EXPECT_EQ(flk, emission);
    EXPECT_EQ(stables, U256(1000));
    EXPECT_EQ(plan.payouts[0].stables, U256(333 * 70 / 100));
    EXPECT_EQ(plan.payouts[1].stables, U256(667 * 70 / 100));
    EXPECT_EQ(plan.payouts[2].to, address(9));
    EXPECT_EQ(plan.payouts[2].stables, U256(180));
    EXPECT_EQ(plan.payouts[2].flk, emission * 20 / 100 * 900 / 1000);
    EXPECT_EQ(plan.payouts[3].to, address(7));
    // Node 2 locked for 50 epochs gets a boost: its FLK share beats its revenue share.
    EXPECT_GT(plan.payouts[1].flk * 333, plan.payouts[0].flk * 667);
}

// Amounts near 2^256 (a governance Mint can create them): every product that wrapped in 256-bit
// arithmetic is exact now. The expected values come from unbounded integers (cpp_int) applying
// the documented formulas, so they do not share the code's intermediate widths.
TEST(Rewards, HugeAmountsDoNotWrap) {
    using Big = boost::multiprecision::cpp_int;
    ProtocolParams params;
    params.max_inflation_bps = 1000;
    params.epochs_per_year = 365;
    params.node_share_percent = 80;
    params.service_builder_share_percent = 10;
    params.max_boost = 4;
    params.max_stake_lock_time_epochs = 100;
    const U256 max = ~U256(0);
    const U256 year_start = max - 12345;  // × 1000 bps wrapped before
    const U256 supply = U256(1) << 200;   // room for the whole emission
    const U256 pool = (U256(1) << 255) + 77;
    const U256 revenue1 = (U256(1) << 254) + 5;  // × a boost of up to 4000 wrapped before
    const U256 revenue2 = pool - revenue1;
    const std::vector<NodeRevenue> nodes{{1, address(1), revenue1, 0}, {2, address(2), revenue2, 100}};
    const std::vector<ServiceRevenueEntry> services{{0, address(9), pool - 1}, {1, address(8), U256(1)}};
    const RewardPlan plan = plan_rewards(params, 0, year_start, supply, pool, nodes, services, address(7));

    const Big emission = Big(year_start) * 1000 / 10'000 / 365;
    ASSERT_EQ(Big(plan.flk_minted), emission);
    const Big node_emission = emission * 80 / 100;
    const Big service_emission = emission * 10 / 100;
    const Big w1 = Big(revenue1) * 1000;
    const Big w2 = Big(revenue2) * 4000;  // locked for the whole max lock: boost 4×
    ASSERT_EQ(plan.payouts.size(), 5u);
    EXPECT_EQ(Big(plan.payouts[0].flk), node_emission * w1 / (w1 + w2));
    EXPECT_EQ(Big(plan.payouts[1].flk), node_emission * w2 / (w1 + w2));
    EXPECT_EQ(Big(plan.payouts[0].stables), Big(revenue1) * 80 / 100);
    EXPECT_EQ(Big(plan.payouts[1].stables), Big(revenue2) * 80 / 100);
    EXPECT_EQ(Big(plan.payouts[2].flk), service_emission * Big(pool - 1) / Big(pool));
    EXPECT_EQ(Big(plan.payouts[2].stables), Big(pool - 1) * 10 / 100);
    EXPECT_EQ(Big(plan.payouts[3].flk), service_emission * 1 / Big(pool));
    Big flk = 0;
    Big stables = 0;
    for (const Payout& p : plan.payouts) {
        flk += Big(p.flk);
        stables += Big(p.stables);
    }
    EXPECT_EQ(flk, emission);
    EXPECT_EQ(stables, Big(pool));
}

TEST(Rewards, EmissionStopsAtTheLargestSupply) {
    ProtocolParams params;
    params.max_inflation_bps = 10'000;
    params.epochs_per_year = 1;
    const U256 max = ~U256(0);
    // A full year's emission would take the supply past 2^256 − 1: only the headroom is minted.
    EXPECT_EQ(epoch_emission(params, max - 10, max - 10), U256(10));
    EXPECT_EQ(epoch_emission(params, max, max), U256(0));
    EXPECT_EQ(epoch_emission(params, U256(1000), U256(5000)), U256(1000));
    const RewardPlan plan = plan_rewards(params, 0, max - 10, max - 10, 50, {{1, address(1), 50, 0}}, {}, address(7));
    EXPECT_EQ(plan.flk_minted, U256(10));
}

TEST(Rewards, EmptyPoolPaysNothing) {
    const RewardPlan plan = plan_rewards(ProtocolParams{}, 0, U256(1) << 100, U256(1) << 100, 0, {}, {}, address(7));
    EXPECT_TRUE(plan.payouts.empty());
    EXPECT_EQ(plan.flk_minted, U256(0));
}

// ---- reputation ----------------------------------------------------------------------------------

Measurements measure(uint32_t latency, int64_t interactions, uint8_t uptime) {
    Measurements m;
    m.latency_ms = latency;
    m.interactions = static_cast<uint64_t>(interactions);
    m.uptime_percent = uptime;
    m.bytes_sent = 1000;
    return m;
}

TEST(Reputation, DefaultWeightIsThe15thPercentile) {
    EXPECT_EQ(default_reputation({}), 15);
    std::map<NodeIndex, uint8_t> scores;
    for (NodeIndex i = 0; i < 20; ++i) scores[i] = static_cast<uint8_t>(i * 5);
    EXPECT_EQ(default_reputation(scores), 15);  // sorted[20 * 15 / 100 = 3] = 15
    scores = {{1, 90}, {2, 40}};
    EXPECT_EQ(default_reputation(scores), 40);
}

TEST(Reputation, BetterMeasurementsGiveBetterScores) {
    ReputationInputs inputs;
    inputs.min_num_measurements = 2;
    inputs.trust_weight_percent = 0;
    // Node 1 is fast and up; node 2 slow, half down; both measured by nodes 3, 4 and 5.
    for (const NodeIndex reporter : {3u, 4u, 5u}) {
        inputs.reports.push_back(ReportInput{1, reporter, measure(10, 20, 100)});
        inputs.reports.push_back(ReportInput{2, reporter, measure(300, -5, 50)});
    }
    std::sort(inputs.reports.begin(), inputs.reports.end(),
              [](const ReportInput& a, const ReportInput& b) { return std::pair(a.target, a.reporter) < std::pair(b.target, b.reporter); });
    const auto updates = compute_reputation(inputs);
    std::map<NodeIndex, ReputationUpdate> by_node;
    for (const auto& u : updates) by_node[u.node] = u;
    ASSERT_TRUE(by_node[1].measured.has_value());
    ASSERT_TRUE(by_node[2].measured.has_value());
    // Node 1: best on latency, interactions, uptime (bytes equal: that metric drops out).
    EXPECT_EQ(*by_node[1].measured, 100);
    EXPECT_EQ(*by_node[2].measured, 16);  // only uptime 0.5 of three terms: 50 / 3
    EXPECT_EQ(by_node[2].uptime_percent, std::optional<uint8_t>(50));
    // stored = (7 × default 15 + 3 × new) / 10.
    EXPECT_EQ(by_node[1].score, (7 * 15 + 3 * 100) / 10);
    EXPECT_EQ(by_node[2].score, (7 * 15 + 3 * 16) / 10);
    // Reporters without measurements of their own decay toward 0 from the default.
    EXPECT_EQ(by_node[3].score, (7 * 15) / 10);
    EXPECT_FALSE(by_node[3].measured.has_value());
}

TEST(Reputation, OutliersAreDropped) {
    ReputationInputs inputs;
    inputs.min_num_measurements = 1;
    inputs.trust_weight_percent = 0;
    // Eleven honest reports of uptime 100 and one liar reporting 0 about node 1; node 2 gets
    // honest 0s. Without outlier removal node 1's uptime would be ≈ 91.
    for (NodeIndex r = 10; r < 21; ++r) inputs.reports.push_back(ReportInput{1, r, measure(10, 1, 100)});
    inputs.reports.push_back(ReportInput{1, 21, measure(10, 1, 0)});
    const auto updates = compute_reputation(inputs);
    bool found = false;
    for (const auto& u : updates) {
        if (u.node != 1) continue;
        found = true;
        EXPECT_EQ(u.uptime_percent, std::optional<uint8_t>(100));
    }
    EXPECT_TRUE(found);
}

TEST(Reputation, EigenTrustFollowsTheTrustOfThePreTrusted) {
    // 0 is pre-trusted and vouches for 1; 1 vouches for 2; 3 and 4 vouch only for each other.
    std::vector<ReportInput> reports;
    const auto vouch = [&](NodeIndex from, NodeIndex to, int64_t amount) {
        Measurements m;
        m.interactions = static_cast<uint64_t>(amount);
        reports.push_back(ReportInput{to, from, m});
    };
    vouch(0, 1, 10);
    vouch(1, 2, 10);
    vouch(3, 4, 100);
    vouch(4, 3, 100);
    vouch(2, 3, -50);  // negative interactions give no trust
    const auto trust = eigentrust(reports, {0, 1, 2, 3, 4}, {0});
    uint64_t total = 0;
    for (const auto& [node, t] : trust) total += t;
    EXPECT_LE(total, trust_scale);
    EXPECT_GT(total, trust_scale - 1000);  // truncation loses a little mass, never gains
    EXPECT_GT(trust.at(1), trust.at(3));  // the colluding pair gets nothing from the trusted
    EXPECT_GT(trust.at(2), trust.at(4));
    EXPECT_EQ(trust.at(3), 0u);
    EXPECT_EQ(trust.at(4), 0u);
    // Deterministic: the same inputs give the same vector.
    EXPECT_EQ(trust, eigentrust(reports, {0, 1, 2, 3, 4}, {0}));
}

TEST(Reputation, TrustWeightBlendsEigenTrustIntoTheScore) {
    ReputationInputs inputs;
    inputs.min_num_measurements = 1;
    inputs.trust_weight_percent = 100;  // trust only
    inputs.pre_trusted = {0};
    Measurements m;
    m.interactions = 10;
    inputs.reports.push_back(ReportInput{1, 0, m});
    const auto updates = compute_reputation(inputs);
    ASSERT_EQ(updates.size(), 2u);
    // Node 0 gives all its trust to node 1, which has no one to pass it to (it returns to the
    // pre-trusted): t1 oscillates toward 0.85 · t0 with t0 = 0.15 + 0.85 · t1 (≈ 0.46).
    EXPECT_GT(updates[1].trust, trust_scale * 30 / 100);
    EXPECT_LT(updates[1].trust, trust_scale * 60 / 100);
    EXPECT_FALSE(updates[1].measured.has_value());  // one metric over one node: no measured score
    const uint64_t trust_score = std::min<uint64_t>(100, updates[1].trust * 2 * 50 / trust_scale);
    EXPECT_EQ(updates[1].score, (7 * 15 + 3 * trust_score) / 10);
}

}  // namespace
}  // namespace fleek::ledger
