#include "sim/sim.h"

#include "consensus/rng.h"
#include "consensus/signature.h"
#include "consensus/store.h"
#include "sim/byzantine.h"
#include "sim/checkers.h"

#include <algorithm>
#include <fmt/format.h>
#include <memory>
#include <queue>

namespace fleek::sim {

using namespace consensus;

std::string_view to_string(Byzantine behaviour) noexcept {
    switch (behaviour) {
        case Byzantine::none: return "none";
        case Byzantine::equivocate: return "equivocate";
        case Byzantine::bad_signatures: return "bad-signatures";
        case Byzantine::withhold_certificates: return "withhold-certificates";
        case Byzantine::far_future: return "far-future";
        case Byzantine::invalid_parents: return "invalid-parents";
        case Byzantine::vote_everything: return "vote-everything";
        case Byzantine::silent: return "silent";
        case Byzantine::withhold_batches: return "withhold-batches";
        case Byzantine::junk_spam: return "junk-spam";
        case Byzantine::cross_epoch_replay: return "cross-epoch-replay";
        case Byzantine::timestamp_abuse: return "timestamp-abuse";
        case Byzantine::slow_leader: return "slow-leader";
        case Byzantine::withhold_from_some: return "withhold-from-some";
    }
    return "?";
}

std::optional<Byzantine> parse_byzantine(std::string_view name) noexcept {
    for (uint8_t k = 1; k <= byzantine_kinds; ++k) {
        if (to_string(static_cast<Byzantine>(k)) == name) return static_cast<Byzantine>(k);
    }
    return std::nullopt;
}

void force_byzantine(Scenario& scenario, Byzantine behaviour) {
    for (auto& [node, b] : scenario.byzantine) b = behaviour;
}

FaultSet parse_faults(std::string_view list, std::string& error) {
    FaultSet f;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string_view::npos) end = list.size();
        const std::string_view item = list.substr(start, end - start);
        if (item == "all") {
            f.crashes = f.power_loss = f.partitions = f.byzantine = f.loss = f.skew = f.stagger = true;
        } else if (item == "crash" || item == "crashes") {
            f.crashes = true;
        } else if (item == "power-loss") {
            f.power_loss = true;
        } else if (item == "partition" || item == "partitions") {
            f.partitions = true;
        } else if (item == "byzantine") {
            f.byzantine = true;
        } else if (item == "loss") {
            f.loss = true;
        } else if (item == "skew") {
            f.skew = true;
        } else if (item == "stagger") {
            f.stagger = true;
        } else if (item == "quorum-loss") {
            f.quorum_loss = true;
        } else if (!item.empty() && item != "none") {
            error = fmt::format("unknown fault '{}' (known: crash, power-loss, partition, byzantine, loss, skew, stagger, "
                                "quorum-loss, all, none)",
                                item);
            return f;
        }
        start = end + 1;
    }
    return f;
}

std::string to_string(const FaultSet& f) {
    std::string out;
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!out.empty()) out += ',';
        out += name;
    };
    add(f.crashes, "crash");
    add(f.power_loss, "power-loss");
    add(f.partitions, "partition");
    add(f.byzantine, "byzantine");
    add(f.loss, "loss");
    add(f.skew, "skew");
    add(f.stagger, "stagger");
    add(f.quorum_loss, "quorum-loss");
    return out.empty() ? "none" : out;
}

Scenario make_scenario(uint64_t seed, size_t nodes, const FaultSet& faults) {
    Rng rng(seed * 0x9e3779b97f4a7c15ULL + nodes);
    Scenario s;
    s.seed = seed;
    s.nodes = nodes;
    s.epoch = 1 + seed % 997;
    s.duration_us = 16'000'000;
    s.gst_us = 6'000'000;
    s.settle_us = 4'000'000;
    s.parameters.batch_size_bytes = 2'000;
    s.parameters.max_batch_delay_us = 50'000;
    s.parameters.min_header_delay_us = 20'000;
    s.parameters.max_header_delay_us = 200'000;
    s.parameters.header_resend_us = 600'000;
    s.parameters.batch_resend_us = 600'000;
    s.parameters.sync_retry_us = 400'000;
    s.parameters.sync_interval_us = 800'000;
    // Small GC depths exercise garbage collection and catch-up beyond it within a short run
    // (SimSweep.GcDepth50 runs the production depth).
    static const Round gc_depths[] = {6, 10, 20};
    s.parameters.gc_depth = gc_depths[rng.below(3)];
    s.parameters.max_round_ahead = 300;
    s.link.latency_min_us = 1'000 + rng.below(5'000);
    s.link.latency_max_us = s.link.latency_min_us + 5'000 + rng.below(40'000);
    s.link.tail_per_mille = static_cast<uint32_t>(rng.below(30));
    s.link.tail_max_us = 100'000 + rng.below(300'000);
    s.link.bandwidth_bytes_per_s = 2'000'000 + rng.below(50'000'000);
    s.transactions_per_second = 100 + static_cast<uint32_t>(rng.below(300));
    const size_t f = (nodes - 1) / 3;
    if (faults.loss) {
        s.link.loss_per_mille = 5 + static_cast<uint32_t>(rng.below(50));
        s.link.duplicate_per_mille = static_cast<uint32_t>(rng.below(20));
    }
    std::vector<AuthorityIndex> order(nodes);
    for (size_t i = 0; i < nodes; ++i) order[i] = static_cast<AuthorityIndex>(i);
    for (size_t i = nodes; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    size_t used = 0;
    if (faults.byzantine && f > 0) {
        const size_t count = 1 + rng.below(f);
        static const Byzantine kinds[] = {
            Byzantine::equivocate,  Byzantine::bad_signatures,  Byzantine::withhold_certificates, Byzantine::far_future,
            Byzantine::invalid_parents, Byzantine::vote_everything, Byzantine::silent,        Byzantine::withhold_batches,
            Byzantine::junk_spam,   Byzantine::cross_epoch_replay, Byzantine::timestamp_abuse, Byzantine::slow_leader,
            Byzantine::withhold_from_some};
        static_assert(std::size(kinds) == byzantine_kinds);
        for (size_t k = 0; k < count; ++k) s.byzantine[order[used++]] = kinds[rng.below(byzantine_kinds)];
    }
    if (faults.crashes && used < f) {
        const size_t count = 1 + rng.below(f - used);
        for (size_t k = 0; k < count; ++k) {
            const AuthorityIndex node = order[used++];
            TimeUs at = 500'000 + rng.below(3'000'000);
            const int cycles = 1 + static_cast<int>(rng.below(2));
            for (int c = 0; c < cycles && at < s.gst_us - 1'000'000; ++c) {
                const TimeUs down = 200'000 + rng.below(3'000'000);
                Crash crash{node, at, std::min(at + down, s.gst_us - 500'000), faults.power_loss && rng.chance(1, 2)};
                s.crashes.push_back(crash);
                at = crash.restart_us + 500'000 + rng.below(2'000'000);
            }
        }
    }
    if (faults.quorum_loss) {
        // f+1 honest nodes stop at the same moment and come back (issue #664 of Narwhal).
        const TimeUs at = 2'000'000 + rng.below(2'000'000);
        const TimeUs back = at + 1'000'000 + rng.below(2'000'000);
        size_t stopped = 0;
        for (size_t k = 0; k < nodes && stopped < f + 1; ++k) {
            const AuthorityIndex node = order[nodes - 1 - k];
            if (s.byzantine.count(node)) continue;
            s.crashes.push_back(Crash{node, at, back, faults.power_loss});
            ++stopped;
        }
    }
    if (faults.partitions) {
        const int windows = 1 + static_cast<int>(rng.below(2));
        TimeUs at = 1'000'000 + rng.below(2'000'000);
        for (int w = 0; w < windows && at < s.gst_us - 1'000'000; ++w) {
            Partition p;
            p.start_us = at;
            p.end_us = std::min(at + 500'000 + rng.below(3'000'000), s.gst_us - 200'000);
            const size_t side = 1 + rng.below(nodes - 1);
            for (size_t k = 0; k < side; ++k) p.side.push_back(order[(k + w) % nodes]);
            s.partitions.push_back(p);
            at = p.end_us + 500'000 + rng.below(2'000'000);
        }
    }
    if (faults.skew) {
        // Wall clocks far from zero, synchronized within what NTP keeps: each node within +-50 ms
        // of a common base and drifting by up to +-0.5 %, so two honest clocks stay well within
        // max_header_time_drift_ms of each other over a run (headers are voted on by time).
        const TimeUs base = 100'000'000 + rng.below(1'000'000'000);
        for (size_t i = 0; i < nodes; ++i) {
            s.clock_drift_ppm[static_cast<AuthorityIndex>(i)] = static_cast<int64_t>(rng.below(10'001)) - 5'000;
            s.clock_offset_us[static_cast<AuthorityIndex>(i)] = base - 50'000 + rng.below(100'001);
        }
    }
    if (faults.stagger) {
        for (size_t i = 0; i < nodes; ++i) {
            if (rng.chance(1, 2)) s.start_us[static_cast<AuthorityIndex>(i)] = rng.below(4'000'000);
        }
    }
    return s;
}

bool Report::has_violation(std::string_view checker) const {
    for (const auto& v : violations) {
        if (v.compare(0, checker.size(), checker) == 0 && v.size() > checker.size() && v[checker.size()] == ':') return true;
    }
    return false;
}

std::string Report::summary() const {
    uint64_t min_commits = UINT64_MAX, max_commits = 0, max_round = 0, txs = 0;
    for (const auto& n : node_summaries) {
        if (n.byzantine) continue;
        min_commits = std::min(min_commits, n.committed_sub_dags);
        max_commits = std::max(max_commits, n.committed_sub_dags);
        max_round = std::max(max_round, n.last_committed_round);
        txs = std::max(txs, n.transactions_out);
    }
    std::string out = fmt::format(
        "seed {} nodes {}: {} | sub-DAGs committed {}..{} (honest), last leader round {}, transactions delivered {} of {} "
        "submitted, max commit gap after GST {} ms, {} events, {} messages delivered, {} dropped",
        seed, nodes, ok() ? "OK" : "FAILED", min_commits == UINT64_MAX ? 0 : min_commits, max_commits, max_round, txs,
        transactions_submitted, max_commit_gap_us / 1000, events, messages_delivered, messages_dropped);
    for (const auto& v : violations) out += "\n  " + v;
    return out;
}

namespace {

crypto::bls::SecretKey member_bls_key(size_t index) {
    Bytes seed(32, 0);
    seed[0] = static_cast<uint8_t>(index);
    seed[1] = static_cast<uint8_t>(index >> 8);
    seed[2] = 0x51;
    return crypto::bls::SecretKey::from_seed(seed).value();
}

crypto::NodeSecretKey member_node_key(size_t index) {
    Bytes seed(32, 0);
    seed[0] = static_cast<uint8_t>(index);
    seed[1] = static_cast<uint8_t>(index >> 8);
    seed[2] = 0x52;
    return crypto::NodeSecretKey::from_seed(seed).value();
}

enum class EventKind : uint8_t { deliver, tick, crash, restart, start, load, transmit };

struct Event {
    TimeUs at = 0;
    uint64_t seq = 0;
    EventKind kind = EventKind::tick;
    AuthorityIndex node = 0;
    AuthorityIndex from = 0;
    Plane plane = Plane::primary;
    Bytes bytes;
    bool power_loss = false;
    TimeUs isolate_us = 0;  // restart: cut the node off for this long
    bool operator>(const Event& o) const { return std::pair(at, seq) > std::pair(o.at, o.seq); }
};

// How long a transaction may take to be delivered after GST: an own certificate that no later
// certificate references (it arrived late) can only be re-proposed once it falls below the GC
// round, gc_depth rounds later; a round takes at most max_header_delay once the network is
// synchronous.
TimeUs drain_us(const Scenario& s) {
    return s.settle_us + (s.parameters.gc_depth + 10) * s.parameters.max_header_delay_us;
}

class Simulation;

class Recorder final : public NodeObserver {
public:
    Recorder(Simulation& sim, size_t node) : m_sim(sim), m_node(node) {}
    void on_vote_signed(const Vote& vote) override;
    void on_certificate_accepted(const CertificatePtr& c) override;
    void on_committed(const CommittedSubDag& sub_dag, TimeUs) override;

private:
    Simulation& m_sim;
    size_t m_node;
};

struct SimNode {
    std::unique_ptr<MemoryStore> store;
    std::unique_ptr<Node> node;
    std::unique_ptr<Recorder> recorder;
    std::shared_ptr<const SignatureScheme> signer;
    std::optional<crypto::bls::SecretKey> bls_key;
    Byzantine byzantine = Byzantine::none;
    TestHooks hooks;
    bool running = false;
    TimeUs scheduled_tick = UINT64_MAX;
    TimeUs last_crash_us = 0;
    uint64_t restarts = 0;
    int64_t drift_ppm = 0;
    TimeUs offset_us = 0;
    uint64_t tx_counter = 0;
    std::deque<Bytes> backlog;  // transactions refused with `busy`, retried
    // Crash::after_own_certificate, armed until it fires.
    std::optional<Crash> certificate_crash;
    uint64_t certificates_formed = 0;  // at the start of the current call
    Round own_certificate_round = 0;   // of the last own certificate it accepted
    size_t unsynced_before = 0;        // unsynced writes at the start of the current call
};

class Simulation {
public:
    explicit Simulation(const Scenario& s) : m_s(s), m_rng(s.seed) {
        std::vector<Member> members;
        for (size_t i = 0; i < s.nodes; ++i) {
            members.push_back(Member{member_node_key(i).public_key(), member_bls_key(i).public_key()});
        }
        m_committee = std::make_unique<Committee>(Committee::create(s.epoch, std::move(members)).value());
        m_world.committee = m_committee.get();
        m_world.gc_depth = s.parameters.gc_depth;
        m_world.nodes.resize(s.nodes);
        m_verifier = s.real_bls ? make_bls_scheme(*m_committee, std::nullopt) : make_test_scheme(*m_committee, std::nullopt);
        m_world.verifier = m_verifier.get();
        m_nodes.resize(s.nodes);
        // Committee order is by BLS key; find each member's secret.
        for (size_t i = 0; i < s.nodes; ++i) {
            auto key = member_bls_key(i);
            const AuthorityIndex index = m_committee->index_of(key.public_key()).value();
            SimNode& n = m_nodes[index];
            n.store = std::make_unique<MemoryStore>();
            n.recorder = std::make_unique<Recorder>(*this, index);
            n.signer = s.real_bls ? make_bls_scheme(*m_committee, key.clone()) : make_test_scheme(*m_committee, index);
            n.bls_key = std::move(key);
        }
        for (size_t i = 0; i < s.nodes; ++i) {
            const auto index = static_cast<AuthorityIndex>(i);
            SimNode& n = m_nodes[i];
            if (auto it = s.byzantine.find(index); it != s.byzantine.end()) n.byzantine = it->second;
            if (auto it = s.hooks.find(index); it != s.hooks.end()) n.hooks = it->second;
            if (n.byzantine == Byzantine::vote_everything) n.hooks.vote_without_guard = true;
            if (auto it = s.clock_drift_ppm.find(index); it != s.clock_drift_ppm.end()) n.drift_ppm = it->second;
            if (auto it = s.clock_offset_us.find(index); it != s.clock_offset_us.end()) n.offset_us = it->second;
            if (n.byzantine == Byzantine::timestamp_abuse) n.offset_us += Adversary::abuse_offset_us(s, index);
            m_world.nodes[i].honest = n.byzantine == Byzantine::none;
            TimeUs start = 0;
            if (auto it = s.start_us.find(index); it != s.start_us.end()) start = it->second;
            push(Event{start, 0, EventKind::start, index, 0, Plane::primary, {}, false});
            push(Event{start + 1'000, 0, EventKind::load, index, 0, Plane::primary, {}, false});
        }
        for (const Crash& c : s.crashes) {
            if (c.after_own_certificate) {
                m_nodes[c.node].certificate_crash = c;
                continue;
            }
            push(Event{c.at_us, 0, EventKind::crash, c.node, 0, Plane::primary, {}, c.power_loss});
            push(Event{c.restart_us, 0, EventKind::restart, c.node, 0, Plane::primary, {}, false});
        }
        m_partitions = s.partitions;
        std::vector<std::shared_ptr<const SignatureScheme>> signers;
        for (const SimNode& n : m_nodes) signers.push_back(n.signer);
        m_adversary = std::make_unique<Adversary>(m_s, *m_committee, std::move(signers));
        m_load_until = s.load_until_us ? s.load_until_us : s.duration_us - std::min(s.duration_us, drain_us(s));
    }

    Report run() {
        while (!m_queue.empty()) {
            Event e = m_queue.top();
            m_queue.pop();
            if (e.at > m_s.duration_us) break;
            m_now = e.at;
            ++m_report.events;
            handle(e);
        }
        m_now = m_s.duration_us;
        finish();
        m_report.trace_hash = m_trace.finalize();
        return std::move(m_report);
    }

    // Recorder callbacks.
    void record_vote(size_t node, const Vote& vote) {
        m_world.nodes[node].votes[{vote.origin, vote.round}].insert(vote.header);
    }
    void record_certificate(size_t node, const CertificatePtr& c) {
        if (m_world.nodes[node].honest) m_world.certificates.emplace(c->digest, c);
        if (c->author() == node) m_nodes[node].own_certificate_round = c->round();
    }
    void record_commit(size_t node, const CommittedSubDag& sd) {
        CommitRecord r;
        r.index = sd.index;
        r.leader_round = sd.leader->round();
        r.leader = sd.leader->digest;
        r.leader_author = sd.leader->author();
        for (const auto& c : sd.certificates) r.certificates.push_back(c->digest);
        r.direct = sd.direct;
        r.supporters = sd.supporters;
        r.at_us = m_now;
        r.timestamp_ms = sd.timestamp_ms;
        for (size_t i = 0; i < m_nodes.size(); ++i) {
            if (m_world.nodes[i].honest) r.honest_clock_ms = std::max(r.honest_clock_ms, local_time(m_nodes[i], m_now) / 1000);
        }
        codec::Writer w;
        w.u8(1);
        w.u64(m_now);
        w.u16(static_cast<uint16_t>(node));
        w.u64(sd.index);
        w.fixed(sd.leader->digest);
        w.u64(sd.timestamp_ms);
        m_trace.update(w.view());
        auto& record = m_world.nodes[node];
        auto [it, inserted] = record.commits.emplace(sd.index, r);
        if (inserted) {
            record.commit_times.push_back(m_now);
        } else if (!(it->second == r)) {
            record.recommit_conflicts.push_back(
                fmt::format("committed sub-DAG {} again with different content after a restart", sd.index));
        }
        for (const auto& c : sd.certificates) m_world.certificates.emplace(c->digest, c);
    }

private:
    void push(Event e) {
        e.seq = m_seq++;
        m_queue.push(std::move(e));
    }

    TimeUs local_time(const SimNode& n, TimeUs t) const {
        const int64_t drift = static_cast<int64_t>(t) / 1'000'000 * n.drift_ppm + (static_cast<int64_t>(t % 1'000'000) * n.drift_ppm) / 1'000'000;
        return n.offset_us + static_cast<TimeUs>(static_cast<int64_t>(t) + drift);
    }
    TimeUs virtual_time(const SimNode& n, TimeUs local) const {
        if (local <= n.offset_us) return m_now;
        const auto elapsed = static_cast<long double>(local - n.offset_us);
        const long double t = elapsed / (1.0L + static_cast<long double>(n.drift_ppm) / 1e6L);
        return static_cast<TimeUs>(t) + 1;
    }

    void start_node(AuthorityIndex index) {
        SimNode& n = m_nodes[index];
        Node::Options options;
        options.parameters = m_s.parameters;
        options.hooks = n.hooks;
        options.rng_seed = m_rng.next();
        options.next_output_index = m_world.nodes[index].delivered_sub_dags.size();
        options.observer = n.recorder.get();
        n.certificates_formed = 0;
        n.unsynced_before = n.store->unsynced_writes();
        n.node = std::make_unique<Node>(*m_committee, index, n.signer, *n.store, options, local_time(n, m_now));
        n.running = true;
        n.scheduled_tick = UINT64_MAX;
        after_call(index);
    }

    void handle(const Event& e) {
        SimNode& n = m_nodes[e.node];
        if (n.node) {
            n.certificates_formed = n.node->stats().certificates_formed;
            n.unsynced_before = n.store->unsynced_writes();
        }
        switch (e.kind) {
            case EventKind::transmit:
                transmit(e.from, e.node, e.plane, e.bytes);
                break;
            case EventKind::start:
                if (!n.running && !n.node) start_node(e.node);
                break;
            case EventKind::crash:
                if (n.running) {
                    crash_node(e.node);
                    if (e.power_loss) n.store->power_loss(m_rng.below(n.store->unsynced_writes() + 1));
                }
                break;
            case EventKind::restart:
                if (!n.running) {
                    ++n.restarts;
                    start_node(e.node);
                    if (e.isolate_us > 0) {
                        std::vector<AuthorityIndex> alone{e.node};
                        m_partitions.push_back(Partition{m_now, m_now + e.isolate_us, alone});
                    }
                }
                break;
            case EventKind::tick:
                if (!n.running || e.at != n.scheduled_tick) break;
                n.scheduled_tick = UINT64_MAX;
                n.node->on_tick(local_time(n, m_now));
                after_call(e.node);
                break;
            case EventKind::deliver:
                if (!n.running) {
                    ++m_report.messages_dropped;
                    break;
                }
                ++m_report.messages_delivered;
                trace_delivery(e);
                n.node->on_message(e.from, e.plane, e.bytes, local_time(n, m_now));
                after_call(e.node);
                break;
            case EventKind::load: {
                if (m_now >= m_load_until) break;
                push(Event{m_now + 10'000, 0, EventKind::load, e.node, 0, Plane::primary, {}, false});
                if (!n.running) break;
                const uint32_t per_tick = std::max<uint32_t>(1, m_s.transactions_per_second / 100);
                for (uint32_t k = 0; k < per_tick; ++k) {
                    Bytes tx(std::max<uint32_t>(m_s.transaction_bytes, 16), 0);
                    const uint64_t id = (static_cast<uint64_t>(e.node) << 48) | n.tx_counter++;
                    for (int b = 0; b < 8; ++b) tx[static_cast<size_t>(b)] = static_cast<uint8_t>(id >> (8 * b));
                    for (size_t b = 8; b < tx.size(); ++b) tx[b] = static_cast<uint8_t>(m_rng.next());
                    n.backlog.push_back(std::move(tx));
                }
                while (!n.backlog.empty()) {
                    auto submitted = n.node->submit_transaction(n.backlog.front(), local_time(n, m_now));
                    if (!submitted) break;
                    ++m_report.transactions_submitted;
                    if (m_world.nodes[e.node].honest) {
                        m_world.nodes[e.node].submitted_at.emplace_back(std::move(n.backlog.front()), m_now);
                    }
                    n.backlog.pop_front();
                }
                after_call(e.node);
                break;
            }
        }
    }

    void crash_node(AuthorityIndex index) {
        SimNode& n = m_nodes[index];
        n.node.reset();
        n.running = false;
        n.last_crash_us = m_now;
        n.backlog.clear();
        m_world.nodes[index].restarted = true;
    }

    // The call that just returned formed a certificate, and a quorum of that round's other
    // certificates was in the DAG before it (so a restart from the writes before the call has a
    // quorum of the round without its own certificate).
    bool certificate_crash_due(const SimNode& n) const {
        if (!n.node || n.node->stats().certificates_formed == n.certificates_formed) return false;
        const Round round = n.own_certificate_round;
        size_t others = 0;
        for (size_t a = 0; a < m_s.nodes; ++a) {
            if (a != n.node->index() && n.node->certificate_at(round, static_cast<AuthorityIndex>(a))) ++others;
        }
        return others >= m_committee->quorum();
    }

    void trace_delivery(const Event& e) {
        codec::Writer w;
        w.u8(0);
        w.u64(m_now);
        w.u16(e.from);
        w.u16(e.node);
        w.u8(static_cast<uint8_t>(e.plane));
        w.u32(static_cast<uint32_t>(e.bytes.size()));
        m_trace.update(w.view());
        m_trace.update(e.bytes);
    }

    bool partitioned(AuthorityIndex a, AuthorityIndex b) const {
        for (const Partition& p : m_partitions) {
            if (m_now < p.start_us || m_now >= p.end_us) continue;
            const bool a_in = std::find(p.side.begin(), p.side.end(), a) != p.side.end();
            const bool b_in = std::find(p.side.begin(), p.side.end(), b) != p.side.end();
            if (a_in != b_in) return true;
        }
        return false;
    }

    void transmit(AuthorityIndex from, AuthorityIndex to, Plane plane, Bytes bytes) {
        if (partitioned(from, to)) {
            ++m_report.messages_dropped;
            return;
        }
        const bool faulty_net = m_now < m_s.gst_us;
        if (faulty_net && m_s.link.loss_per_mille && m_rng.chance(m_s.link.loss_per_mille, 1000)) {
            ++m_report.messages_dropped;
            return;
        }
        const LinkModel& l = m_s.link;
        TimeUs& busy = m_link_busy[{from, to}];
        const TimeUs serialization = bytes.size() * 1'000'000 / std::max<uint64_t>(l.bandwidth_bytes_per_s, 1);
        busy = std::max(busy, m_now) + serialization;
        auto latency = [&]() {
            TimeUs d = l.latency_min_us + m_rng.below(l.latency_max_us - l.latency_min_us + 1);
            if (l.tail_per_mille && m_rng.chance(l.tail_per_mille, 1000)) d += m_rng.below(l.tail_max_us + 1);
            return d;
        };
        if (faulty_net && l.duplicate_per_mille && m_rng.chance(l.duplicate_per_mille, 1000)) {
            push(Event{busy + latency(), 0, EventKind::deliver, to, from, plane, bytes, false});
        }
        push(Event{busy + latency(), 0, EventKind::deliver, to, from, plane, std::move(bytes), false});
    }

    void after_call(AuthorityIndex index) {
        SimNode& n = m_nodes[index];
        if (!n.node) return;
        for (auto& out : n.node->take_outbound()) {
            if (n.byzantine == Byzantine::none) {
                transmit(index, out.to, out.plane, std::move(out.bytes));
                continue;
            }
            for (auto& send : m_adversary->rewrite(index, n.byzantine, std::move(out), m_rng)) {
                if (send.loopback) {
                    push(Event{m_now + send.delay_us, 0, EventKind::deliver, send.to, send.from, send.plane, std::move(send.bytes), false});
                } else if (send.delay_us > 0) {
                    push(Event{m_now + send.delay_us, 0, EventKind::transmit, send.to, send.from, send.plane, std::move(send.bytes), false});
                } else {
                    transmit(send.from, send.to, send.plane, std::move(send.bytes));
                }
            }
        }
        auto& record = m_world.nodes[index];
        for (auto& output : n.node->take_output()) {
            // The consumer is durable and exactly-once by index: it keeps what it was given.
            record.delivered_sub_dags.push_back(output.sub_dag_index);
            for (auto& tx : output.transactions) {
                record.delivered.push_back(DeliveredTransaction{tx.sequence, output.sub_dag_index, std::move(tx.bytes)});
            }
        }
        if (n.certificate_crash && m_now >= n.certificate_crash->at_us && certificate_crash_due(n)) {
            // Power loss right after the call that formed and broadcast a certificate: every
            // write of this call that was not synced is lost.
            const Crash c = *n.certificate_crash;
            n.certificate_crash.reset();
            ++m_report.triggered_crashes;
            const size_t keep = n.unsynced_before;
            crash_node(index);
            if (c.power_loss) n.store->power_loss(keep);
            Event restart{m_now + (c.restart_us - c.at_us), 0, EventKind::restart, index, 0, Plane::primary, {}, false};
            restart.isolate_us = c.isolate_us;
            push(std::move(restart));
            return;
        }
        const TimeUs wake = std::max(virtual_time(n, n.node->next_wakeup()), m_now + 1);
        if (wake < n.scheduled_tick || n.scheduled_tick <= m_now) {
            n.scheduled_tick = wake;
            push(Event{wake, 0, EventKind::tick, index, 0, Plane::primary, {}, false});
        }
    }

    void finish() {
        m_report.seed = m_s.seed;
        m_report.nodes = m_s.nodes;
        m_world.stored_batches.resize(m_s.nodes);
        for (size_t i = 0; i < m_s.nodes; ++i) {
            SimNode& n = m_nodes[i];
            NodeRecord& record = m_world.nodes[i];
            record.running_at_end = n.running;
            // Only transactions submitted after the node's last crash can be required.
            std::erase_if(record.submitted_at, [&](const auto& entry) {
                return n.last_crash_us > 0 && entry.second <= n.last_crash_us;
            });
            (void)n.store->scan(Table::batches, {}, {}, [&](ByteSpan key, ByteSpan) {
                if (key.size() == 36) {
                    Digest d{};
                    std::copy(key.begin() + 4, key.end(), d.begin());
                    m_world.stored_batches[i].insert(d);
                }
                return true;
            });
            NodeSummary summary;
            summary.byzantine = !record.honest;
            summary.committed_sub_dags = record.commits.size();
            summary.last_committed_round = record.commits.empty() ? 0 : record.commits.rbegin()->second.leader_round;
            summary.transactions_out = record.delivered.size();
            summary.restarts = n.restarts;
            summary.commit_times = record.commit_times;
            if (n.node) {
                summary.highest_round = n.node->highest_round();
                summary.stats = n.node->stats();
            }
            m_report.node_summaries.push_back(summary);
        }
        auto& v = m_report.violations;
        check_agreement(m_world, v);
        check_no_duplicates(m_world, v);
        check_validity(m_world, v);
        check_causal_order(m_world, v);
        check_leader_rules(m_world, v);
        check_non_equivocation(m_world, v);
        check_availability(m_world, v);
        check_crash_recovery(m_world, v);
        check_exactly_once(m_world, v);
        check_commit_time(m_world, v);
        if (m_s.check_liveness) {
            LivenessBounds bounds;
            bounds.from_us = m_s.gst_us + m_s.settle_us;
            bounds.end_us = m_s.duration_us;
            bounds.max_gap_us = m_s.commit_gap_bound_us ? m_s.commit_gap_bound_us
                                                        : 8 * m_s.parameters.max_header_delay_us +
                                                              2 * m_s.parameters.sync_interval_us +
                                                              2 * m_s.link.tail_max_us + 2 * m_s.link.latency_max_us;
            bounds.drain_us = drain_us(m_s);
            m_report.max_commit_gap_us = check_liveness(m_world, bounds, v);
        }
    }

    const Scenario& m_s;
    Rng m_rng;
    std::unique_ptr<Committee> m_committee;
    std::shared_ptr<const SignatureScheme> m_verifier;
    World m_world;
    std::vector<SimNode> m_nodes;
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> m_queue;
    std::map<std::pair<AuthorityIndex, AuthorityIndex>, TimeUs> m_link_busy;
    std::vector<Partition> m_partitions;  // the scenario's, plus isolations after triggered crashes
    std::unique_ptr<Adversary> m_adversary;
    crypto::Blake3Hasher m_trace;
    uint64_t m_seq = 0;
    TimeUs m_now = 0;
    TimeUs m_load_until = 0;
    Report m_report;
};

void Recorder::on_vote_signed(const Vote& vote) { m_sim.record_vote(m_node, vote); }
void Recorder::on_certificate_accepted(const CertificatePtr& c) { m_sim.record_certificate(m_node, c); }
void Recorder::on_committed(const CommittedSubDag& sub_dag, TimeUs) { m_sim.record_commit(m_node, sub_dag); }

}  // namespace

Report run(const Scenario& scenario) {
    Simulation simulation(scenario);
    return simulation.run();
}

FaultSet fault_family(uint64_t seed) {
    FaultSet f;
    switch (seed % 8) {
        case 0: f.crashes = true; break;
        case 1: f.crashes = f.power_loss = true; break;
        case 2: f.partitions = true; break;
        case 3: f.byzantine = true; break;
        case 4: f.quorum_loss = f.power_loss = true; break;
        case 5: f.loss = f.skew = f.stagger = true; break;
        case 6: f.crashes = f.partitions = f.byzantine = true; break;
        default: f.crashes = f.power_loss = f.partitions = f.byzantine = f.loss = f.skew = f.stagger = true; break;
    }
    return f;
}

SweepResult sweep(const std::vector<size_t>& sizes, uint64_t first_seed, uint64_t count,
                  const std::optional<FaultSet>& faults, bool real_bls, const std::function<void(const Report&)>& on_result,
                  std::optional<Byzantine> byzantine) {
    SweepResult result;
    for (size_t n : sizes) {
        for (uint64_t seed = first_seed; seed < first_seed + count; ++seed) {
            Scenario scenario = make_scenario(seed, n, faults ? *faults : fault_family(seed));
            scenario.real_bls = real_bls;
            if (byzantine) force_byzantine(scenario, *byzantine);
            Report report = run(scenario);
            ++result.runs;
            if (on_result) on_result(report);
            if (!report.ok()) result.failures.push_back(std::move(report));
        }
    }
    return result;
}

}  // namespace fleek::sim
