#include "consensus/bullshark.h"
#include "consensus/node_test_support.h"

#include <gtest/gtest.h>

namespace fleek::consensus {
namespace {

using testing::committee_of;


CertificatePtr cert(Round round, AuthorityIndex author, const std::vector<CertificatePtr>& parents) {
    Certificate c;
    c.header.epoch = 1;
    c.header.round = round;
    c.header.author = author;
    c.header.created_at_ms = round * 100;
    for (const auto& p : parents) c.header.parents.push_back(p->digest);
    std::sort(c.header.parents.begin(), c.header.parents.end());
    return make_vertex(std::move(c));
}

// A DAG where round r has every author, each referencing all of round r-1.
struct Dag {
    explicit Dag(const Committee& c) : committee(c) { rounds.push_back(genesis(c)); }
    const std::vector<CertificatePtr>& add_round(std::vector<AuthorityIndex> authors = {},
                                                 std::function<bool(const CertificatePtr&)> keep_parent = {}) {
        if (authors.empty()) {
            for (size_t i = 0; i < committee.size(); ++i) authors.push_back(static_cast<AuthorityIndex>(i));
        }
        std::vector<CertificatePtr> parents;
        for (const auto& p : rounds.back()) {
            if (!keep_parent || keep_parent(p)) parents.push_back(p);
        }
        std::vector<CertificatePtr> level;
        for (AuthorityIndex a : authors) level.push_back(cert(rounds.size(), a, parents));
        rounds.push_back(level);
        return rounds.back();
    }
    CertificatePtr at(Round r, AuthorityIndex a) const {
        for (const auto& c : rounds[r]) {
            if (c->author() == a) return c;
        }
        return nullptr;
    }
    const Committee& committee;
    std::vector<std::vector<CertificatePtr>> rounds;
};

std::vector<CommittedSubDag> add_all(Bullshark& b, const std::vector<CertificatePtr>& level) {
    std::vector<CommittedSubDag> out;
    for (const auto& c : level) {
        auto committed = b.add(c);
        out.insert(out.end(), committed.begin(), committed.end());
    }
    return out;
}

TEST(Bullshark, CommitsLeaderWithValiditySupport) {
    const auto c = committee_of(4);
    Dag dag(c);
    Bullshark b(c, 50, {});
    EXPECT_TRUE(add_all(b, dag.add_round()).empty());
    EXPECT_TRUE(add_all(b, dag.add_round()).empty());
    const auto& round3 = dag.add_round();
    const CertificatePtr leader = dag.at(2, c.leader(2));
    EXPECT_TRUE(b.add(round3[0]).empty());  // support 1 < f+1 = 2
    auto committed = b.add(round3[1]);      // support 2: committed
    ASSERT_EQ(committed.size(), 1u);
    const auto& sd = committed[0];
    EXPECT_EQ(sd.index, 0u);
    EXPECT_TRUE(sd.direct);
    EXPECT_EQ(sd.supporters.size(), 2u);
    EXPECT_EQ(sd.leader, leader);
    // Causal history of the leader: all of round 1, then the leader; sorted by (round, author).
    ASSERT_EQ(sd.certificates.size(), 5u);
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(sd.certificates[i], dag.at(1, static_cast<AuthorityIndex>(i)));
    EXPECT_EQ(sd.certificates.back(), leader);
    EXPECT_EQ(b.state().last_leader_round, 2u);
    EXPECT_EQ(sd.timestamp_ms, 100u);  // the (f+1)-th smallest time of its parents (round 1)
    EXPECT_TRUE(add_all(b, std::vector<CertificatePtr>(round3.begin() + 2, round3.end())).empty());
}

TEST(Bullshark, MissingLeaderIsSkippedAndLaterLeadersCommit) {
    const auto c = committee_of(4);
    Dag dag(c);
    Bullshark b(c, 50, {});
    add_all(b, dag.add_round());
    std::vector<AuthorityIndex> without_leader;
    for (AuthorityIndex a = 0; a < 4; ++a) {
        if (a != c.leader(2)) without_leader.push_back(a);
    }
    add_all(b, dag.add_round(without_leader));
    EXPECT_TRUE(add_all(b, dag.add_round()).empty());
    add_all(b, dag.add_round());
    auto committed = add_all(b, dag.add_round());
    ASSERT_EQ(committed.size(), 1u);
    EXPECT_EQ(committed[0].leader->round(), 4u);
    // Everything of rounds 1-3 and the leader of round 4.
    EXPECT_EQ(committed[0].certificates.size(), 4u + 3u + 4u + 1u);
}

TEST(Bullshark, LeaderWithoutSupportIsCommittedThroughALaterLeaderPath) {
    const auto c = committee_of(4);
    Dag dag(c);
    Bullshark b(c, 50, {});
    add_all(b, dag.add_round());
    add_all(b, dag.add_round());
    const CertificatePtr leader2 = dag.at(2, c.leader(2));
    // Round 3: only one certificate references leader 2 (support 1 < 2).
    std::vector<CertificatePtr> round3;
    std::vector<CertificatePtr> without;
    for (const auto& p : dag.rounds[2]) {
        if (p != leader2) without.push_back(p);
    }
    round3.push_back(cert(3, 0, dag.rounds[2]));
    for (AuthorityIndex a = 1; a < 4; ++a) round3.push_back(cert(3, a, without));
    dag.rounds.push_back(round3);
    EXPECT_TRUE(add_all(b, round3).empty());
    add_all(b, dag.add_round());  // round 4 references all of round 3, including the supporter
    auto committed = add_all(b, dag.add_round());
    ASSERT_EQ(committed.size(), 2u);
    EXPECT_EQ(committed[0].leader, leader2);
    EXPECT_FALSE(committed[0].direct);
    EXPECT_EQ(committed[1].leader->round(), 4u);
    EXPECT_TRUE(committed[1].direct);
    EXPECT_EQ(committed[0].index, 0u);
    EXPECT_EQ(committed[1].index, 1u);
    // Nothing twice.
    std::set<Digest> seen;
    for (const auto& sd : committed) {
        for (const auto& x : sd.certificates) EXPECT_TRUE(seen.insert(x->digest).second);
    }
}

TEST(Bullshark, LeaderWithNoPathIsSkippedForGood) {
    const auto c = committee_of(4);
    Dag dag(c);
    Bullshark b(c, 50, {});
    add_all(b, dag.add_round());
    add_all(b, dag.add_round());
    const CertificatePtr leader2 = dag.at(2, c.leader(2));
    add_all(b, dag.add_round({}, [&](const CertificatePtr& p) { return p != leader2; }));
    add_all(b, dag.add_round());
    auto committed = add_all(b, dag.add_round());
    ASSERT_EQ(committed.size(), 1u);
    EXPECT_EQ(committed[0].leader->round(), 4u);
    for (const auto& x : committed[0].certificates) EXPECT_NE(x, leader2);
}

TEST(Bullshark, GarbageCollectionBoundsTheDagAndExcludesOldRounds) {
    const auto c = committee_of(4);
    Dag dag(c);
    Bullshark b(c, 4, {});
    std::vector<CommittedSubDag> all;
    for (int r = 0; r < 20; ++r) {
        auto committed = add_all(b, dag.add_round());
        all.insert(all.end(), committed.begin(), committed.end());
    }
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(b.gc_round(), b.state().last_leader_round - 4);
    EXPECT_LE(b.size(), 4u * (20 - b.gc_round()));
    for (const auto& sd : all) {
        for (const auto& x : sd.certificates) EXPECT_GT(x->round() + 4, sd.leader->round());
    }
    // Too old: ignored.
    EXPECT_TRUE(b.add(cert(1, 0, {})).empty());
    EXPECT_FALSE(b.contains(cert(1, 0, {})->digest));
}

TEST(Bullshark, ConflictingCertificateIsRefusedAndCounted) {
    const auto c = committee_of(4);
    Dag dag(c);
    Bullshark b(c, 50, {});
    const auto& round1 = dag.add_round();
    add_all(b, round1);
    Certificate other = round1[0]->certificate;
    other.header.created_at_ms += 1;
    EXPECT_TRUE(b.add(make_vertex(other)).empty());
    EXPECT_EQ(b.conflicting_certificates(), 1u);
    EXPECT_EQ(b.size(), 4u);
}

// A Byzantine leader writing a far-future created_at
// cannot move the commit time: it is the (f+1)-th smallest time of the leader's parents, and it
// never goes back.
TEST(Bullshark, ByzantineLeaderCannotMoveCommitTime) {
    const auto c = committee_of(4);
    const AuthorityIndex byzantine = c.leader(2);
    constexpr uint64_t far_future_ms = 1'000'000'000'000;
    auto at = [](Round round, AuthorityIndex author, const std::vector<CertificatePtr>& parents, uint64_t created_at_ms) {
        Certificate x;
        x.header.epoch = 1;
        x.header.round = round;
        x.header.author = author;
        x.header.created_at_ms = created_at_ms;
        for (const auto& p : parents) x.header.parents.push_back(p->digest);
        std::sort(x.header.parents.begin(), x.header.parents.end());
        return make_vertex(std::move(x));
    };
    auto build = [&](const std::vector<CertificatePtr>& parents, Round round, uint64_t honest_ms) {
        std::vector<CertificatePtr> level;
        for (AuthorityIndex a = 0; a < 4; ++a) {
            level.push_back(at(round, a, parents, a == byzantine ? far_future_ms : honest_ms + 10 * a));
        }
        return level;
    };
    const auto round1 = build(genesis(c), 1, 1'000);
    const auto round2 = build(round1, 2, 2'000);
    const auto round3 = build(round2, 3, 500);  // a later round with older honest times
    const auto round4 = build(round3, 4, 600);
    const auto round5 = build(round4, 5, 700);
    std::vector<uint64_t> honest_round1;
    for (AuthorityIndex a = 0; a < 4; ++a) {
        if (a != byzantine) honest_round1.push_back(1'000 + 10 * a);
    }
    auto run = [&](TestHooks hooks) {
        Bullshark b(c, 50, {}, hooks);
        std::vector<CommittedSubDag> out;
        for (const auto* level : {&round1, &round2, &round3, &round4, &round5}) {
            auto committed = add_all(b, *level);
            out.insert(out.end(), committed.begin(), committed.end());
        }
        return out;
    };
    const auto committed = run({});
    ASSERT_GE(committed.size(), 2u);
    ASSERT_EQ(committed[0].leader->author(), byzantine);
    // Leader of round 2: the 2nd smallest of its parents' times, an honest author's time.
    EXPECT_EQ(committed[0].timestamp_ms, honest_round1[1]);
    // Leader of round 4: its parents' (f+1)-th time (510) is older: the commit time stays.
    EXPECT_EQ(committed[1].leader->round(), 4u);
    EXPECT_EQ(committed[1].timestamp_ms, committed[0].timestamp_ms);
    // The rule this replaces (the newest leader's own time) let the leader set the clock.
    TestHooks old_rule;
    old_rule.trust_header_timestamps = true;
    EXPECT_EQ(run(old_rule)[0].timestamp_ms, far_future_ms);
}

TEST(Bullshark, RestartWithCommittedMarksContinuesTheSameStream) {
    const auto c = committee_of(4);
    Dag dag(c);
    for (int r = 0; r < 12; ++r) dag.add_round();
    // Uninterrupted.
    Bullshark full(c, 50, {});
    std::vector<CommittedSubDag> expected;
    for (size_t r = 1; r < dag.rounds.size(); ++r) {
        auto committed = add_all(full, dag.rounds[r]);
        expected.insert(expected.end(), committed.begin(), committed.end());
    }
    // Crash after round 7, restart from the persisted state and committed marks.
    Bullshark first(c, 50, {});
    std::vector<CommittedSubDag> got;
    std::set<Digest> committed_marks;
    for (size_t r = 1; r <= 7; ++r) {
        for (auto& sd : add_all(first, dag.rounds[r])) {
            for (const auto& x : sd.certificates) committed_marks.insert(x->digest);
            got.push_back(sd);
        }
    }
    Bullshark second(c, 50, first.state());
    for (const auto& d : committed_marks) second.mark_committed(d);
    for (size_t r = 1; r < dag.rounds.size(); ++r) {
        auto committed = add_all(second, dag.rounds[r]);
        got.insert(got.end(), committed.begin(), committed.end());
    }
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].index, expected[i].index);
        EXPECT_EQ(got[i].leader, expected[i].leader);
        ASSERT_EQ(got[i].certificates.size(), expected[i].certificates.size());
        for (size_t k = 0; k < got[i].certificates.size(); ++k) {
            EXPECT_EQ(got[i].certificates[k]->digest, expected[i].certificates[k]->digest);
        }
    }
}

}  // namespace
}  // namespace fleek::consensus
