// Slash: every form of invalid evidence is refused with its own error and changes nothing but the
// sender's nonce; evidence is used once per (node, kind, epoch, round, origin); valid evidence
// takes exactly equivocation_slash_bps of staked + locked, staked first, then the latest unlocks.
#include "ledger/methods_fixture_test.h"

namespace fleek::ledger {
namespace {

class Slashing : public Methods {
protected:
    static ConsensusStatement statement(StatementKind kind, Epoch epoch, uint64_t round, const crypto::ConsensusSecretKey& origin,
                                        uint8_t subject) {
        ConsensusStatement out;
        out.kind = kind;
        out.epoch = epoch;
        out.round = round;
        if (kind != StatementKind::block) out.origin = origin.public_key().bytes();
        out.subject.fill(subject);
        return out;
    }
    const crypto::ConsensusSecretKey& bls(NodeIndex node) const { return net->nodes[node].consensus_key; }

    // The documented evidence id: object_digest("slash-evidence", node u32 ‖ kind u8 ‖ epoch u64 ‖
    // round u64 ‖ origin [96]) (ledger-transactions.md, Slash).
    static Hash32 evidence_id(NodeIndex node, const ConsensusStatement& s) {
        codec::Writer w;
        w.u32(node);
        w.u8(static_cast<uint8_t>(s.kind));
        w.u64(s.epoch);
        w.u64(s.round);
        w.fixed(s.origin);
        return crypto::object_digest("slash-evidence", w.view());
    }

    size_t slash_records() const {
        size_t count = 0;
        ledger->for_each_entry([&](ByteSpan key, ByteSpan) { count += key[0] == static_cast<uint8_t>(tables::Table::slash); });
        return count;
    }

    // Reverts with `error`, and nothing but the sender's nonce changes: stakes, the fund, the
    // supply and the slash records stay.
    void refused(Bytes tx, TxError error) {
        std::vector<NodeInfo> nodes_before;
        for (NodeIndex i = 0; i < 5; ++i) nodes_before.push_back(node(i));
        const U256 fund = ledger->balance(net->protocol_fund.address(), Token::flk);
        const size_t records = slash_records();
        const uint64_t era = ledger->chain_info().epoch_era;
        reverts(std::move(tx), error);
        for (NodeIndex i = 0; i < 5; ++i) {
            NodeInfo after = node(i);
            after.nonce = nodes_before[i].nonce;  // a node sender uses its nonce
            EXPECT_EQ(after, nodes_before[i]) << "node " << i;
        }
        EXPECT_EQ(ledger->balance(net->protocol_fund.address(), Token::flk), fund);
        EXPECT_EQ(slash_records(), records);
        EXPECT_EQ(ledger->chain_info().epoch_era, era);
        EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
    }
};

TEST_F(Slashing, EveryFormOfInvalidEvidenceIsRefused) {
    const auto header = statement(StatementKind::header, 0, 12, bls(3), 1);
    const auto header2 = statement(StatementKind::header, 0, 12, bls(3), 2);
    const SignedStatement a = sign_statement(header, bls(3));
    const SignedStatement b = sign_statement(header2, bls(3));

    refused(net->account_tx(0, Slash{99, a, b}), TxError::node_not_found);

    // From a future epoch, in either position.
    const auto future = statement(StatementKind::header, 1, 12, bls(3), 1);
    const auto future2 = statement(StatementKind::header, 1, 12, bls(3), 2);
    refused(net->account_tx(0, Slash{3, sign_statement(future, bls(3)), sign_statement(future2, bls(3))}),
            TxError::evidence_from_future_epoch);
    refused(net->account_tx(0, Slash{3, a, sign_statement(future2, bls(3))}), TxError::evidence_from_future_epoch);
    refused(net->account_tx(0, Slash{3, sign_statement(future, bls(3)), b}), TxError::evidence_from_future_epoch);

    // Not conflicting: the same subject, or another kind, epoch, round or origin.
    refused(net->account_tx(0, Slash{3, a, a}), TxError::evidence_not_conflicting);
    refused(net->account_tx(0, Slash{3, a, sign_statement(header, bls(3))}), TxError::evidence_not_conflicting);
    auto other_kind = statement(StatementKind::vote, 0, 12, bls(3), 2);
    refused(net->account_tx(0, Slash{3, a, sign_statement(other_kind, bls(3))}), TxError::evidence_not_conflicting);
    auto other_round = statement(StatementKind::header, 0, 13, bls(3), 2);
    refused(net->account_tx(0, Slash{3, a, sign_statement(other_round, bls(3))}), TxError::evidence_not_conflicting);
    const auto vote = statement(StatementKind::vote, 0, 12, bls(0), 1);
    const auto vote_other_origin = statement(StatementKind::vote, 0, 12, bls(1), 2);
    refused(net->account_tx(0, Slash{3, sign_statement(vote, bls(3)), sign_statement(vote_other_origin, bls(3))}),
            TxError::evidence_not_conflicting);

    // A header statement accuses only its origin: node 2's headers signed by node 3's key.
    const auto header_of_2 = statement(StatementKind::header, 0, 12, bls(2), 1);
    const auto header_of_2b = statement(StatementKind::header, 0, 12, bls(2), 2);
    refused(net->account_tx(0, Slash{3, sign_statement(header_of_2, bls(3)), sign_statement(header_of_2b, bls(3))}),
            TxError::evidence_wrong_signer);
    refused(net->account_tx(0, Slash{2, a, b}), TxError::evidence_wrong_signer);

    // Signatures that are not BLS signatures, in either position.
    SignedStatement zero_sig = b;
    zero_sig.signature.fill(0);
    refused(net->account_tx(0, Slash{3, a, zero_sig}), TxError::evidence_invalid_signature_encoding);
    SignedStatement zero_first = a;
    zero_first.signature.fill(0);
    refused(net->account_tx(0, Slash{3, zero_first, b}), TxError::evidence_invalid_signature_encoding);

    // Valid signatures by another key, or over another statement, in either position.
    refused(net->account_tx(0, Slash{3, a, sign_statement(header2, bls(2))}), TxError::evidence_bad_signature);
    refused(net->account_tx(0, Slash{3, sign_statement(header, bls(2)), b}), TxError::evidence_bad_signature);
    SignedStatement swapped = b;
    swapped.signature = a.signature;  // a real signature, of the other statement
    refused(net->account_tx(0, Slash{3, a, swapped}), TxError::evidence_bad_signature);
    // Votes name no signer: node 2 is accused with node 3's double vote.
    const auto vote2 = statement(StatementKind::vote, 0, 12, bls(0), 2);
    refused(net->account_tx(0, Slash{2, sign_statement(vote, bls(3)), sign_statement(vote2, bls(3))}),
            TxError::evidence_bad_signature);

    // After all that, the real evidence still works.
    const U256 staked = node(3).staked;
    const auto receipt = ok(net->account_tx(0, Slash{3, a, b}));
    EXPECT_EQ(std::get<SlashOutput>(receipt.output).amount, staked / 10);
}

TEST_F(Slashing, EvidenceIsUsedOncePerSlot) {
    const auto h1 = statement(StatementKind::header, 0, 12, bls(3), 1);
    const auto h2 = statement(StatementKind::header, 0, 12, bls(3), 2);
    const auto h3 = statement(StatementKind::header, 0, 12, bls(3), 3);
    const SignedStatement a = sign_statement(h1, bls(3));
    const SignedStatement b = sign_statement(h2, bls(3));
    const U256 stake = node(3).staked;
    const U256 fund = ledger->balance(net->protocol_fund.address(), Token::flk);
    const TransactionReceipt receipt = ok(net->node_tx(1, Slash{3, a, b}));  // any sender may report
    const U256 first = stake * 1000 / 10'000;
    EXPECT_EQ(std::get<SlashOutput>(receipt.output).amount, first);
    EXPECT_EQ(node(3).staked, stake - first);
    EXPECT_EQ(ledger->balance(net->protocol_fund.address(), Token::flk), fund + first);
    // The record sits under the documented key.
    const auto record = ledger->state_value(tables::slash(0, evidence_id(3, h1)));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(codec::decode<SlashRecord>(*record).value(), (SlashRecord{3, first, ledger->height()}));
    // 2,000 − 10 % = 1,800 FLK ≥ min_stake: still in the committee.
    EXPECT_TRUE(ledger->committee(0)->is_member(3));

    // The same pair, the pair swapped, and another conflicting pair of the slot.
    refused(net->account_tx(0, Slash{3, a, b}), TxError::evidence_already_used);
    refused(net->account_tx(0, Slash{3, b, a}), TxError::evidence_already_used);
    refused(net->account_tx(0, Slash{3, a, sign_statement(h3, bls(3))}), TxError::evidence_already_used);
    refused(net->account_tx(2, Slash{3, sign_statement(h2, bls(3)), sign_statement(h3, bls(3))}), TxError::evidence_already_used);

    // Another slot (a double block signature at height 5) is another offence.
    const auto block1 = statement(StatementKind::block, 0, 5, bls(3), 7);
    const auto block2 = statement(StatementKind::block, 0, 5, bls(3), 8);
    const U256 staked = node(3).staked;
    const auto second = ok(net->account_tx(0, Slash{3, sign_statement(block1, bls(3)), sign_statement(block2, bls(3))}));
    EXPECT_EQ(std::get<SlashOutput>(second.output).amount, staked / 10);
    EXPECT_EQ(slash_records(), 2u);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Slashing, TakesExactlyTheShareOfStakedAndLockedStakedFirstThenTheLatestUnlocks) {
    // Node 3 (2,000 FLK) unstakes 300 FLK locked for 5 epochs and 200 FLK locked for 9.
    auto& owner = net->nodes[3].owner;
    ok(net->sign(owner, Unstake{3, flk_unit() * 300}));
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, 9}));
    ok(net->sign(owner, Unstake{3, flk_unit() * 200}));
    ASSERT_EQ(node(3).staked, flk_unit() * 1500);
    ASSERT_EQ(node(3).locked, flk_unit() * 500);
    // 90 %: 1,800 FLK of 2,000. All 1,500 staked, then 200 from the unlock at epoch 9 (the
    // latest), then 100 from the one at epoch 5.
    ok(net->governance_tx(ChangeProtocolParam{ParamId::equivocation_slash_bps, 9000}));
    const auto vote = statement(StatementKind::vote, 0, 3, bls(0), 4);
    const auto vote2 = statement(StatementKind::vote, 0, 3, bls(0), 5);
    const U256 fund = ledger->balance(net->protocol_fund.address(), Token::flk);
    const auto receipt = ok(net->account_tx(0, Slash{3, sign_statement(vote, bls(3)), sign_statement(vote2, bls(3))}));
    EXPECT_EQ(std::get<SlashOutput>(receipt.output).amount, flk_unit() * 1800);
    EXPECT_EQ(node(3).staked, U256(0));
    EXPECT_EQ(node(3).locked, flk_unit() * 200);
    EXPECT_EQ(node(3).locked_until, 5u);
    EXPECT_FALSE(ledger->state_value(tables::unlock(3, 9)).has_value());
    EXPECT_EQ(u256_from_le_bytes(std::span<const uint8_t, 32>(ledger->state_value(tables::unlock(3, 5))->data(), 32)),
              flk_unit() * 200);
    EXPECT_EQ(ledger->balance(net->protocol_fund.address(), Token::flk), fund + flk_unit() * 1800);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
    // Below min_stake: out of the committee.
    EXPECT_FALSE(ledger->committee(0)->is_member(3));
    EXPECT_EQ(node(3).participation, Participation::inactive);
}

TEST_F(Slashing, HugeStakesAreSlashedExactly) {
    // (staked + locked) × bps wrapped 256 bits before: a 2^250 FLK stake (a governance Mint).
    auto& owner = net->nodes[3].owner;
    const U256 huge = U256(1) << 250;
    ok(net->governance_tx(Mint{Token::flk, huge, owner.address().bytes(), {}}));
    ok(net->sign(owner, Stake{huge, net->nodes[3].node_key.public_key().bytes(), std::nullopt}));
    const U256 staked = node(3).staked;
    const auto h1 = statement(StatementKind::header, 0, 1, bls(3), 1);
    const auto h2 = statement(StatementKind::header, 0, 1, bls(3), 2);
    const auto receipt = ok(net->account_tx(0, Slash{3, sign_statement(h1, bls(3)), sign_statement(h2, bls(3))}));
    using Big = boost::multiprecision::cpp_int;
    const Big expected = Big(staked) * 1000 / 10'000;
    EXPECT_EQ(Big(std::get<SlashOutput>(receipt.output).amount), expected);
    EXPECT_EQ(Big(node(3).staked), Big(staked) - expected);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Slashing, BelowMinimumStakeRemovesTheNodeFromTheCommittee) {
    ok(net->governance_tx(ChangeProtocolParam{ParamId::equivocation_slash_bps, 9000}));
    const auto vote = statement(StatementKind::vote, 0, 3, bls(0), 4);
    const auto other = statement(StatementKind::vote, 0, 3, bls(0), 5);
    timestamp_ms += 1000;
    auto result = ledger->execute(testing::make_block(
        ledger->height() + 1, timestamp_ms, {net->account_tx(0, Slash{2, sign_statement(vote, bls(2)), sign_statement(other, bls(2))})}));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->receipts[0].status, ReceiptStatus::success);
    EXPECT_TRUE(result->committee_changed);
    EXPECT_EQ(result->epoch_era, 1u);
    EXPECT_FALSE(ledger->committee(0)->is_member(2));
    EXPECT_EQ(node(2).participation, Participation::inactive);
    EXPECT_EQ(ledger->current_committee().size(), 3u);
}

}  // namespace
}  // namespace fleek::ledger
