#include "consensus/bullshark.h"

#include "util/log.h"

#include <algorithm>

namespace fleek::consensus {

void ConsensusState::encode(codec::Writer& w) const {
    w.u64(last_leader_round);
    w.u64(next_index);
    w.u64(last_timestamp_ms);
}

Result<ConsensusState, codec::DecodeError> ConsensusState::decode(codec::Reader& r) {
    ConsensusState s;
    auto a = r.u64();
    if (!a) return fail(a.error());
    auto b = r.u64();
    if (!b) return fail(b.error());
    auto c = r.u64();
    if (!c) return fail(c.error());
    s.last_leader_round = *a;
    s.next_index = *b;
    s.last_timestamp_ms = *c;
    return s;
}

Bullshark::Bullshark(const Committee& committee, Round gc_depth, ConsensusState state, TestHooks hooks)
    : m_committee(committee), m_gc_depth(gc_depth), m_state(state), m_hooks(hooks) {
    FLEEK_ASSERT(gc_depth >= 2);
}

AuthorityIndex Bullshark::leader_of(Round round) const {
    return m_committee.leader(m_hooks.wrong_leader_schedule ? round + 2 : round);
}

CertificatePtr Bullshark::leader_certificate(Round round) const {
    auto r = m_dag.find(round);
    if (r == m_dag.end()) return nullptr;
    auto it = r->second.find(leader_of(round));
    return it == r->second.end() ? nullptr : it->second.certificate;
}

size_t Bullshark::support(Round round, const Digest& digest) const {
    auto r = m_dag.find(round);
    if (r == m_dag.end()) return 0;
    size_t count = 0;
    for (const auto& [author, entry] : r->second) {
        const auto& parents = entry.certificate->parents();
        if (std::binary_search(parents.begin(), parents.end(), digest)) ++count;
    }
    return count;
}

void Bullshark::mark_committed(const Digest& digest) {
    if (!m_hooks.forget_committed) m_committed.insert(digest);
}

std::vector<CommittedSubDag> Bullshark::add(const CertificatePtr& certificate) {
    std::vector<CommittedSubDag> out;
    const Round round = certificate->round();
    if (round <= gc_round() && round != 0) return out;
    if (m_by_digest.count(certificate->digest)) return out;
    auto& slot = m_dag[round];
    if (auto existing = slot.find(certificate->author()); existing != slot.end()) {
        ++m_conflicts;
        FLEEK_LOG_ERROR("consensus", "conflicting certificates for author {} round {}", certificate->author(), round);
        return out;
    }
    slot.emplace(certificate->author(), Entry{certificate, m_arrivals++});
    m_by_digest.emplace(certificate->digest, certificate);

    // Direct commit rule, checked for the leader of the previous round.
    if (round < 3) return out;
    const Round leader_round = round - 1;
    if (leader_round % 2 != 0 || leader_round <= m_state.last_leader_round) return out;
    CertificatePtr leader = leader_certificate(leader_round);
    if (!leader) return out;
    const long threshold = static_cast<long>(m_committee.validity()) + m_hooks.commit_support_offset;
    std::vector<Digest> supporters;
    for (const auto& [author, entry] : m_dag[round]) {
        const auto& parents = entry.certificate->parents();
        if (std::binary_search(parents.begin(), parents.end(), leader->digest)) {
            supporters.push_back(entry.certificate->digest);
        }
    }
    if (static_cast<long>(supporters.size()) < std::max<long>(threshold, 1)) return out;

    // The chain of leaders to commit, newest first.
    std::vector<CertificatePtr> chain{leader};
    for (Round r = leader_round; r >= 4 && r - 2 > m_state.last_leader_round; r -= 2) {
        CertificatePtr earlier = leader_certificate(r - 2);
        if (earlier && linked(chain.back(), earlier)) chain.push_back(earlier);
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        CommittedSubDag sub_dag = linearize(*it);
        if (*it == leader) {
            sub_dag.direct = true;
            sub_dag.supporters = supporters;
        }
        m_state.last_leader_round = (*it)->round();
        out.push_back(std::move(sub_dag));
    }
    collect_garbage();
    return out;
}

bool Bullshark::linked(const CertificatePtr& from, const CertificatePtr& to) const {
    std::set<Digest> frontier{from->digest};
    for (Round r = from->round(); r > to->round(); --r) {
        auto level = m_dag.find(r);
        if (level == m_dag.end()) return false;
        std::set<Digest> next;
        for (const auto& [author, entry] : level->second) {
            if (!frontier.count(entry.certificate->digest)) continue;
            next.insert(entry.certificate->parents().begin(), entry.certificate->parents().end());
        }
        frontier = std::move(next);
        if (frontier.empty()) return false;
    }
    return frontier.count(to->digest) != 0;
}

CommittedSubDag Bullshark::linearize(const CertificatePtr& leader) {
    const Round lower = leader->round() > m_gc_depth ? leader->round() - m_gc_depth : 0;
    std::vector<CertificatePtr> members;
    std::set<Digest> visited{leader->digest};
    std::vector<CertificatePtr> stack{leader};
    while (!stack.empty()) {
        CertificatePtr c = stack.back();
        stack.pop_back();
        if (c->round() <= lower || m_committed.count(c->digest)) continue;
        members.push_back(c);
        if (m_hooks.linearize_parents_only && c != leader) continue;
        for (const Digest& parent : c->parents()) {
            if (!visited.insert(parent).second) continue;
            auto it = m_by_digest.find(parent);
            if (it != m_by_digest.end()) stack.push_back(it->second);
        }
    }
    if (m_hooks.linearize_by_arrival) {
        // Injected bug: arrival order depends on delivery order.
        std::map<Digest, uint64_t> arrival;
        for (const auto& c : members) arrival[c->digest] = m_dag[c->round()][c->author()].arrival;
        std::sort(members.begin(), members.end(), [&](const CertificatePtr& a, const CertificatePtr& b) {
            if (a == leader || b == leader) return b == leader && a != leader;
            return arrival[a->digest] < arrival[b->digest];
        });
    } else {
        std::sort(members.begin(), members.end(), [](const CertificatePtr& a, const CertificatePtr& b) {
            return std::pair(a->round(), a->author()) < std::pair(b->round(), b->author());
        });
    }
    for (const auto& c : members) {
        if (!m_hooks.forget_committed) m_committed.insert(c->digest);
    }
    CommittedSubDag out;
    out.index = m_state.next_index++;
    out.leader = leader;
    out.certificates = std::move(members);
    m_state.last_timestamp_ms = std::max(m_state.last_timestamp_ms, commit_time_ms(leader));
    out.timestamp_ms = m_state.last_timestamp_ms;
    return out;
}

uint64_t Bullshark::commit_time_ms(const CertificatePtr& leader) const {
    if (m_hooks.trust_header_timestamps) return leader->certificate.header.created_at_ms;  // injected bug
    // The (f+1)-th smallest created_at_ms of the leader's parents (f = validity - 1). The parents
    // are at least a quorum (2f+1) of distinct authors, at most f of them Byzantine, so at least
    // one honest time is <= this value and at least one honest time is >= it: no set of f
    // authors, the leader included, can move it outside the honest authors' times.
    std::vector<uint64_t> times;
    times.reserve(leader->parents().size());
    for (const Digest& parent : leader->parents()) {
        if (auto it = m_by_digest.find(parent); it != m_by_digest.end()) {
            times.push_back(it->second->certificate.header.created_at_ms);
        }
    }
    if (times.empty()) return 0;
    std::sort(times.begin(), times.end());
    return times[std::min(m_committee.validity() - 1, times.size() - 1)];
}

void Bullshark::collect_garbage() {
    const Round bound = gc_round();
    while (!m_dag.empty() && m_dag.begin()->first <= bound) {
        for (const auto& [author, entry] : m_dag.begin()->second) {
            m_by_digest.erase(entry.certificate->digest);
            m_committed.erase(entry.certificate->digest);
        }
        m_dag.erase(m_dag.begin());
    }
}

}  // namespace fleek::consensus
