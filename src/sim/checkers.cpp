#include "sim/checkers.h"

#include "consensus/rng.h"
#include "util/encoding.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <fmt/format.h>

namespace fleek::sim {

namespace {

std::string short_hex(const Digest& d) { return hex_encode(ByteSpan(d.data(), 4)); }

template <class F>
void for_each_honest(const World& world, F&& f) {
    for (size_t i = 0; i < world.nodes.size(); ++i) {
        if (world.nodes[i].honest) f(i, world.nodes[i]);
    }
}

CertificatePtr find(const World& world, const Digest& d) {
    auto it = world.certificates.find(d);
    return it == world.certificates.end() ? nullptr : it->second;
}

}  // namespace

void check_agreement(const World& world, std::vector<std::string>& violations) {
    for_each_honest(world, [&](size_t i, const NodeRecord& a) {
        for_each_honest(world, [&](size_t j, const NodeRecord& b) {
            if (j <= i) return;
            for (const auto& [index, record] : a.commits) {
                auto other = b.commits.find(index);
                if (other == b.commits.end()) continue;
                if (!(record == other->second)) {
                    violations.push_back(fmt::format("agreement: nodes {} and {} committed different sub-DAGs at index {} "
                                                     "(leaders {}@{} and {}@{})",
                                                     i, j, index, short_hex(record.leader), record.leader_round,
                                                     short_hex(other->second.leader), other->second.leader_round));
                    return;
                }
            }
            // Transactions at the same sequence are the same.
            const size_t common = std::min(a.delivered.size(), b.delivered.size());
            for (size_t k = 0; k < common; ++k) {
                if (a.delivered[k].bytes != b.delivered[k].bytes || a.delivered[k].sequence != b.delivered[k].sequence) {
                    violations.push_back(
                        fmt::format("agreement: nodes {} and {} delivered different transactions at position {}", i, j, k));
                    return;
                }
            }
        });
    });
}

void check_no_duplicates(const World& world, std::vector<std::string>& violations) {
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        std::set<Digest> seen;
        std::set<Digest> batches;
        std::set<std::pair<AuthorityIndex, Round>> slots;
        for (const auto& [index, record] : node.commits) {
            for (const Digest& d : record.certificates) {
                if (!seen.insert(d).second) {
                    violations.push_back(
                        fmt::format("no-duplicates: node {} committed certificate {} twice (again at index {})", i,
                                    short_hex(d), index));
                    return;
                }
                auto c = find(world, d);
                if (!c) continue;
                if (!slots.insert({c->author(), c->round()}).second) {
                    violations.push_back(fmt::format("no-duplicates: node {} committed two certificates of author {} round {}",
                                                     i, c->author(), c->round()));
                    return;
                }
                for (const auto& entry : c->certificate.header.payload) {
                    if (!batches.insert(entry.batch).second) {
                        violations.push_back(fmt::format(
                            "no-duplicates: node {} committed batch {} twice (again in author {} round {}, index {})", i,
                            short_hex(entry.batch), c->author(), c->round(), index));
                        return;
                    }
                }
            }
        }
    });
}

void check_validity(const World& world, std::vector<std::string>& violations) {
    const auto& committee = *world.committee;
    // Every certificate an honest node accepted is of this instance's epoch.
    for (const auto& [digest, c] : world.certificates) {
        if (c->certificate.header.epoch != committee.epoch() && c->round() > 0) {
            violations.push_back(fmt::format("validity: an honest node accepted certificate {} of epoch {} (instance epoch {})",
                                             short_hex(digest), c->certificate.header.epoch, committee.epoch()));
            return;
        }
    }
    std::set<Digest> checked;
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        for (const auto& [index, record] : node.commits) {
            // Causal history of the leader, through the registry.
            std::set<Digest> reachable{record.leader};
            std::vector<Digest> stack{record.leader};
            Round lowest = record.leader_round;
            for (const Digest& d : record.certificates) {
                if (auto c = find(world, d)) lowest = std::min(lowest, c->round());
            }
            while (!stack.empty()) {
                auto c = find(world, stack.back());
                stack.pop_back();
                if (!c || c->round() <= lowest) continue;
                for (const Digest& p : c->parents()) {
                    if (reachable.insert(p).second) stack.push_back(p);
                }
            }
            for (const Digest& d : record.certificates) {
                auto c = find(world, d);
                if (!c) {
                    violations.push_back(fmt::format("validity: node {} committed certificate {} that no honest node accepted",
                                                     i, short_hex(d)));
                    return;
                }
                if (!reachable.count(d)) {
                    violations.push_back(fmt::format(
                        "validity: node {} committed certificate {} outside the causal history of leader round {}", i,
                        short_hex(d), record.leader_round));
                    return;
                }
                if (!checked.insert(d).second) continue;
                auto signers = consensus::bitmap_signers(committee.size(), c->certificate.signers);
                if (!signers || signers->size() < committee.quorum()) {
                    violations.push_back(fmt::format("validity: certificate {} has fewer than a quorum of signers", short_hex(d)));
                    return;
                }
                const auto statement = consensus::vote_statement(committee, c->certificate.header.epoch, c->round(),
                                                                 c->author(), c->digest);
                if (!world.verifier->verify_aggregate(*signers, statement, c->certificate.aggregate_signature)) {
                    violations.push_back(fmt::format("validity: certificate {} (author {} round {}) has an invalid signature",
                                                     short_hex(d), c->author(), c->round()));
                    return;
                }
                std::set<AuthorityIndex> parent_authors;
                for (const Digest& p : c->parents()) {
                    if (auto parent = find(world, p)) {
                        if (parent->round() + 1 != c->round() || !parent_authors.insert(parent->author()).second) {
                            violations.push_back(fmt::format("validity: certificate {} has an invalid parent", short_hex(d)));
                            return;
                        }
                    }
                }
                if (c->parents().size() < committee.quorum()) {
                    violations.push_back(fmt::format("validity: certificate {} has fewer than a quorum of parents", short_hex(d)));
                    return;
                }
            }
        }
    });
}

void check_causal_order(const World& world, std::vector<std::string>& violations) {
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        std::map<Digest, std::pair<uint64_t, size_t>> position;
        for (const auto& [index, record] : node.commits) {
            for (size_t k = 0; k < record.certificates.size(); ++k) position.emplace(record.certificates[k], std::pair(index, k));
        }
        for (const auto& [index, record] : node.commits) {
            const Round lower = record.leader_round > world.gc_depth ? record.leader_round - world.gc_depth : 0;
            for (size_t k = 0; k < record.certificates.size(); ++k) {
                auto c = find(world, record.certificates[k]);
                if (!c) continue;
                const Round parent_round = c->round() - 1;
                if (parent_round <= lower || parent_round == 0) continue;
                for (const Digest& p : c->parents()) {
                    auto it = position.find(p);
                    if (it == position.end() || it->second >= std::pair(index, k)) {
                        violations.push_back(fmt::format(
                            "causal-order: node {} committed {} (round {}) at index {} before or without its parent {}", i,
                            short_hex(c->digest), c->round(), index, short_hex(p)));
                        return;
                    }
                }
            }
        }
    });
}

void check_leader_rules(const World& world, std::vector<std::string>& violations) {
    const auto& committee = *world.committee;
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        Round previous = 0;
        for (const auto& [index, record] : node.commits) {
            if (record.leader_round % 2 != 0 || record.leader_round < 2 || record.leader_round <= previous) {
                violations.push_back(fmt::format("leader-rules: node {} committed leader round {} after {}", i,
                                                 record.leader_round, previous));
                return;
            }
            previous = record.leader_round;
            if (record.leader_author != committee.leader(record.leader_round)) {
                violations.push_back(fmt::format("leader-rules: node {} committed author {} as leader of round {} (schedule: {})",
                                                 i, record.leader_author, record.leader_round,
                                                 committee.leader(record.leader_round)));
                return;
            }
            if (record.certificates.empty() || record.certificates.back() != record.leader) {
                violations.push_back(fmt::format("leader-rules: node {} sub-DAG {} does not end with its leader", i, index));
                return;
            }
            if (record.direct) {
                std::set<AuthorityIndex> authors;
                for (const Digest& s : record.supporters) {
                    auto c = find(world, s);
                    if (!c || c->round() != record.leader_round + 1 ||
                        !std::binary_search(c->parents().begin(), c->parents().end(), record.leader)) {
                        continue;
                    }
                    authors.insert(c->author());
                }
                if (authors.size() < committee.validity()) {
                    violations.push_back(fmt::format(
                        "leader-rules: node {} directly committed leader round {} with support {} < f+1 = {}", i,
                        record.leader_round, authors.size(), committee.validity()));
                    return;
                }
            }
        }
    });
}

void check_non_equivocation(const World& world, std::vector<std::string>& violations) {
    std::map<std::pair<AuthorityIndex, Round>, Digest> slots;
    for (const auto& [digest, c] : world.certificates) {
        auto [it, inserted] = slots.emplace(std::pair(c->author(), c->round()), digest);
        if (!inserted && it->second != digest) {
            violations.push_back(fmt::format("non-equivocation: two certificates for author {} round {} ({} and {})",
                                             c->author(), c->round(), short_hex(it->second), short_hex(digest)));
        }
    }
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        for (const auto& [slot, headers] : node.votes) {
            if (headers.size() > 1) {
                violations.push_back(fmt::format("non-equivocation: honest node {} signed {} different votes for author {} round {}",
                                                 i, headers.size(), slot.first, slot.second));
                return;
            }
        }
    });
}

void check_availability(const World& world, std::vector<std::string>& violations) {
    std::set<Digest> committed_batches;
    for_each_honest(world, [&](size_t, const NodeRecord& node) {
        for (const auto& [index, record] : node.commits) {
            for (const Digest& d : record.certificates) {
                if (auto c = find(world, d)) {
                    for (const auto& entry : c->certificate.header.payload) committed_batches.insert(entry.batch);
                }
            }
        }
    });
    for (const Digest& batch : committed_batches) {
        bool found = false;
        for (size_t i = 0; i < world.nodes.size() && !found; ++i) {
            if (world.nodes[i].honest && i < world.stored_batches.size()) found = world.stored_batches[i].count(batch) != 0;
        }
        if (!found) {
            violations.push_back(fmt::format("availability: committed batch {} is stored by no honest node", short_hex(batch)));
            return;
        }
    }
}

void check_crash_recovery(const World& world, std::vector<std::string>& violations) {
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        for (const auto& conflict : node.recommit_conflicts) {
            violations.push_back(fmt::format("crash-recovery: node {} {}", i, conflict));
        }
        uint64_t expected = 0;
        for (const auto& [index, record] : node.commits) {
            if (index != expected) {
                violations.push_back(fmt::format("crash-recovery: node {} skipped sub-DAG index {}", i, expected));
                return;
            }
            ++expected;
        }
        // A restarted node's stream equals an uninterrupted node's on their common prefix.
        if (!node.restarted) return;
        for_each_honest(world, [&](size_t j, const NodeRecord& other) {
            if (other.restarted) return;
            for (const auto& [index, record] : node.commits) {
                auto it = other.commits.find(index);
                if (it != other.commits.end() && !(it->second == record)) {
                    violations.push_back(fmt::format(
                        "crash-recovery: restarted node {} committed a different sub-DAG {} than uninterrupted node {}", i,
                        index, j));
                    return;
                }
            }
        });
    });
}

void check_exactly_once(const World& world, std::vector<std::string>& violations) {
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        for (size_t k = 0; k < node.delivered.size(); ++k) {
            if (node.delivered[k].sequence != k) {
                violations.push_back(fmt::format("exactly-once: node {} delivered sequence {} at position {}", i,
                                                 node.delivered[k].sequence, k));
                return;
            }
        }
        for (size_t k = 0; k < node.delivered_sub_dags.size(); ++k) {
            if (node.delivered_sub_dags[k] != k) {
                violations.push_back(fmt::format("exactly-once: node {} delivered sub-DAG {} at position {}", i,
                                                 node.delivered_sub_dags[k], k));
                return;
            }
        }
        std::unordered_set<std::string_view> seen;
        for (const auto& tx : node.delivered) {
            if (!seen.insert(as_string_view(tx.bytes)).second) {
                violations.push_back(fmt::format("exactly-once: node {} delivered a transaction twice (sequence {})", i,
                                                 tx.sequence));
                return;
            }
        }
    });
}

void check_commit_time(const World& world, std::vector<std::string>& violations) {
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        uint64_t previous = 0;
        for (const auto& [index, record] : node.commits) {
            if (record.timestamp_ms < previous) {
                violations.push_back(fmt::format("commit-time: node {} sub-DAG {} has timestamp {} ms after {} ms", i, index,
                                                 record.timestamp_ms, previous));
                return;
            }
            if (record.timestamp_ms > record.honest_clock_ms) {
                violations.push_back(fmt::format(
                    "commit-time: node {} sub-DAG {} has timestamp {} ms, ahead of every honest clock ({} ms at most)", i,
                    index, record.timestamp_ms, record.honest_clock_ms));
                return;
            }
            previous = record.timestamp_ms;
        }
    });
}

TimeUs check_liveness(const World& world, const LivenessBounds& bounds, std::vector<std::string>& violations) {
    TimeUs worst = 0;
    uint64_t most = 0;
    for_each_honest(world, [&](size_t, const NodeRecord& node) { most = std::max<uint64_t>(most, node.commits.size()); });
    for_each_honest(world, [&](size_t i, const NodeRecord& node) {
        if (!node.running_at_end) return;
        TimeUs previous = bounds.from_us;
        for (TimeUs t : node.commit_times) {
            if (t <= bounds.from_us) continue;
            worst = std::max(worst, t - previous);
            previous = t;
        }
        worst = std::max(worst, bounds.end_us - previous);
        if (bounds.end_us - previous > bounds.max_gap_us || worst > bounds.max_gap_us) {
            violations.push_back(fmt::format("liveness: node {} went {} ms without a commit after GST (bound {} ms)", i,
                                             worst / 1000, bounds.max_gap_us / 1000));
            return;
        }
        std::unordered_set<std::string_view> delivered;
        for (const auto& tx : node.delivered) delivered.insert(as_string_view(tx.bytes));
        for (const auto& [tx, at] : node.submitted_at) {
            if (at + bounds.drain_us > bounds.end_us) continue;
            if (!delivered.count(as_string_view(tx))) {
                violations.push_back(fmt::format("liveness: node {} never delivered a transaction submitted to it at {} ms", i,
                                                 at / 1000));
                return;
            }
        }
    });
    return worst;
}

void check_determinism(const consensus::Committee& committee, Round gc_depth, const std::vector<CertificatePtr>& certificates,
                       uint64_t seed, int orders, const consensus::TestHooks& hooks, std::vector<std::string>& violations) {
    // Keep a causally closed set (parents present, or genesis for round 1).
    std::vector<CertificatePtr> sorted = certificates;
    std::sort(sorted.begin(), sorted.end(), [](const CertificatePtr& a, const CertificatePtr& b) {
        return std::pair(a->round(), a->author()) < std::pair(b->round(), b->author());
    });
    std::set<Digest> present;
    for (const auto& g : consensus::genesis(committee)) present.insert(g->digest);
    std::vector<CertificatePtr> closed;
    for (const auto& c : sorted) {
        if (std::all_of(c->parents().begin(), c->parents().end(), [&](const Digest& p) { return present.count(p) != 0; })) {
            closed.push_back(c);
            present.insert(c->digest);
        }
    }
    consensus::Rng rng(seed);
    std::vector<std::vector<std::pair<Digest, std::vector<Digest>>>> streams;
    for (int o = 0; o < orders; ++o) {
        // A random causal order: repeatedly pick a random certificate whose parents are in.
        std::set<Digest> inserted;
        for (const auto& g : consensus::genesis(committee)) inserted.insert(g->digest);
        std::vector<CertificatePtr> remaining = closed;
        consensus::Bullshark bullshark(committee, gc_depth, {}, hooks);
        std::vector<std::pair<Digest, std::vector<Digest>>> stream;
        while (!remaining.empty()) {
            std::vector<size_t> ready;
            for (size_t k = 0; k < remaining.size() && ready.size() < 64; ++k) {
                const auto& c = remaining[k];
                if (std::all_of(c->parents().begin(), c->parents().end(),
                                [&](const Digest& p) { return inserted.count(p) != 0; })) {
                    ready.push_back(k);
                }
            }
            if (ready.empty()) break;
            const size_t pick = ready[rng.below(ready.size())];
            CertificatePtr c = remaining[pick];
            remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(pick));
            inserted.insert(c->digest);
            for (const auto& sd : bullshark.add(c)) {
                std::vector<Digest> digests;
                for (const auto& x : sd.certificates) digests.push_back(x->digest);
                stream.emplace_back(sd.leader->digest, std::move(digests));
            }
        }
        streams.push_back(std::move(stream));
    }
    for (size_t o = 1; o < streams.size(); ++o) {
        if (streams[o] != streams[0]) {
            size_t k = 0;
            while (k < streams[o].size() && k < streams[0].size() && streams[o][k] == streams[0][k]) ++k;
            violations.push_back(fmt::format("determinism: insertion order {} gives a different commit stream from order 0 "
                                             "(first difference at sub-DAG {}, {} vs {} sub-DAGs)",
                                             o, k, streams[o].size(), streams[0].size()));
            return;
        }
    }
}

}  // namespace fleek::sim
