// Reputation scores, computed at each epoch change from the measurements nodes submitted
// (lightning.md §6.2 in integer arithmetic, plus EigenTrust; docs/formats/ledger-state.md
// §Reputation). Everything is a pure function of its inputs: no floating point.
//
// Measured score of node v (needs at least min_num_measurements reports about v):
//   1. each report is weighted by its reporter's current score (reporters without one: the
//      15th-percentile score, or 15 when no node has a score);
//   2. per metric: for latency with more than one sample the weights are inverted
//      (w' = Σw − w), so well-reputed reporters' low latencies are not overweighted; all-zero
//      weights become uniform;
//   3. outliers removed: a value with (v − mean)² ≥ 9 × sample variance is dropped;
//   4. metric value = Σ v·w / Σ w over the values kept, in fixed point (× 10^6);
//   5. across the scored nodes each metric is min–max normalised to [0, 10^6] (absent when
//      max = min); uptime is divided by 100 instead;
//   6. measured = mean of the present terms among {1 − latency, interactions, inbound,
//      outbound, bytes received, bytes sent, uptime} × 100; fewer than 3 terms: no score.
// EigenTrust over the nodes that reported or were reported, plus the pre-trusted set:
//   local trust c_ij = max(interactions_ij, 0) / Σ_j max(interactions_ij, 0) (rows without
//   positive interactions follow the pre-trusted distribution p, uniform over the genesis
//   committee); t ← 0.85 · Cᵀ t + 0.15 · p, 10 iterations from t = p, fixed point 10^9 = 1;
//   trust score = min(100, t_v × n × 50) (a node with the average trust gets 50).
// Combined: new = (measured × (100 − β) + trust score × β) / 100 with β = trust_weight_percent
// (a missing measured score counts 0); stored = (7 × old + 3 × new) / 10 where old is the
// node's score or the default. Nodes without new data decay toward 0.
#pragma once

#include "ledger/types.h"

#include <map>
#include <vector>

namespace fleek::ledger {

inline constexpr uint64_t trust_scale = 1'000'000'000;
inline constexpr int eigentrust_iterations = 10;
inline constexpr uint64_t eigentrust_alpha_percent = 15;
inline constexpr uint8_t uptime_participation_min = 40;

struct ReportInput {
    NodeIndex target = 0;
    NodeIndex reporter = 0;
    Measurements measurements;
};

struct ReputationInputs {
    std::vector<ReportInput> reports;          // sorted by (target, reporter)
    std::map<NodeIndex, uint8_t> old_scores;   // nodes that have a score
    std::vector<NodeIndex> pre_trusted;        // sorted
    uint32_t min_num_measurements = 1;
    uint8_t trust_weight_percent = 0;
};

struct ReputationUpdate {
    NodeIndex node = 0;
    uint8_t score = 0;
    std::optional<uint8_t> measured;        // the step-6 score, when there was one
    std::optional<uint8_t> uptime_percent;  // aggregated uptime, when reported
    uint64_t trust = 0;
};

// One update per node that has a score or appears in a report, sorted by node.
std::vector<ReputationUpdate> compute_reputation(const ReputationInputs& inputs);

// The weight of a reporter without a score: the 15th-percentile score, or 15.
uint8_t default_reputation(const std::map<NodeIndex, uint8_t>& scores);

// The EigenTrust global trust vector (fixed point, trust_scale = 1) over `nodes` (sorted).
std::map<NodeIndex, uint64_t> eigentrust(const std::vector<ReportInput>& reports, const std::vector<NodeIndex>& nodes,
                                         const std::vector<NodeIndex>& pre_trusted);

}  // namespace fleek::ledger
