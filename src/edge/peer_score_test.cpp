// PeerScores: the order in which the fetcher asks providers.
#include "edge/peer_score.h"

#include "edge/transfer_loopback_test.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

using crypto::NodePublicKey;

std::vector<NodePublicKey> keys(size_t count) {
    std::vector<NodePublicKey> out;
    for (size_t i = 0; i < count; ++i) out.push_back(loopback::node_key(static_cast<uint8_t>(i + 1)).public_key());
    return out;
}

std::vector<NodePublicKey> order(const std::vector<PeerRank>& ranks) {
    std::vector<NodePublicKey> out;
    for (const auto& rank : ranks) out.push_back(rank.peer);
    return out;
}

struct Inputs {
    std::map<NodePublicKey, RequesterPeerStats> stats;
    std::map<NodePublicKey, size_t> load;
    std::vector<uint64_t> draws;
    size_t next_draw = 0;

    std::vector<PeerRank> rank(const PeerScores& scores, const std::vector<NodePublicKey>& candidates, uint64_t now_ms) {
        next_draw = 0;
        return scores.rank(
            candidates, [&](const NodePublicKey& peer) { return stats[peer]; }, [&](const NodePublicKey& peer) { return load[peer]; },
            now_ms, [&] { return next_draw < draws.size() ? draws[next_draw++] : 0; });
    }
};

TEST(PeerScores, EqualPeersAreOrderedByTheInjectedDraws) {
    const auto peers = keys(3);
    PeerScores scores;
    Inputs inputs;
    inputs.draws = {30, 10, 20};
    EXPECT_EQ(order(inputs.rank(scores, peers, 0)), (std::vector<NodePublicKey>{peers[1], peers[2], peers[0]}));
    inputs.draws = {5, 50, 7};
    EXPECT_EQ(order(inputs.rank(scores, peers, 0)), (std::vector<NodePublicKey>{peers[0], peers[2], peers[1]}));
}

TEST(PeerScores, LatencyLoadAndSuccessRateOrderProviders) {
    const auto peers = keys(2);
    Inputs inputs;
    inputs.draws = {0, 1};  // ties would favour peers[0]
    {
        PeerScores scores;
        scores.on_first_block(peers[0], 80);
        scores.on_first_block(peers[1], 5);
        EXPECT_EQ(order(inputs.rank(scores, peers, 0)).front(), peers[1]) << "lower first-block latency first";
        EXPECT_EQ(scores.latency_ms(peers[1]), 5u);
        scores.on_first_block(peers[1], 45);  // averaged: (3 * 5 + 45) / 4
        EXPECT_EQ(scores.latency_ms(peers[1]), 15u);
    }
    {
        PeerScores scores;
        inputs.load[peers[0]] = 3;  // three transfers open with peers[0]
        EXPECT_EQ(order(inputs.rank(scores, peers, 0)).front(), peers[1]) << "the less loaded first";
        inputs.load.clear();
    }
    {
        PeerScores scores;
        inputs.stats[peers[0]].succeeded = 1;
        inputs.stats[peers[0]].failed = 3;
        inputs.stats[peers[1]].succeeded = 4;
        const auto ranked = inputs.rank(scores, peers, 0);
        EXPECT_EQ(ranked.front().peer, peers[1]) << "the higher success rate first";
        EXPECT_GT(ranked.back().cost, ranked.front().cost);
    }
}

TEST(PeerScores, FailuresMovePeersBackForAWhile) {
    const auto peers = keys(3);
    PeerScoreOptions options;
    options.cooldown_ms = 1000;
    options.distrust_ms = 5000;
    PeerScores scores(options);
    Inputs inputs;
    inputs.draws = {0, 1, 2};
    scores.on_first_block(peers[0], 1);  // the fastest of all
    scores.on_first_block(peers[1], 2);
    scores.on_first_block(peers[2], 90);
    scores.on_failure(peers[0], FetchFailure::proof_rejected, 100);
    scores.on_failure(peers[1], FetchFailure::peer_stalled, 100);
    EXPECT_EQ(scores.tier(peers[0], 100), PeerTier::distrusted);
    EXPECT_EQ(scores.tier(peers[1], 100), PeerTier::cooling);
    EXPECT_EQ(order(inputs.rank(scores, peers, 100)), (std::vector<NodePublicKey>{peers[2], peers[1], peers[0]}));
    // The cooldown ends before the distrust does.
    EXPECT_EQ(order(inputs.rank(scores, peers, 1100)), (std::vector<NodePublicKey>{peers[1], peers[2], peers[0]}));
    EXPECT_EQ(order(inputs.rank(scores, peers, 5100)), (std::vector<NodePublicKey>{peers[0], peers[1], peers[2]}));
    // Our own cancellations and disk failures say nothing about the peer.
    scores.on_failure(peers[2], FetchFailure::cancelled, 6000);
    scores.on_failure(peers[2], FetchFailure::store_failed, 6000);
    EXPECT_EQ(scores.tier(peers[2], 6000), PeerTier::good);
    // Protocol violations are distrusted like bad proofs.
    scores.on_failure(peers[2], FetchFailure::bad_frame, 6000);
    EXPECT_EQ(scores.tier(peers[2], 6000), PeerTier::distrusted);
}

}  // namespace
}  // namespace fleek::edge
