// The node as a state machine, driven directly (the simulator covers networks and faults).
#include "consensus/node.h"
#include "consensus/node_test_support.h"
#include "consensus/records.h"

#include <gtest/gtest.h>

#include <deque>

namespace fleek::consensus {
namespace {

using namespace testing;

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
    // Small bounds: pending headers 8 (a share of 2 per author), fetches 12 (3 per peer).
    Parameters p = fast_parameters();
    p.max_pending_headers = 8;
    p.max_suspended_certificates = 8;
    p.max_outstanding_fetches = 12;
    Cluster cluster(4, p);
    Node& node = *cluster.nodes[0];
    for (AuthorityIndex author = 1; author < 4; ++author) {
        for (uint64_t k = 0; k < 20; ++k) {
            // Headers of round 5 whose parents nobody has: parked and their parents fetched, up
            // to the bounds; 3 x 20 x 3 = 180 fetches are wanted.
            std::vector<Digest> parents;
            for (uint8_t q = 0; q < 3; ++q) {
                Digest d{};
                d.fill(static_cast<uint8_t>(author * 64 + k * 3 + q + 1));
                parents.push_back(d);
            }
            node.on_message(author, Plane::primary, encode_message(signed_header(cluster.committee, 5, author, parents, k)),
                            cluster.now);
        }
    }
    EXPECT_EQ(node.pending_headers(), 6u);  // 2 per author
    for (AuthorityIndex author = 1; author < 4; ++author) EXPECT_EQ(node.pending_headers_of(author), 2u);
    // Each author's first header fills its fetch share (3 parents); nothing beyond the bound.
    EXPECT_EQ(node.outstanding_fetches(), 9u);
    EXPECT_LE(node.outstanding_fetches(), p.max_outstanding_fetches);
    for (AuthorityIndex author = 1; author < 4; ++author) EXPECT_EQ(node.fetches_owned_by(author), 3u);
    EXPECT_GT(node.stats().dropped_pending, 0u);
    // Ticks re-ask (the waiting headers still need their parents) without growing past the bound.
    for (int k = 0; k < 20; ++k) {
        node.on_tick(cluster.now + 500'000 * (k + 1));
        EXPECT_LE(node.outstanding_fetches(), p.max_outstanding_fetches);
    }
}

}  // namespace
}  // namespace fleek::consensus
