// Per-epoch records older than record_retention_epochs are pruned at the epoch change, the same
// way in every execution and consistently with the state root; slash evidence from pruned epochs
// is refused. And the committee seed when no member revealed is not known before its block.
#include "ledger/checkpoint.h"
#include "ledger/epoch_fixture_test.h"
#include "ledger/prng.h"

namespace fleek::ledger {
namespace {

class Retention : public Epochs {
protected:
    SignedStatement header(NodeIndex node, Epoch epoch, uint64_t round, uint8_t subject) const {
        ConsensusStatement s;
        s.kind = StatementKind::header;
        s.epoch = epoch;
        s.round = round;
        s.origin = net->nodes[node].consensus_key.public_key().bytes();
        s.subject.fill(subject);
        return sign_statement(s, net->nodes[node].consensus_key);
    }
    Bytes slash_tx(NodeIndex node, Epoch epoch, uint64_t round) {
        return net->account_tx(3, Slash{node, header(node, epoch, round, 1), header(node, epoch, round, 2)});
    }

    // Delivery work, a withdrawal and a slash in the current epoch.
    void make_records() {
        const Epoch epoch = ledger->epoch();
        ok(net->node_tx(1, SubmitDeliveryAcknowledgments{{net->receipt(0, 0, 1, 0, static_cast<uint8_t>(epoch), epoch, 2'000'000)}}));
        ok(net->account_tx(0, Withdraw{Token::flk, flk_unit(), address(0).bytes()}));
        ok(slash_tx(5, epoch, 100 + epoch));
    }

    size_t entries_of(tables::Table table, std::optional<Epoch> epoch = std::nullopt) const {
        size_t count = 0;
        ledger->for_each_entry([&](ByteSpan key, ByteSpan) {
            if (key[0] != static_cast<uint8_t>(table)) return;
            if (!epoch || tables::read_u64_be(key, 1) == *epoch) ++count;
        });
        return count;
    }
    bool has_epoch_records(Epoch epoch) const {
        return ledger->committee(epoch).has_value() && ledger->served(epoch, 1).has_value() &&
               ledger->epoch_totals(epoch).has_value() && ledger->state_value(tables::service_revenue(epoch, 0)).has_value() &&
               ledger->withdraw(epoch).has_value() && entries_of(tables::Table::slash, epoch) == 1;
    }
    bool has_no_epoch_records(Epoch epoch) const {
        return !ledger->committee(epoch) && !ledger->served(epoch, 1) && !ledger->epoch_totals(epoch) &&
               !ledger->state_value(tables::service_revenue(epoch, 0)) && !ledger->withdraw(epoch) &&
               entries_of(tables::Table::slash, epoch) == 0;
    }
};

TEST_F(Retention, OldRecordsArePrunedRecentOnesStay) {
    ok(net->governance_tx(ChangeProtocolParam{ParamId::record_retention_epochs, 2}));
    make_records();  // epoch 0 (withdraw id 0)
    ASSERT_TRUE(change_epoch().epoch_changed);
    EXPECT_TRUE(has_epoch_records(0));  // epochs 0 and 1 are the last two
    EXPECT_EQ(ledger->chain_info().oldest_record_epoch, 0u);
    make_records();  // epoch 1 (withdraw id 1)
    ASSERT_TRUE(change_epoch().epoch_changed);

    EXPECT_TRUE(has_no_epoch_records(0));
    EXPECT_TRUE(has_epoch_records(1));
    EXPECT_TRUE(ledger->committee(2).has_value());
    EXPECT_EQ(ledger->chain_info().oldest_record_epoch, 1u);
    // Evidence from epoch 0, whose slash records are gone, cannot be used (again or at all).
    reverts(slash_tx(5, 0, 100), TxError::evidence_expired);
    reverts(slash_tx(6, 0, 7), TxError::evidence_expired);
    // Statements of two different epochs are not conflicting.
    reverts(net->account_tx(3, Slash{6, header(6, 1, 7, 1), header(6, 2, 7, 2)}), TxError::evidence_not_conflicting);
    // Raising the window later does not bring epoch 0 back.
    ok(net->governance_tx(ChangeProtocolParam{ParamId::record_retention_epochs, 100}));
    make_records();  // epoch 2
    ASSERT_TRUE(change_epoch().epoch_changed);
    EXPECT_EQ(ledger->chain_info().oldest_record_epoch, 1u);
    EXPECT_TRUE(has_epoch_records(1));
    EXPECT_TRUE(has_epoch_records(2));
    reverts(slash_tx(5, 0, 100), TxError::evidence_expired);
    // Every table still holds only well-formed entries; the supply is intact.
    ledger->for_each_entry([&](ByteSpan key, ByteSpan value) { EXPECT_TRUE(valid_state_entry(key, value)) << hex_encode(key); });
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);

    // The root is the root of the entries left: a ledger restored from them recomputes it.
    testing::ScratchDirectory restored_dir;
    auto restored = Ledger::restore(restored_dir.path(), net->genesis, ledger->checkpoint());
    ASSERT_TRUE(restored.has_value()) << restored.error().message;
    EXPECT_EQ((*restored)->state_root(), ledger->state_root());
    // A second execution of the same blocks prunes the same entries: same roots, same state.
    testing::ScratchDirectory replay_dir;
    LedgerOptions options;
    options.sync_writes = false;
    auto replica = std::move(Ledger::open(replay_dir.path(), net->genesis, options).value());
    for (const Block& block : blocks) {
        auto result = replica->execute(block);
        ASSERT_TRUE(result.has_value());
    }
    EXPECT_EQ(replica->state_root(), ledger->state_root());
    EXPECT_EQ(replica->checkpoint(), ledger->checkpoint());
}

TEST_F(Retention, WindowBelowTwoEpochsIsRefused) {
    reverts(net->governance_tx(ChangeProtocolParam{ParamId::record_retention_epochs, 1}), TxError::invalid_param_value);
    reverts(net->governance_tx(ChangeProtocolParam{ParamId::record_retention_epochs, 0}), TxError::invalid_param_value);
    EXPECT_EQ(ledger->params().record_retention_epochs, ProtocolParams{}.record_retention_epochs);
}

// When every committee member failed to reveal, the seed of the next committee was
// beacon_output(epoch, round, {}): known to everyone (and to the members who withheld) from the
// start. It now mixes the previous seed, the state root before the block and the block's digest.
TEST_F(Retention, SeedWithoutRevealsDependsOnTheBlockThatEndsTheEpoch) {
    const std::vector<NodeIndex> committee = members();
    signal_and_commit();
    const BlockResult withheld = reveal_round(std::set<NodeIndex>(committee.begin(), committee.end()));  // nobody reveals
    ASSERT_FALSE(withheld.epoch_changed);
    ASSERT_EQ(ledger->epoch_info().phase.round, 1u);
    // Round 1: every member is barred; the commit timeouts end the epoch without a beacon.
    move_to(ledger->epoch_info().phase.start_ms + ledger->params().beacon_commit_phase_ms + 1000);
    const Hash32 previous_seed = ledger->committee(0)->beacon_seed;
    const Hash32 parent_root = ledger->state_root();
    const std::vector<Bytes> timeouts = from_quorum([](NodeIndex) { return BeaconCommitTimeout{0, 1}; });
    const size_t replayed = blocks.size();
    timestamp_ms += 1000;
    const Block last = testing::make_block(ledger->height() + 1, timestamp_ms, timeouts);
    const BlockResult result = execute_block(last);
    ASSERT_TRUE(result.epoch_changed);
    const Hash32 seed = ledger->committee(1)->beacon_seed;

    // The documented formula (ledger-state.md §Beacon fallback).
    codec::Writer w;
    w.u64(0);
    w.u64(1);
    w.fixed(previous_seed);
    w.fixed(parent_root);
    w.fixed(last.digest());
    EXPECT_EQ(seed, crypto::object_digest("beacon-fallback", w.view()));
    EXPECT_NE(seed, beacon_output(0, 1, {}));  // not the value known in advance
    EXPECT_EQ(ledger->committee(1)->members, select_committee(ledger->committee(1)->active_set, 4, seed));

    // The same history with one more transaction in the last block gives another seed.
    testing::ScratchDirectory other_dir;
    LedgerOptions options;
    options.sync_writes = false;
    auto other = std::move(Ledger::open(other_dir.path(), net->genesis, options).value());
    for (size_t i = 0; i < replayed; ++i) ASSERT_TRUE(other->execute(blocks[i]).has_value());
    ASSERT_EQ(other->state_root(), parent_root);
    std::vector<Bytes> more = timeouts;
    more.push_back(net->account_tx(1, IncrementNonce{}));
    const auto alternative = other->execute(testing::make_block(last.height, last.timestamp_ms, more));
    ASSERT_TRUE(alternative.has_value());
    ASSERT_TRUE(alternative->epoch_changed);
    EXPECT_NE(other->committee(1)->beacon_seed, seed);
}

}  // namespace
}  // namespace fleek::ledger
