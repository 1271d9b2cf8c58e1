// Bullshark ordering over the certified DAG (partially synchronous version, consensus.md §2).
//
// A pure state machine: certificates go in (parents before children, above the GC bound),
// committed sub-DAGs come out. No I/O; the node persists what it returns.
//
//   leader      even rounds >= 2 only: Committee::leader(round) (a documented hash schedule)
//   direct      when a round-(r+1) certificate is added, the leader of r = round-1 (even, above
//               the last committed leader round) is committed if >= validity (f+1) round-(r+1)
//               certificates list it as a parent
//   recursive   walking down from that leader, every earlier even round above the last
//               committed one whose leader has a path from the newest leader of the chain joins
//               the chain; the chain is committed oldest first
//   sub-DAG     the leader's causal history minus what is already committed minus rounds
//               <= leader.round - gc_depth, sorted by (round, authority index); the leader is last
//   time        timestamp_ms = max(previous sub-DAG's, the (f+1)-th smallest created_at_ms of the
//               leader's parents): monotone, and within the times of honest authors whatever
//               f Byzantine authors (the leader among them) write in their headers
//
// Unlike Narwhal's implementation, no author's older uncommitted certificate is dropped once a
// newer one of that author is committed: the whole causal history above the GC bound is
// committed, so every ancestor of a committed certificate above the bound appears earlier in the
// output (causal order) and nothing certified and referenced is lost.
#pragma once

#include "consensus/parameters.h"
#include "consensus/types.h"

#include <map>
#include <set>
#include <vector>

namespace fleek::consensus {

struct CommittedSubDag {
    uint64_t index = 0;
    CertificatePtr leader;
    std::vector<CertificatePtr> certificates;  // in commit order; the leader is last
    uint64_t timestamp_ms = 0;                 // max(previous, commit_time_ms(leader)): see Bullshark
    bool direct = false;                       // committed by its own support, not through a later leader
    std::vector<Digest> supporters;            // direct only: round+1 certificates that reference the leader
};

// Persisted after every committed sub-DAG (Table::meta, key "consensus").
struct ConsensusState {
    Round last_leader_round = 0;
    uint64_t next_index = 0;
    uint64_t last_timestamp_ms = 0;

    friend bool operator==(const ConsensusState&, const ConsensusState&) = default;
    void encode(codec::Writer& w) const;
    static Result<ConsensusState, codec::DecodeError> decode(codec::Reader& r);
};

class Bullshark {
public:
    Bullshark(const Committee& committee, Round gc_depth, ConsensusState state, TestHooks hooks = {});

    // Inserts a certificate and returns the sub-DAGs it commits, in order. Certificates at or
    // below the GC round, and ones already present, are ignored. A second, different certificate
    // for an (author, round) already present is refused and counted (it cannot happen with at
    // most f Byzantine authorities).
    std::vector<CommittedSubDag> add(const CertificatePtr& certificate);
    // Restart: a certificate that the store says is committed (insert it with add() too).
    void mark_committed(const Digest& digest);

    Round gc_round() const noexcept {
        return m_state.last_leader_round > m_gc_depth ? m_state.last_leader_round - m_gc_depth : 0;
    }
    const ConsensusState& state() const noexcept { return m_state; }
    bool contains(const Digest& digest) const { return m_by_digest.count(digest) != 0; }
    size_t size() const noexcept { return m_by_digest.size(); }
    uint64_t conflicting_certificates() const noexcept { return m_conflicts; }
    AuthorityIndex leader_of(Round round) const;
    // The leader certificate of an even round, if present.
    CertificatePtr leader_certificate(Round round) const;
    // Stake (count) of round-r certificates that list `digest` as a parent.
    size_t support(Round round, const Digest& digest) const;

private:
    struct Entry {
        CertificatePtr certificate;
        uint64_t arrival = 0;
    };
    bool linked(const CertificatePtr& from, const CertificatePtr& to) const;
    uint64_t commit_time_ms(const CertificatePtr& leader) const;
    CommittedSubDag linearize(const CertificatePtr& leader);
    void collect_garbage();

    const Committee& m_committee;
    Round m_gc_depth;
    ConsensusState m_state;
    TestHooks m_hooks;
    std::map<Round, std::map<AuthorityIndex, Entry>> m_dag;
    std::map<Digest, CertificatePtr> m_by_digest;
    std::set<Digest> m_committed;
    uint64_t m_arrivals = 0;
    uint64_t m_conflicts = 0;
};

}  // namespace fleek::consensus
