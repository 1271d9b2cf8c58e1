// The fixture of the epoch tests: 7 nodes, a committee of 4 drawn from them each epoch, and the
// committee's side of the epoch protocol (ChangeEpoch, beacon commit and reveal, timeouts).
#pragma once

#include "ledger/epoch.h"
#include "ledger/fixture_test.h"

#include <functional>
#include <set>

namespace fleek::ledger {

class Epochs : public LedgerFixture {
protected:
    void SetUp() override {
        // 7 nodes, a committee of 4 drawn from them each epoch.
        start(testing::NetworkShape{7, 4, 4, 2, 3, 59330});
    }

    std::vector<NodeIndex> members() const { return ledger->committee(ledger->epoch())->members; }

    static Hash32 secret(NodeIndex node, Epoch epoch, uint64_t round) {
        Hash32 out{};
        out[0] = static_cast<uint8_t>(node);
        out[1] = static_cast<uint8_t>(epoch);
        out[2] = static_cast<uint8_t>(round);
        out[31] = 0x5a;
        return out;
    }

    void move_to(uint64_t time_ms) { timestamp_ms = std::max(timestamp_ms, time_ms) - 1000; }

    std::vector<Bytes> from_members(const std::function<Method(NodeIndex)>& method, const std::set<NodeIndex>& skip = {},
                                    size_t limit = SIZE_MAX) {
        std::vector<Bytes> out;
        for (const NodeIndex m : members()) {
            if (!skip.contains(m) && out.size() < limit) out.push_back(net->node_tx(m, method(m)));
        }
        return out;
    }
    // Timeouts: a quorum of members (later signals would arrive after the phase moved on).
    std::vector<Bytes> from_quorum(const std::function<Method(NodeIndex)>& method) {
        return from_members(method, {}, ledger->committee(ledger->epoch())->quorum());
    }

    void expect_all_succeed(const BlockResult& result) {
        for (const auto& receipt : result.receipts) EXPECT_EQ(receipt.status, ReceiptStatus::success) << to_string(receipt.error);
    }

    void signal_and_commit() {
        const Epoch epoch = ledger->epoch();
        move_to(ledger->epoch_info().transition_ms);
        expect_all_succeed(run_block(from_members([&](NodeIndex) { return ChangeEpoch{epoch}; })));
        ASSERT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::commit);
        commit_round();
    }

    void commit_round(const std::set<NodeIndex>& skip = {}) {
        const Epoch epoch = ledger->epoch();
        const uint64_t round = ledger->epoch_info().phase.round;
        expect_all_succeed(run_block(from_members(
            [&](NodeIndex m) { return BeaconCommit{epoch, round, beacon_commitment(epoch, round, m, secret(m, epoch, round))}; },
            skip)));
        move_to(ledger->epoch_info().phase.start_ms + ledger->params().beacon_commit_phase_ms + 1000);
        expect_all_succeed(run_block(from_quorum([&](NodeIndex) { return BeaconCommitTimeout{epoch, round}; })));
    }

    // Reveals (except `skip`) and sends the reveal timeouts; returns the last block's result.
    BlockResult reveal_round(const std::set<NodeIndex>& skip = {}) {
        const Epoch epoch = ledger->epoch();
        const uint64_t round = ledger->epoch_info().phase.round;
        EXPECT_EQ(ledger->epoch_info().phase.kind, BeaconPhaseKind::reveal);
        expect_all_succeed(run_block(
            from_members([&](NodeIndex m) { return BeaconReveal{epoch, round, secret(m, epoch, round)}; }, skip)));
        move_to(ledger->epoch_info().phase.start_ms + ledger->params().beacon_reveal_phase_ms + 1000);
        return run_block(from_quorum([&](NodeIndex) { return BeaconRevealTimeout{epoch, round}; }));
    }

    BlockResult change_epoch() {
        signal_and_commit();
        return reveal_round();
    }
};

}  // namespace fleek::ledger
