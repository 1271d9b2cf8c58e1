// Deterministic consensus simulator (src/sim/README.md): one thread, virtual time in
// microseconds, one seeded PRNG, N consensus::Node instances each with its own MemoryStore
// ("disk"), and a network model with per-link latency distributions, bandwidth, reordering,
// duplication and loss, scheduled partitions, crashes and restarts (optionally losing unsynced
// writes), staggered starts, clock skew and Byzantine nodes. A run ends with the checkers of
// consensus.md §7.6 (checkers.h); a failing run prints its seed, and the same seed reproduces it.
#pragma once

#include "consensus/node.h"
#include "consensus/parameters.h"
#include "consensus/types.h"
#include "crypto/hash.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fleek::sim {

using consensus::AuthorityIndex;
using consensus::TimeUs;

struct LinkModel {
    TimeUs latency_min_us = 1'000;
    TimeUs latency_max_us = 20'000;
    uint32_t tail_per_mille = 10;       // this share of messages takes an extra tail delay
    TimeUs tail_max_us = 200'000;
    uint64_t bandwidth_bytes_per_s = 100'000'000;
    uint32_t loss_per_mille = 0;        // dropped messages (the protocol re-sends)
    uint32_t duplicate_per_mille = 0;
};

enum class Byzantine : uint8_t {
    none,
    equivocate,             // different headers for one round to different peers
    bad_signatures,         // corrupted signatures, too few signers, old-epoch replays
    withhold_certificates,  // never sends its certificates, answers no certificate request
    far_future,             // validly signed headers and certificates far above the current round
    invalid_parents,        // headers with too few, wrong-round or duplicated-author parents
    vote_everything,        // votes for every header it sees, equivocations included
    silent,                 // sends nothing at all
    withhold_batches,       // never sends its batches: headers reference batches nobody else has
    junk_spam,              // also sends junk: random bytes, unsolicited responses, range requests, relayed headers
    cross_epoch_replay,     // answers requests with genuine certificates of the previous epoch first
    timestamp_abuse,        // its clock runs ahead (just under the drift bound, or an hour) and it
                            // sends a second header of each round dated at time 0
    slow_leader,            // its primary messages leave 150-450 ms late
    withhold_from_some,     // sends nothing at all to half of the other nodes
};
inline constexpr size_t byzantine_kinds = 13;  // behaviours other than none
std::string_view to_string(Byzantine behaviour) noexcept;
// "equivocate", "junk-spam", ... (to_string's names); nothing for an unknown name.
std::optional<Byzantine> parse_byzantine(std::string_view name) noexcept;

struct Crash {
    AuthorityIndex node = 0;
    TimeUs at_us = 0;
    TimeUs restart_us = 0;
    bool power_loss = false;  // lose a random suffix of the writes that were not synced
    // Instead of at at_us: right after the node's first call at or after at_us in which it formed
    // (and broadcast) a certificate while a quorum of that round's other certificates was already
    // in its DAG; a power loss then drops exactly the unsynced writes of that call. It restarts
    // restart_us - at_us later and is cut off from every other node for isolate_us after that.
    bool after_own_certificate = false;
    TimeUs isolate_us = 0;
};

struct Partition {
    TimeUs start_us = 0;
    TimeUs end_us = 0;
    std::vector<AuthorityIndex> side;  // these nodes vs. the rest
};

struct Scenario {
    uint64_t seed = 1;
    size_t nodes = 4;
    uint64_t epoch = 1;
    TimeUs duration_us = 30'000'000;
    // After GST: no partition, no crashed honest node, no loss; liveness is checked from
    // gst + settle onwards.
    TimeUs gst_us = 10'000'000;
    TimeUs settle_us = 5'000'000;
    LinkModel link;
    bool real_bls = false;
    consensus::Parameters parameters;
    std::vector<Crash> crashes;
    std::vector<Partition> partitions;
    std::map<AuthorityIndex, Byzantine> byzantine;
    std::map<AuthorityIndex, consensus::TestHooks> hooks;  // injected bugs (checker tests)
    std::map<AuthorityIndex, TimeUs> start_us;             // staggered starts (default 0)
    std::map<AuthorityIndex, int64_t> clock_drift_ppm;     // local clock runs faster or slower
    std::map<AuthorityIndex, TimeUs> clock_offset_us;
    // Load: each honest node receives this many transactions per second until load_until.
    uint32_t transactions_per_second = 200;
    uint32_t transaction_bytes = 32;
    TimeUs load_until_us = 0;  // 0: duration - settle
    // Liveness bound: after gst + settle, consecutive commits at every running honest node are
    // at most this far apart (0: derived from the parameters, see README).
    TimeUs commit_gap_bound_us = 0;
    bool check_liveness = true;
};

// Fault families for generated scenarios.
struct FaultSet {
    bool crashes = false;
    bool power_loss = false;
    bool partitions = false;
    bool byzantine = false;
    bool loss = false;
    bool skew = false;
    bool stagger = false;
    bool quorum_loss = false;  // f+1 nodes stop together and restart (Narwhal issue #664)
};
FaultSet parse_faults(std::string_view list, std::string& error);  // "crash,partition,byzantine,..." or "all"
std::string to_string(const FaultSet& faults);

// A random scenario within the fault model: at most f = (n-1)/3 Byzantine or crashing nodes at
// any time, except the quorum-loss family, which crashes f+1 at once and restarts them all.
Scenario make_scenario(uint64_t seed, size_t nodes, const FaultSet& faults);
// Every Byzantine node of the scenario (there are some when its faults include byzantine and
// n >= 4) behaves as `behaviour`.
void force_byzantine(Scenario& scenario, Byzantine behaviour);

struct NodeSummary {
    bool byzantine = false;
    uint64_t committed_sub_dags = 0;
    uint64_t last_committed_round = 0;
    uint64_t highest_round = 0;
    uint64_t transactions_out = 0;
    uint64_t restarts = 0;
    std::vector<TimeUs> commit_times;  // virtual time of each new commit
    consensus::NodeStats stats;
};

struct Report {
    uint64_t seed = 0;
    size_t nodes = 0;
    std::vector<std::string> violations;  // "<checker>: <what>"
    std::vector<NodeSummary> node_summaries;
    uint64_t events = 0;
    uint64_t messages_delivered = 0;
    uint64_t messages_dropped = 0;
    uint64_t transactions_submitted = 0;
    uint64_t max_commit_gap_us = 0;
    // BLAKE3 over every delivered message (time, from, to, plane, bytes) and every commit (node,
    // index, leader, timestamp) in order: two runs of one scenario have the same trace hash.
    crypto::Hash32 trace_hash{};
    uint64_t triggered_crashes = 0;  // Crash::after_own_certificate crashes that happened
    bool ok() const noexcept { return violations.empty(); }
    std::string summary() const;
    bool has_violation(std::string_view checker) const;
};

Report run(const Scenario& scenario);

// The fault families a sweep rotates through, by seed: crash, crash with power loss, partition,
// Byzantine, quorum loss, loss + skew + stagger, crash + partition + Byzantine, everything.
FaultSet fault_family(uint64_t seed);

struct SweepResult {
    uint64_t runs = 0;
    std::vector<Report> failures;
};
// Runs seeds [first_seed, first_seed + count) for every size; `faults` nothing = fault_family(seed).
SweepResult sweep(const std::vector<size_t>& sizes, uint64_t first_seed, uint64_t count,
                  const std::optional<FaultSet>& faults, bool real_bls,
                  const std::function<void(const Report&)>& on_result = {},
                  std::optional<Byzantine> byzantine = std::nullopt);

}  // namespace fleek::sim
