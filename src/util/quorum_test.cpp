// The shared quorum thresholds against their definition, not against a formula: for small
// committees every subset is enumerated and the properties a BFT quorum must have are checked.
#include "util/quorum.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace fleek {
namespace {

// The largest faulty weight the committee tolerates: the heaviest f with 3f < T (a faulty set
// holds less than a third of the weight), found by search rather than by formula.
uint64_t tolerated_faults(uint64_t total) {
    uint64_t f = 0;
    while (3 * (f + 1) < total) ++f;
    return f;
}

// Every threshold q in [1, T] that satisfies the definition for faulty weight f:
//   liveness      q ≤ T − f     (the honest members alone reach it)
//   intersection  2q − T > f    (two quorums share an honest member)
//   validity      q + (f + 1) > T  (a quorum meets every set of more than f weight)
std::vector<uint64_t> admissible_quorums(uint64_t total) {
    const uint64_t f = tolerated_faults(total);
    std::vector<uint64_t> out;
    for (uint64_t q = 1; q <= total; ++q) {
        const bool live = q + f <= total;
        const bool intersect = 2 * q > total + f;
        const bool meets_validity = q + f + 1 > total;
        if (live && intersect && meets_validity) out.push_back(q);
    }
    return out;
}

TEST(Quorum, EqualWeightsOneToTenMatchTheDefinition) {
    // Written from the definition above (n = 3f + 1 gives 2f + 1; n = 3 needs all three).
    const uint64_t expected_quorum[] = {1, 2, 3, 3, 4, 5, 5, 6, 7, 7};
    const uint64_t expected_validity[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4};
    for (uint64_t n = 1; n <= 10; ++n) {
        SCOPED_TRACE(n);
        EXPECT_EQ(admissible_quorums(n), std::vector<uint64_t>{expected_quorum[n - 1]});
        EXPECT_EQ(quorum_weight(n), expected_quorum[n - 1]);
        EXPECT_EQ(validity_weight(n), expected_validity[n - 1]);
        EXPECT_EQ(max_faulty_weight(n), tolerated_faults(n));
        EXPECT_EQ(quorum_weight(n), n * 2 / 3 + 1);  // the familiar spelling agrees
    }
}

TEST(Quorum, AdmissibleThresholdIsUniqueForAnyTotal) {
    for (uint64_t total = 1; total <= 300; ++total) {
        SCOPED_TRACE(total);
        EXPECT_EQ(admissible_quorums(total), std::vector<uint64_t>{quorum_weight(total)});
        EXPECT_EQ(validity_weight(total), tolerated_faults(total) + 1);
    }
}

// Every subset of `weights` as a bitmask, with its weight.
uint64_t subset_weight(const std::vector<uint64_t>& weights, uint32_t mask) {
    uint64_t sum = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
        if (mask & (1u << i)) sum += weights[i];
    }
    return sum;
}

TEST(Quorum, UnequalStakesKeepSafetyAndLivenessForEverySubset) {
    struct Case {
        std::vector<uint64_t> weights;
        uint64_t quorum;    // by hand: T − f with f the largest integer below T/3
        uint64_t validity;  // f + 1
    };
    const std::vector<Case> cases{
        {{10, 20, 30, 40}, 67, 34},   // T = 100, f = 33
        {{5, 1, 1, 1, 1, 1}, 7, 4},   // T = 10, f = 3: the heavy member alone is not a quorum
        {{1000, 1, 1, 1}, 669, 335},  // T = 1003, f = 334: more than 2/3 of the stake decides
        {{3, 3, 3}, 7, 3},            // T = 9, f = 2: all three members are needed
        {{2, 2, 2, 3}, 7, 3},         // T = 9, f = 2
        {{1, 2, 3, 4, 5, 6, 7}, 19, 10},  // T = 28, f = 9
    };
    for (const Case& c : cases) {
        uint64_t total = 0;
        for (const uint64_t w : c.weights) total += w;
        SCOPED_TRACE(total);
        const uint64_t q = quorum_weight(total);
        const uint64_t f = max_faulty_weight(total);
        EXPECT_EQ(q, c.quorum);
        EXPECT_EQ(validity_weight(total), c.validity);
        const uint32_t subsets = 1u << c.weights.size();
        for (uint32_t a = 0; a < subsets; ++a) {
            const uint64_t wa = subset_weight(c.weights, a);
            // Liveness: whoever is not faulty (weight ≤ f) still reaches a quorum.
            if (wa <= f) {
                EXPECT_GE(total - wa, q) << "faulty set " << a;
            }
            for (uint32_t b = 0; b < subsets; ++b) {
                const uint64_t wb = subset_weight(c.weights, b);
                const uint64_t shared = subset_weight(c.weights, a & b);
                // Safety: two quorums share more than any tolerated faulty weight.
                if (wa >= q && wb >= q) {
                    EXPECT_GT(shared, f) << a << " " << b;
                }
                // A quorum meets every validity set.
                if (wa >= q && wb >= validity_weight(total)) {
                    EXPECT_GT(shared, 0u) << a << " " << b;
                }
            }
        }
    }
}

TEST(Quorum, EmptyAndHugeTotals) {
    EXPECT_EQ(quorum_weight(0), 1u);  // nothing reaches it
    EXPECT_EQ(validity_weight(0), 1u);
    constexpr uint64_t max = std::numeric_limits<uint64_t>::max();
    const uint64_t f = (max - 1) / 3;
    EXPECT_EQ(max_faulty_weight(max), f);
    EXPECT_EQ(quorum_weight(max), max - f);  // no overflow of 2T
    EXPECT_GT(quorum_weight(max) - (max - quorum_weight(max)), f);  // 2q − T > f, written without overflow
}

}  // namespace
}  // namespace fleek
