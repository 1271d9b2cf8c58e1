// Unstake locks only the amount it unstakes: amounts unstaked earlier keep their own unlock epoch
// (ledger-state.md §Unstaking), and WithdrawUnstaked pays every amount whose epoch has come.
#include "ledger/epoch_fixture_test.h"
#include "ledger/methods_fixture_test.h"
#include "ledger/unlocks.h"

namespace fleek::ledger {
namespace {

U256 unlock_amount(const Ledger& ledger, NodeIndex node, Epoch until) {
    const auto value = ledger.state_value(tables::unlock(node, until));
    if (!value) return 0;
    return u256_from_le_bytes(std::span<const uint8_t, 32>(value->data(), 32));
}

TEST_F(Epochs, AnEarlierUnstakeIsNotRelockedByALaterOne) {
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, 1}));
    auto& owner = net->nodes[6].owner;
    const U256 staked = ledger->node(6)->staked;
    ok(net->sign(owner, Unstake{6, flk_unit() * 100}));  // epoch 0: unlocks at 1
    ASSERT_TRUE(change_epoch().epoch_changed);
    ok(net->sign(owner, Unstake{6, flk_unit() * 50}));  // epoch 1: unlocks at 2
    ok(net->sign(owner, Unstake{6, flk_unit() * 10}));  // same epoch: the same entry
    EXPECT_EQ(unlock_amount(*ledger, 6, 1), flk_unit() * 100);
    EXPECT_EQ(unlock_amount(*ledger, 6, 2), flk_unit() * 60);
    EXPECT_EQ(ledger->node(6)->locked, flk_unit() * 160);
    EXPECT_EQ(ledger->node(6)->locked_until, 2u);
    EXPECT_EQ(ledger->node(6)->staked, staked - flk_unit() * 160);

    // The 100 FLK unstaked in epoch 0 matured in epoch 1; the later unstakes did not push it back.
    const U256 balance = ledger->balance(owner.address(), Token::flk);
    ok(net->sign(owner, WithdrawUnstaked{6, std::nullopt}));
    EXPECT_EQ(ledger->balance(owner.address(), Token::flk), balance + flk_unit() * 100);
    EXPECT_EQ(ledger->node(6)->locked, flk_unit() * 60);
    EXPECT_EQ(ledger->node(6)->locked_until, 2u);
    EXPECT_EQ(unlock_amount(*ledger, 6, 1), U256(0));
    reverts(net->sign(owner, WithdrawUnstaked{6, std::nullopt}), TxError::locked_tokens_not_matured);

    ASSERT_TRUE(change_epoch().epoch_changed);
    const auto recipient = address(2);
    const U256 received = flk(2);
    ok(net->sign(owner, WithdrawUnstaked{6, recipient.bytes()}));
    EXPECT_EQ(flk(2), received + flk_unit() * 60);
    EXPECT_EQ(ledger->node(6)->locked, U256(0));
    EXPECT_EQ(ledger->node(6)->locked_until, 0u);
    reverts(net->sign(owner, WithdrawUnstaked{6, std::nullopt}), TxError::no_locked_tokens);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Methods, UnlockEntriesPerNodeAreBounded) {
    // Distinct unlock epochs through lock_time_epochs = 1 … 64, one FLK base unit each.
    auto& owner = net->nodes[4].owner;
    for (uint64_t lock = 1; lock <= unlocks_per_node_max; ++lock) {
        ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, lock}));
        ok(net->sign(owner, Unstake{4, 1}));
    }
    EXPECT_EQ(node(4).locked, U256(unlocks_per_node_max));
    EXPECT_EQ(node(4).locked_until, unlocks_per_node_max);
    // A 65th epoch is refused and changes nothing; joining an existing epoch still works.
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, unlocks_per_node_max + 1}));
    const NodeInfo before = node(4);
    reverts(net->sign(owner, Unstake{4, 1}), TxError::too_many_unlocks);
    EXPECT_EQ(node(4), before);
    EXPECT_FALSE(ledger->state_value(tables::unlock(4, unlocks_per_node_max + 1)).has_value());
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, 3}));
    ok(net->sign(owner, Unstake{4, 5}));
    EXPECT_EQ(unlock_amount(*ledger, 4, 3), U256(6));
    // With no lock time an unstake matures at once: only it is paid, the others wait.
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, 0}));
    reverts(net->sign(owner, Unstake{4, 1}), TxError::too_many_unlocks);  // epoch 0 would be a 65th
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, 1}));
    ok(net->sign(owner, Unstake{4, 7}));
    reverts(net->sign(owner, WithdrawUnstaked{4, std::nullopt}), TxError::locked_tokens_not_matured);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

}  // namespace
}  // namespace fleek::ledger
