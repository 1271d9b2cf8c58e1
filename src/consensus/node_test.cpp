// The node as a state machine, driven directly (the simulator covers networks and faults).
#include "consensus/node.h"
#include "consensus/records.h"

#include <gtest/gtest.h>

#include <deque>

namespace fleek::consensus {
namespace {

Committee committee_of(size_t n) {
    std::vector<Member> members;
    for (size_t i = 0; i < n; ++i) {
        Bytes seed(32, static_cast<uint8_t>(i + 1));
        members.push_back(Member{crypto::NodeSecretKey::from_seed(seed).value().public_key(),
                                 crypto::bls::SecretKey::from_seed(seed).value().public_key()});
    }
    return Committee::create(1, std::move(members)).value();
}

Parameters fast_parameters() {
    Parameters p;
    p.batch_size_bytes = 1000;
    p.max_batch_delay_us = 10'000;
    p.min_header_delay_us = 10'000;
    p.max_header_delay_us = 50'000;
    p.gc_depth = 10;
    return p;
}

struct Cluster {
    explicit Cluster(size_t n, Parameters p = fast_parameters()) : committee(committee_of(n)), parameters(p) {
        stores.resize(n);
        for (auto& s : stores) s = std::make_unique<MemoryStore>();
        nodes.resize(n);
        outputs.resize(n);
        for (size_t i = 0; i < n; ++i) start(static_cast<AuthorityIndex>(i));
    }
    void start(AuthorityIndex i, TestHooks hooks = {}) {
        Node::Options options;
        options.parameters = parameters;
        options.hooks = hooks;
        options.rng_seed = i + 1;
        options.next_output_index = outputs[i].size();
        nodes[i] = std::make_unique<Node>(committee, i, make_test_scheme(committee, i), *stores[i], options, now);
        collect(i);
    }
    void collect(AuthorityIndex i) {
        if (!nodes[i]) return;
        for (auto& out : nodes[i]->take_outbound()) {
            if (!down.count(out.to)) queue.push_back({i, std::move(out)});
        }
        for (auto& o : nodes[i]->take_output()) outputs[i].push_back(std::move(o));
    }
    // Delivers queued messages and ticks every 5 ms until `until`.
    void run_until(TimeUs until) {
        while (now < until) {
            while (!queue.empty()) {
                auto [from, out] = std::move(queue.front());
                queue.pop_front();
                if (!nodes[out.to]) continue;
                nodes[out.to]->on_message(from, out.plane, out.bytes, now);
                collect(out.to);
            }
            now += 5'000;
            for (size_t i = 0; i < nodes.size(); ++i) {
                if (!nodes[i]) continue;
                nodes[i]->on_tick(now);
                collect(static_cast<AuthorityIndex>(i));
            }
        }
    }
    std::vector<Bytes> transactions(size_t i) const {
        std::vector<Bytes> out;
        for (const auto& o : outputs[i]) {
            for (const auto& tx : o.transactions) out.push_back(tx.bytes);
        }
        return out;
    }
    Committee committee;
    Parameters parameters;
    std::vector<std::unique_ptr<MemoryStore>> stores;
    std::vector<std::unique_ptr<Node>> nodes;
    std::vector<std::vector<CommittedOutput>> outputs;
    std::deque<std::pair<AuthorityIndex, Outbound>> queue;
    std::set<AuthorityIndex> down;
    TimeUs now = 1'000'000;
};

TEST(Node, CommitsTransactionsInTheSameOrderEverywhere) {
    Cluster cluster(4);
    for (int k = 0; k < 50; ++k) {
        Bytes tx(40, static_cast<uint8_t>(k));
        ASSERT_TRUE(cluster.nodes[k % 4]->submit_transaction(tx, cluster.now));
    }
    cluster.run_until(3'000'000);
    const auto reference = cluster.transactions(0);
    EXPECT_EQ(reference.size(), 50u);
    for (size_t i = 1; i < 4; ++i) EXPECT_EQ(cluster.transactions(i), reference);
    // Sequences are gap-free from 0 and sub-DAG indices count up.
    uint64_t sequence = 0;
    for (size_t k = 0; k < cluster.outputs[0].size(); ++k) {
        EXPECT_EQ(cluster.outputs[0][k].sub_dag_index, k);
        for (const auto& tx : cluster.outputs[0][k].transactions) EXPECT_EQ(tx.sequence, sequence++);
    }
    EXPECT_GT(cluster.nodes[0]->last_committed_round(), 10u);
    EXPECT_GT(cluster.nodes[0]->gc_round(), 0u);
}

TEST(Node, VotesAreDurableBeforeSendingAndNeverContradictedAfterARestart) {
    Cluster cluster(4);
    cluster.run_until(1'100'000);
    // Node 1 voted for node 0's round-1 header: the vote record is in its store.
    auto raw = cluster.stores[1]->get(Table::last_vote, key_u16(0)).value();
    ASSERT_TRUE(raw.has_value());
    const auto record = codec::decode<LastVoteRecord>(*raw).value();
    EXPECT_GE(record.round, 1u);
    // Restart node 1 and show it a different header by node 0 for that same round, validly signed.
    cluster.nodes[1] = nullptr;
    cluster.start(1);
    Header other;
    other.epoch = 1;
    other.round = record.round;
    other.author = 0;
    other.created_at_ms = 123456;
    for (const auto& g : genesis(cluster.committee)) other.parents.push_back(g->digest);
    if (record.round > 1) {
        other.parents.clear();
        for (AuthorityIndex a = 0; a < 4; ++a) {
            if (auto c = cluster.nodes[1]->certificate_at(record.round - 1, a)) other.parents.push_back(c->digest);
        }
    }
    std::sort(other.parents.begin(), other.parents.end());
    const Digest digest = other.digest();
    ASSERT_NE(digest, record.header);
    other.signature = make_test_scheme(cluster.committee, 0)->sign(header_statement(cluster.committee, other, digest));
    const uint64_t votes_before = cluster.nodes[1]->stats().votes_sent;
    cluster.nodes[1]->on_message(0, Plane::primary, encode_message(other), cluster.now);
    for (const auto& out : cluster.nodes[1]->take_outbound()) {
        auto m = decode_message(out.bytes).value();
        EXPECT_FALSE(std::holds_alternative<Vote>(m)) << "voted for a second header of one round";
    }
    EXPECT_EQ(cluster.nodes[1]->stats().votes_sent, votes_before);
    EXPECT_EQ(cluster.nodes[1]->stats().equivocations_refused, 1u);
}

TEST(Node, LastProposedHeaderSurvivesARestart) {
    Cluster cluster(4);
    cluster.down = {1, 2, 3};  // node 0 alone: it proposes round 1 and can go no further
    cluster.queue.clear();     // (the round-1 headers proposed at start never arrive)
    cluster.run_until(1'200'000);
    auto raw = cluster.stores[0]->get(Table::last_proposed, {}).value();
    ASSERT_TRUE(raw.has_value());
    const Header proposed = codec::decode<Header>(*raw).value();
    EXPECT_EQ(proposed.round, 1u);
    EXPECT_EQ(cluster.nodes[0]->round(), 1u);
    cluster.nodes[0] = nullptr;
    cluster.down.clear();
    cluster.start(0);
    EXPECT_EQ(cluster.nodes[0]->round(), 1u);
    cluster.nodes[0]->on_tick(cluster.now + 10);
    bool resent = false;
    const auto outbound = cluster.nodes[0]->take_outbound();
    EXPECT_FALSE(outbound.empty());
    for (const auto& out : outbound) {
        auto m = decode_message(out.bytes).value();
        if (auto* h = std::get_if<Header>(&m)) {
            EXPECT_EQ(*h, proposed);  // the same header, not a new one for round 1
            resent = true;
        }
    }
    EXPECT_TRUE(resent);
}

TEST(Node, RestartResumesWithoutCommittingTwiceOrSkipping) {
    Cluster cluster(4);
    for (int k = 0; k < 20; ++k) ASSERT_TRUE(cluster.nodes[k % 4]->submit_transaction(Bytes(30, static_cast<uint8_t>(k)), cluster.now));
    cluster.run_until(1'500'000);
    const uint64_t before = cluster.nodes[2]->committed_sub_dags();
    ASSERT_GT(before, 0u);
    cluster.nodes[2] = nullptr;
    cluster.start(2);
    EXPECT_EQ(cluster.nodes[2]->committed_sub_dags(), before);
    for (int k = 20; k < 40; ++k) ASSERT_TRUE(cluster.nodes[k % 4]->submit_transaction(Bytes(30, static_cast<uint8_t>(k)), cluster.now));
    cluster.run_until(3'000'000);
    EXPECT_EQ(cluster.transactions(2), cluster.transactions(0));
    EXPECT_EQ(cluster.transactions(0).size(), 40u);
    for (size_t k = 0; k < cluster.outputs[2].size(); ++k) EXPECT_EQ(cluster.outputs[2][k].sub_dag_index, k);
}

TEST(Node, StorageFailureHaltsTheNode) {
    Cluster cluster(4);
    cluster.run_until(1'050'000);
    cluster.stores[3]->fail_next_write();
    for (int k = 0; k < 100 && !cluster.nodes[3]->halted(); ++k) cluster.run_until(cluster.now + 5'000);
    EXPECT_TRUE(cluster.nodes[3]->halted());
    EXPECT_TRUE(cluster.nodes[3]->take_outbound().empty());
    EXPECT_EQ(cluster.nodes[3]->submit_transaction(Bytes(10, 1), cluster.now).error(), SubmitError::halted);
    // The others keep going without it.
    const Round before = cluster.nodes[0]->last_committed_round();
    cluster.run_until(cluster.now + 1'000'000);
    EXPECT_GT(cluster.nodes[0]->last_committed_round(), before);
}

TEST(Node, SubmissionLimits) {
    Parameters p = fast_parameters();
    p.max_pending_batches = 2;
    Cluster cluster(4, p);
    cluster.down = {1, 2, 3};  // no acknowledgements: sealed batches stay pending
    cluster.queue.clear();
    EXPECT_EQ(cluster.nodes[0]->submit_transaction(Bytes(transaction_bytes_max + 1, 0), cluster.now).error(),
              SubmitError::too_large);
    size_t accepted = 0;
    for (int k = 0; k < 100; ++k) {
        if (cluster.nodes[0]->submit_transaction(Bytes(600, static_cast<uint8_t>(k)), cluster.now)) {
            ++accepted;
        } else {
            EXPECT_EQ(cluster.nodes[0]->submit_transaction(Bytes(600, 1), cluster.now).error(), SubmitError::busy);
            break;
        }
    }
    EXPECT_EQ(accepted, 4u);  // two sealed batches of two 600-byte transactions each
}

TEST(Node, MalformedAndOutOfBoundsInputIsCountedAndDropped) {
    Cluster cluster(4);
    Node& node = *cluster.nodes[0];
    node.on_message(1, Plane::primary, Bytes{0xff, 0x00}, cluster.now);                  // unknown tag
    node.on_message(1, Plane::worker, encode_message(BatchAck{1, {}}), cluster.now + 1);  // fine
    node.on_message(1, Plane::primary, encode_message(BatchAck{1, {}}), cluster.now);     // wrong plane
    node.on_message(1, Plane::worker, encode_message(BatchAck{2, {}}), cluster.now);      // wrong epoch
    node.on_message(0, Plane::worker, encode_message(BatchAck{1, {}}), cluster.now);      // from itself
    node.on_message(9, Plane::worker, encode_message(BatchAck{1, {}}), cluster.now);      // not a member
    EXPECT_EQ(node.stats().malformed, 5u);
    // A validly signed header far above our round is dropped before anything is fetched.
    Header far;
    far.epoch = 1;
    far.round = 1'000'000;
    far.author = 2;
    for (const auto& g : genesis(cluster.committee)) far.parents.push_back(g->digest);
    std::sort(far.parents.begin(), far.parents.end());
    far.signature = make_test_scheme(cluster.committee, 2)->sign(header_statement(cluster.committee, far, far.digest()));
    node.on_message(2, Plane::primary, encode_message(far), cluster.now);
    EXPECT_EQ(node.stats().too_far_ahead, 1u);
    EXPECT_EQ(node.pending_headers(), 0u);
    // A bad signature is rejected.
    Header bad = far;
    bad.round = 2;
    bad.signature[0] ^= 1;
    node.on_message(2, Plane::primary, encode_message(bad), cluster.now);
    EXPECT_EQ(node.stats().bad_signatures, 1u);
}

TEST(Node, WaitingRoomsAreBounded) {
    Parameters p = fast_parameters();
    p.max_pending_headers = 8;
    p.max_suspended_certificates = 8;
    Cluster cluster(4, p);
    Node& node = *cluster.nodes[0];
    const auto signer = make_test_scheme(cluster.committee, 2);
    for (uint64_t k = 0; k < 50; ++k) {
        // Headers of round 5 whose parents nobody has: parked, up to the bound.
        Header h;
        h.epoch = 1;
        h.round = 5;
        h.author = 2;
        h.created_at_ms = k;
        for (uint8_t q = 0; q < 3; ++q) {
            Digest d{};
            d.fill(static_cast<uint8_t>(k * 3 + q + 1));
            h.parents.push_back(d);
        }
        std::sort(h.parents.begin(), h.parents.end());
        h.signature = signer->sign(header_statement(cluster.committee, h, h.digest()));
        node.on_message(2, Plane::primary, encode_message(h), cluster.now);
    }
    EXPECT_LE(node.pending_headers(), 8u);
    EXPECT_GT(node.stats().dropped_pending, 0u);
    EXPECT_LE(node.outstanding_fetches(), p.max_outstanding_fetches);
}

}  // namespace
}  // namespace fleek::consensus
