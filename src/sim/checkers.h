// The properties of consensus.md §7.6, checked over what a simulation recorded. Each checker
// adds "<name>: <what went wrong>" lines to `violations`; names:
//   agreement, no-duplicates, validity, causal-order, leader-rules, non-equivocation,
//   availability, determinism, crash-recovery, exactly-once, commit-time, liveness.
#pragma once

#include "consensus/bullshark.h"
#include "consensus/signature.h"
#include "consensus/types.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace fleek::sim {

using consensus::AuthorityIndex;
using consensus::CertificatePtr;
using consensus::Digest;
using consensus::Round;
using consensus::TimeUs;

struct CommitRecord {
    uint64_t index = 0;
    Round leader_round = 0;
    Digest leader{};
    AuthorityIndex leader_author = 0;
    std::vector<Digest> certificates;
    bool direct = false;
    std::vector<Digest> supporters;
    TimeUs at_us = 0;  // virtual time of the commit
    uint64_t timestamp_ms = 0;     // the commit's timestamp (block time)
    uint64_t honest_clock_ms = 0;  // the most advanced honest node's clock when it was committed
    bool operator==(const CommitRecord& o) const {
        return index == o.index && leader == o.leader && certificates == o.certificates && timestamp_ms == o.timestamp_ms;
    }
};

struct DeliveredTransaction {
    uint64_t sequence = 0;
    uint64_t sub_dag_index = 0;
    Bytes bytes;
};

// Everything one node did, across its restarts.
struct NodeRecord {
    bool honest = true;
    bool restarted = false;
    bool running_at_end = true;
    std::map<uint64_t, CommitRecord> commits;         // by sub-DAG index (first time committed)
    std::vector<std::string> recommit_conflicts;      // an index committed again with other content
    std::vector<DeliveredTransaction> delivered;      // what the consumer got, in order
    std::vector<uint64_t> delivered_sub_dags;         // sub-DAG indices the consumer got, in order
    std::map<std::pair<AuthorityIndex, Round>, std::set<Digest>> votes;  // (origin, round) -> headers signed
    std::vector<TimeUs> commit_times;                 // virtual time of each new commit
    std::vector<std::pair<Bytes, TimeUs>> submitted_at;  // transactions handed to this node, when
};

struct World {
    const consensus::Committee* committee = nullptr;
    const consensus::SignatureScheme* verifier = nullptr;  // verify-only, same kind as the run's
    Round gc_depth = 50;
    std::map<Digest, CertificatePtr> certificates;  // every certificate an honest node accepted
    std::vector<NodeRecord> nodes;
    // Batches each honest node has stored at the end (for availability).
    std::vector<std::set<Digest>> stored_batches;
};

void check_agreement(const World& world, std::vector<std::string>& violations);
void check_no_duplicates(const World& world, std::vector<std::string>& violations);
void check_validity(const World& world, std::vector<std::string>& violations);
void check_causal_order(const World& world, std::vector<std::string>& violations);
void check_leader_rules(const World& world, std::vector<std::string>& violations);
void check_non_equivocation(const World& world, std::vector<std::string>& violations);
void check_availability(const World& world, std::vector<std::string>& violations);
void check_crash_recovery(const World& world, std::vector<std::string>& violations);
void check_exactly_once(const World& world, std::vector<std::string>& violations);
// Commit timestamps never go back and are never ahead of every honest clock.
void check_commit_time(const World& world, std::vector<std::string>& violations);

struct LivenessBounds {
    TimeUs from_us = 0;      // start checking gaps here (GST + settle)
    TimeUs end_us = 0;       // end of the run
    TimeUs max_gap_us = 0;   // largest allowed gap between consecutive commits
    TimeUs drain_us = 0;     // transactions submitted before end - drain must be delivered
};
// Returns the largest gap seen after from_us.
TimeUs check_liveness(const World& world, const LivenessBounds& bounds, std::vector<std::string>& violations);

// Determinism of ordering (§7.6.8): feeds the certificates to fresh Bullshark instances in
// `orders` different random causal orders and requires identical commit streams.
void check_determinism(const consensus::Committee& committee, Round gc_depth,
                       const std::vector<CertificatePtr>& certificates, uint64_t seed, int orders,
                       const consensus::TestHooks& hooks, std::vector<std::string>& violations);

}  // namespace fleek::sim
