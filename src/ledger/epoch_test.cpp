// Epoch change end to end: ChangeEpoch signals, the commit–reveal beacon with its timeouts and
// penalties, committee selection, rewards, reputation, participation and pruning, checkpoints.
#include "ledger/checkpoint.h"
#include "ledger/epoch.h"
#include "ledger/epoch_fixture_test.h"
#include "ledger/prng.h"
#include "ledger/rewards.h"
#include "util/file.h"

#include <set>

namespace fleek::ledger {
namespace {

TEST_F(Epochs, FullEpochChangeSelectsTheCommitteeWithTheBeacon) {
    const std::vector<NodeIndex> before = members();
    EXPECT_EQ(before, (std::vector<NodeIndex>{0, 1, 2, 3}));
    const uint64_t round = 0;
    const BlockResult result = change_epoch();
    ASSERT_TRUE(result.epoch_changed);
    EXPECT_TRUE(result.committee_changed);
    EXPECT_EQ(result.epoch, 1u);
    EXPECT_EQ(ledger->epoch(), 1u);
    const auto& last = result.receipts.back();
    EXPECT_EQ(std::get<EpochChangeOutput>(last.output).epoch, 1u);
    // Recompute the committee independently: the beacon output of the four reveals, then the
    // documented ChaCha20 Fisher–Yates selection from the active set (all 7 nodes, equal stake).
    std::vector<RevealedValue> reveals;
    for (const NodeIndex m : before) reveals.push_back(RevealedValue{m, secret(m, 0, round)});
    const Hash32 seed = beacon_output(0, round, reveals);
    const CommitteeInfo committee = ledger->committee(1).value();
    EXPECT_EQ(committee.beacon_seed, seed);
    EXPECT_EQ(committee.active_set, (std::vector<NodeIndex>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(committee.members, select_committee(committee.active_set, 4, seed));
    EXPECT_EQ(committee.start_ms, timestamp_ms);
    EXPECT_EQ(committee.end_ms, timestamp_ms + ledger->params().epoch_time_ms);
    EXPECT_EQ(committee.phase.kind, BeaconPhaseKind::none);
    // The committee the consensus layer reads: keys and ports of each member.
    const auto current = ledger->current_committee();
    ASSERT_EQ(current.size(), 4u);
    for (const CommitteeMember& member : current) {
        EXPECT_EQ(member.node_key, net->nodes[member.index].node_key.public_key());
        EXPECT_EQ(member.consensus_key, net->nodes[member.index].consensus_key.public_key());
        EXPECT_EQ(member.ports.pool, 10000 + 10 * member.index);
    }
    // A second epoch works the same way with the new committee.
    const BlockResult second = change_epoch();
    EXPECT_TRUE(second.epoch_changed);
    EXPECT_EQ(ledger->epoch(), 2u);
}

TEST_F(Epochs, ChangeEpochRules) {
    const auto change = [&](NodeIndex node, Epoch epoch) { return net->node_tx(node, ChangeEpoch{epoch}); };
    reverts(change(0, 0), TxError::epoch_not_ended);
    move_to(ledger->epoch_info().transition_ms);
    reverts(change(0, 1), TxError::wrong_epoch);
    reverts(change(5, 0), TxError::not_committee_member);
    reverts(net->account_tx(0, ChangeEpoch{0}), TxError::only_node);
    ok(net->sign(net->nodes[3].owner, Unstake{3, net->genesis.nodes[3].stake}));
    reverts(change(3, 0), TxError::not_participating);
    ok(change(0, 0));
    reverts(change(0, 0), TxError::already_signaled);
    ok(change(1, 0));
    EXPECT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::none);  // 2 of 4: no quorum yet
    ok(change(2, 0));
    EXPECT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::commit);  // ⌊2·4/3⌋ + 1 = 3
    EXPECT_EQ(ledger->epoch_info().phase.round, 0u);
}

TEST_F(Epochs, BeaconCommitAndRevealRules) {
    const Hash32 commitment = beacon_commitment(0, 0, 0, secret(0, 0, 0));
    reverts(net->node_tx(0, BeaconCommit{0, 0, commitment}), TxError::beacon_wrong_phase);
    move_to(ledger->epoch_info().transition_ms);
    expect_all_succeed(run_block(from_members([&](NodeIndex) { return ChangeEpoch{0}; })));
    reverts(net->node_tx(0, BeaconCommitTimeout{0, 0}), TxError::phase_not_expired);
    reverts(net->node_tx(0, BeaconCommit{0, 1, commitment}), TxError::beacon_wrong_round);
    reverts(net->node_tx(0, BeaconCommit{1, 0, commitment}), TxError::wrong_epoch);
    reverts(net->node_tx(5, BeaconCommit{0, 0, commitment}), TxError::not_committee_member);
    ok(net->node_tx(0, BeaconCommit{0, 0, commitment}));
    reverts(net->node_tx(0, BeaconCommit{0, 0, commitment}), TxError::beacon_already_committed);
    reverts(net->node_tx(0, BeaconReveal{0, 0, secret(0, 0, 0)}), TxError::beacon_wrong_phase);
    for (const NodeIndex m : {1u, 2u}) ok(net->node_tx(m, BeaconCommit{0, 0, beacon_commitment(0, 0, m, secret(m, 0, 0))}));
    move_to(ledger->epoch_info().phase.start_ms + ledger->params().beacon_commit_phase_ms + 1000);
    reverts(net->node_tx(0, BeaconCommitTimeout{0, 1}), TxError::beacon_wrong_round);
    ok(net->node_tx(0, BeaconCommitTimeout{0, 0}));
    reverts(net->node_tx(0, BeaconCommitTimeout{0, 0}), TxError::already_signaled);
    ok(net->node_tx(1, BeaconCommitTimeout{0, 0}));
    ok(net->node_tx(2, BeaconCommitTimeout{0, 0}));
    ASSERT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::reveal);  // 3 committed of 4 ≥ quorum
    reverts(net->node_tx(0, BeaconRevealTimeout{0, 0}), TxError::phase_not_expired);
    reverts(net->node_tx(0, BeaconCommit{0, 0, commitment}), TxError::beacon_wrong_phase);
    reverts(net->node_tx(3, BeaconReveal{0, 0, secret(3, 0, 0)}), TxError::beacon_not_committed);
    reverts(net->node_tx(0, BeaconReveal{0, 0, secret(1, 0, 0)}), TxError::beacon_invalid_reveal);
    reverts(net->node_tx(0, BeaconReveal{0, 1, secret(0, 0, 0)}), TxError::beacon_wrong_round);
    ok(net->node_tx(0, BeaconReveal{0, 0, secret(0, 0, 0)}));
    reverts(net->node_tx(0, BeaconReveal{0, 0, secret(0, 0, 0)}), TxError::beacon_already_revealed);
}

TEST_F(Epochs, TooFewCommitmentsStartANewRound) {
    move_to(ledger->epoch_info().transition_ms);
    expect_all_succeed(run_block(from_members([&](NodeIndex) { return ChangeEpoch{0}; })));
    commit_round({0, 1});  // only 2 of 4 commit
    EXPECT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::commit);
    EXPECT_EQ(ledger->epoch_info().phase.round, 1u);
    commit_round();
    const BlockResult result = reveal_round();
    EXPECT_TRUE(result.epoch_changed);
}

TEST_F(Epochs, NonRevealersAreSlashedAndBarredForTheEpoch) {
    const U256 fund = ledger->balance(net->protocol_fund.address(), Token::flk);
    const U256 supply = ledger->chain_info().flk_supply;
    signal_and_commit();
    const BlockResult first = reveal_round({2});
    EXPECT_FALSE(first.epoch_changed);
    const U256 penalty = ledger->params().non_reveal_slash_amount;
    EXPECT_EQ(ledger->node(2)->staked, net->genesis.nodes[2].stake - penalty);
    EXPECT_EQ(ledger->balance(net->protocol_fund.address(), Token::flk), fund + penalty);
    EXPECT_EQ(ledger->chain_info().flk_supply, supply);  // moved, not burned
    EXPECT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::commit);
    EXPECT_EQ(ledger->epoch_info().phase.round, 1u);
    reverts(net->node_tx(2, BeaconCommit{0, 1, beacon_commitment(0, 1, 2, secret(2, 0, 1))}), TxError::beacon_non_revealer);
    commit_round({2});
    const BlockResult second = reveal_round({2});
    EXPECT_TRUE(second.epoch_changed);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Epochs, RewardsPayRevenueAndEmitExactlyTheEpochEmission) {
    // Node 1 serves 10 M bytes (1,000 units of stables) and node 2 1 M, with node 2's stake
    // locked for the full boost.
    ok(net->sign(net->nodes[2].owner, StakeLock{2, ledger->params().max_stake_lock_time_epochs}));
    ok(net->node_tx(1, SubmitDeliveryAcknowledgments{{net->receipt(0, 0, 1, 0, 1, 0, 10'000'000)}}));
    ok(net->node_tx(2, SubmitDeliveryAcknowledgments{{net->receipt(1, 0, 2, 0, 2, 0, 1'000'000)}}));
    const ProtocolParams params = ledger->params();
    const ChainInfo before = ledger->chain_info();
    const auto owner1 = net->nodes[1].owner.address();
    const auto owner2 = net->nodes[2].owner.address();
    const auto builder = net->governance.address();  // owner of service 0
    const auto fund = net->protocol_fund.address();
    const U256 flk1 = ledger->balance(owner1, Token::flk), flk2 = ledger->balance(owner2, Token::flk);
    const U256 st1 = ledger->balance(owner1, Token::stables), st2 = ledger->balance(owner2, Token::stables);
    const U256 builder_st = ledger->balance(builder, Token::stables), fund_st = ledger->balance(fund, Token::stables);
    const U256 builder_flk = ledger->balance(builder, Token::flk), fund_flk = ledger->balance(fund, Token::flk);

    ASSERT_TRUE(change_epoch().epoch_changed);

    const U256 emission = before.flk_supply_year_start * params.max_inflation_bps / 10'000 / params.epochs_per_year;
    EXPECT_GT(emission, U256(0));
    EXPECT_EQ(ledger->chain_info().flk_supply, before.flk_supply + emission);
    EXPECT_EQ(ledger->epoch_totals(0)->flk_minted, emission);
    EXPECT_EQ(ledger->epoch_totals(0)->reward_pool, U256(0));
    // Stables: 80 % of each node's revenue, 10 % to the service's builder, the rest to the fund.
    EXPECT_EQ(ledger->balance(owner1, Token::stables), st1 + 800);
    EXPECT_EQ(ledger->balance(owner2, Token::stables), st2 + 80);
    EXPECT_EQ(ledger->balance(builder, Token::stables), builder_st + 110);
    EXPECT_EQ(ledger->balance(fund, Token::stables), fund_st + (1100 - 800 - 80 - 110));
    // FLK: node emission split by revenue × boost (node 2: the maximum boost, ×4).
    const U256 node_emission = emission * params.node_share_percent / 100;
    const U256 w1 = U256(1000) * 1000;
    const U256 w2 = U256(100) * (1000 + (params.max_boost - 1) * 1000);
    EXPECT_EQ(ledger->balance(owner1, Token::flk), flk1 + node_emission * w1 / (w1 + w2));
    EXPECT_EQ(ledger->balance(owner2, Token::flk), flk2 + node_emission * w2 / (w1 + w2));
    const U256 builder_emission = emission * params.service_builder_share_percent / 100;
    EXPECT_EQ(ledger->balance(builder, Token::flk), builder_flk + builder_emission);
    const U256 paid = node_emission * w1 / (w1 + w2) + node_emission * w2 / (w1 + w2) + builder_emission;
    EXPECT_EQ(ledger->balance(fund, Token::flk), fund_flk + (emission - paid));
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Epochs, NoRevenueMeansNoEmission) {
    const U256 supply = ledger->chain_info().flk_supply;
    ASSERT_TRUE(change_epoch().epoch_changed);
    EXPECT_EQ(ledger->chain_info().flk_supply, supply);
}

TEST_F(Epochs, ParticipationReputationContentAndPruningAtEpochChange) {
    // Node 5 opts out (becomes inactive), node 6 leaves and comes back (stays active).
    ok(net->node_tx(5, OptOut{}));
    Hash32 content{};
    content.fill(7);
    ok(net->node_tx(5, UpdateContentRegistry{{{content, false}}}));
    ok(net->node_tx(6, UpdateContentRegistry{{{content, false}}}));
    // Everyone measures everyone.
    std::vector<Bytes> reports;
    for (NodeIndex reporter = 0; reporter < 7; ++reporter) {
        std::vector<ReputationReport> list;
        for (NodeIndex peer = 0; peer < 7; ++peer) {
            if (peer == reporter) continue;
            Measurements m;
            m.latency_ms = 10 + peer;
            m.interactions = static_cast<uint64_t>(int64_t{5} + peer);
            m.uptime_percent = static_cast<uint8_t>(peer == 4 ? 20 : 100);  // node 4 was mostly down
            m.bytes_sent = 1000 * (peer + 1);
            list.push_back(ReputationReport{peer, m});
        }
        reports.push_back(net->node_tx(reporter, SubmitReputationMeasurements{list}));
    }
    const BlockResult submitted = run_block(reports);
    for (const auto& receipt : submitted.receipts) EXPECT_EQ(receipt.status, ReceiptStatus::success);
    const TransactionReceipt some_tx = submitted.receipts.front();
    ASSERT_TRUE(change_epoch().epoch_changed);

    EXPECT_EQ(ledger->node(5)->participation, Participation::inactive);
    EXPECT_EQ(ledger->node(4)->participation, Participation::inactive);  // uptime 20 < 40
    EXPECT_EQ(ledger->node(6)->participation, Participation::active);
    EXPECT_EQ(ledger->content_providers(content), (std::vector<NodeIndex>{6}));
    const CommitteeInfo committee = ledger->committee(1).value();
    EXPECT_EQ(committee.active_set, (std::vector<NodeIndex>{0, 1, 2, 3, 6}));
    // Scores and EigenTrust values computed independently from the documented rules by
    // tests/vectors/ledger/reputation_vector.py (the score was only checked to be ≤ 100 before,
    // which the clamp guarantees for any input).
    const uint8_t expected_score[] = {24, 25, 27, 28, 24, 29, 31};
    const uint64_t expected_trust[] = {116772377, 130947452, 144552027, 157581421, 137780211, 150244289, 162122119};
    for (NodeIndex n = 0; n < 7; ++n) {
        const auto score = ledger->reputation(n);
        ASSERT_TRUE(score.has_value()) << n;
        EXPECT_EQ(score->score, expected_score[n]) << n;
        EXPECT_EQ(score->trust, expected_trust[n]) << n;
        EXPECT_EQ(score->uptime_percent, std::optional<uint8_t>(n == 4 ? 20 : 100)) << n;
        EXPECT_EQ(score->updated_epoch, 0u);
    }
    EXPECT_EQ(ledger->reputation(4)->uptime_percent, std::optional<uint8_t>(20));
    EXPECT_LT(ledger->reputation(4)->score, ledger->reputation(6)->score);
    // Measurements are cleared; a node may submit again in the new epoch.
    EXPECT_FALSE(ledger->state_value(tables::measurement(1, 0)).has_value());
    // Executed digests of epoch 0 stay through epoch 1 and go at the next change.
    EXPECT_TRUE(ledger->digest_executed(some_tx.digest));
    ASSERT_TRUE(change_epoch().epoch_changed);
    EXPECT_FALSE(ledger->digest_executed(some_tx.digest));
    EXPECT_FALSE(ledger->state_value(tables::executed(0, some_tx.digest)).has_value());
}

TEST_F(Epochs, CheckpointAtEpochChangeRestoresTheSameRoot) {
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 5}));
    const BlockResult result = change_epoch();
    ASSERT_TRUE(result.checkpoint.has_value());
    const CheckpointInfo& info = *result.checkpoint;
    EXPECT_EQ(info.epoch, 1u);
    EXPECT_EQ(info.height, result.height);
    EXPECT_EQ(info.state_root, result.state_root);
    const Bytes bytes = read_file(info.path, FileReadOptions{64 << 20, false}).value();
    EXPECT_EQ(checkpoint_hash(bytes), info.hash);
    EXPECT_EQ(bytes, ledger->checkpoint());  // the file is the state right after that block
    const Checkpoint decoded = decode_checkpoint(bytes).value();
    EXPECT_EQ(decoded.header.state_root, result.state_root);

    testing::ScratchDirectory other;
    auto restored = Ledger::restore(other.path(), net->genesis, bytes);
    ASSERT_TRUE(restored.has_value()) << restored.error().message;
    EXPECT_EQ((*restored)->state_root(), result.state_root);
    EXPECT_EQ((*restored)->height(), result.height);
    EXPECT_EQ((*restored)->epoch(), 1u);
    // Both continue identically.
    const Bytes tx = net->account_tx(1, Transfer{Token::flk, address(2).bytes(), 9});
    const auto block = testing::make_block(result.height + 1, timestamp_ms + 1000, {tx});
    EXPECT_EQ((*restored)->execute(block)->state_root, ledger->execute(block)->state_root);
    timestamp_ms += 1000;
    restored->reset();
    // Restoring into a directory that holds a ledger, a checkpoint of another genesis, or a
    // tampered checkpoint fails.
    EXPECT_EQ(Ledger::restore(other.path(), net->genesis, bytes).error().code, LedgerErrorCode::not_empty);
    testing::ScratchDirectory third;
    testing::TestNetwork other_net(testing::NetworkShape{7, 4, 4, 2, 99, 59330});
    EXPECT_EQ(Ledger::restore(third.path(), other_net.genesis, bytes).error().code, LedgerErrorCode::invalid_checkpoint);
    Checkpoint tampered = decoded;
    tampered.entries[tampered.entries.size() / 2].second.push_back(0);
    EXPECT_EQ(Ledger::restore(third.path(), net->genesis, encode_checkpoint(tampered)).error().code,
              LedgerErrorCode::invalid_checkpoint);
    // Older checkpoint files are pruned (two kept).
    change_epoch();
    change_epoch();
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir->path() / "checkpoints")) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 2u);
}

TEST_F(Epochs, EmptyActiveSetKeepsTheCommittee) {
    for (NodeIndex n = 0; n < 7; ++n) ok(net->node_tx(n, OptOut{}));
    ASSERT_TRUE(change_epoch().epoch_changed);
    EXPECT_EQ(ledger->committee(1)->members, (std::vector<NodeIndex>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace fleek::ledger
