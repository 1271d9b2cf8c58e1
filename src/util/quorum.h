// Byzantine fault-tolerance thresholds of a committee whose members carry integer weights
// (stake; one unit per member when stake is equal). The one definition every user shares: block
// certificates and the beacon (ledger), header parents, votes, batch acknowledgements and the
// leader's support (consensus).
//
// With total weight T > 0 the protocols tolerate faulty members of total weight at most
//
//     f = ⌊(T − 1)/3⌋            (the largest f with 3f < T)
//
// and use
//
//     quorum   q = T − f = ⌊2T/3⌋ + 1
//     validity v = f + 1
//
// These are the only values that satisfy all of:
//   - liveness: the members outside any faulty set reach a quorum (q ≤ T − f);
//   - safety: two quorums share more than f weight, hence an honest member (2q − T > f);
//   - a quorum and a validity set always share a member (q + v > T), which Bullshark's commit
//     rule needs (a leader with v support is on a path from every later quorum of parents);
//   - a validity set holds an honest member (v > f).
// Equal weights give q = ⌊2n/3⌋ + 1: 1, 2, 3, 3, 4, 5, 5, 6, 7, 7 for n = 1 … 10.
// A committee of total weight 0 has no quorum: the thresholds are 1, which no signer set reaches.
#pragma once

#include <cstdint>

namespace fleek {

constexpr uint64_t max_faulty_weight(uint64_t total_weight) noexcept {
    return total_weight == 0 ? 0 : (total_weight - 1) / 3;
}

// Computed as T − f so that it cannot overflow for any 64-bit total.
constexpr uint64_t quorum_weight(uint64_t total_weight) noexcept {
    return total_weight == 0 ? 1 : total_weight - max_faulty_weight(total_weight);
}

constexpr uint64_t validity_weight(uint64_t total_weight) noexcept { return max_faulty_weight(total_weight) + 1; }

}  // namespace fleek
