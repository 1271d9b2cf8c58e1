// Every transaction method: success, each error, authorization, and the nonce rules.
#include "ledger/methods_fixture_test.h"

namespace fleek::ledger {
namespace {

std::vector<DeliveryReceiptStatus> statuses(const DeliveryOutput& output) {
    std::vector<DeliveryReceiptStatus> out;
    for (const DeliveryReceiptResult& result : output.results) out.push_back(result.status);
    return out;
}

// The session id the test network's receipt() makes from one byte.
SessionId session(uint8_t byte) {
    SessionId id;
    id.fill(byte);
    return id;
}

// ---- envelope and nonce rules ------------------------------------------------------------------

TEST_F(Methods, NonceMustBeStoredPlusOne) {
    const auto& key = account(0);
    const auto transfer = [&](uint64_t nonce) {
        return sign_transaction(Transaction{{}, nonce, net->chain_id(), Transfer{Token::flk, address(1).bytes(), 1}}, key)
            .to_bytes();
    };
    EXPECT_EQ(run(transfer(2)).error, TxError::bad_nonce);  // a gap
    EXPECT_EQ(run(transfer(0)).error, TxError::bad_nonce);  // below
    EXPECT_EQ(account_nonce(key), 0u);                      // rejections use no nonce
    EXPECT_EQ(run(transfer(1)).status, ReceiptStatus::success);
    EXPECT_EQ(account_nonce(key), 1u);
    EXPECT_EQ(run(transfer(1)).error, TxError::already_executed);  // the same bytes again
    const Bytes other = sign_transaction(
        Transaction{{}, 1, net->chain_id(), Transfer{Token::flk, address(2).bytes(), 1}}, key).to_bytes();
    EXPECT_EQ(run(other).error, TxError::bad_nonce);  // another transaction with a used nonce
    // A reverted transaction uses its nonce.
    const Bytes too_much = sign_transaction(
        Transaction{{}, 2, net->chain_id(), Transfer{Token::flk, address(1).bytes(), U256(1) << 200}}, key).to_bytes();
    const auto reverted = run(too_much);
    EXPECT_EQ(reverted.status, ReceiptStatus::reverted);
    EXPECT_EQ(account_nonce(key), 2u);
    EXPECT_TRUE(ledger->digest_executed(reverted.digest));
    EXPECT_EQ(run(transfer(3)).status, ReceiptStatus::success);
}

TEST_F(Methods, NodeNonceIsSharedByNodeAndConsensusKeys) {
    ok(net->node_tx(0, OptOut{}));
    ok(net->consensus_tx(0, OptIn{}));  // nonce 2, signed by the BLS consensus key
    EXPECT_EQ(node(0).nonce, 2u);
    EXPECT_EQ(node(0).participation, Participation::active);
    const Bytes stale = sign_transaction(Transaction{{}, 2, net->chain_id(), IncrementNonce{}}, net->nodes[0].node_key).to_bytes();
    EXPECT_EQ(run(stale).error, TxError::bad_nonce);
}

TEST_F(Methods, RejectionsChangeNothing) {
    const AccountInfo before = ledger->account(address(0)).value();
    // Wrong chain id.
    const Bytes wrong_chain = sign_transaction(
        Transaction{{}, 1, net->chain_id() + 1, Transfer{Token::flk, address(1).bytes(), 1}}, account(0)).to_bytes();
    EXPECT_EQ(run(wrong_chain).error, TxError::wrong_chain_id);
    // Signed by another key than the sender's.
    SignedTransaction forged = sign_transaction(Transaction{{}, 1, net->chain_id(), Transfer{Token::flk, address(1).bytes(), 1}}, account(1));
    forged.transaction.sender = AccountSender{address(0).bytes()};
    EXPECT_EQ(run(forged.to_bytes()).error, TxError::bad_signature);
    // A corrupted signature.
    SignedTransaction corrupted = sign_transaction(Transaction{{}, 1, net->chain_id(), IncrementNonce{}}, account(0));
    corrupted.signature[5] ^= 1;
    EXPECT_EQ(run(corrupted.to_bytes()).error, TxError::bad_signature);
    // Unregistered node and consensus keys.
    const auto stranger = crypto::NodeSecretKey::from_seed(Bytes(32, 9)).value();
    EXPECT_EQ(run(sign_transaction(Transaction{{}, 1, net->chain_id(), OptIn{}}, stranger).to_bytes()).error,
              TxError::unknown_sender);
    const auto stranger_bls = crypto::ConsensusSecretKey::from_seed(Bytes(32, 9)).value();
    EXPECT_EQ(run(sign_transaction(Transaction{{}, 1, net->chain_id(), OptIn{}}, stranger_bls).to_bytes()).error,
              TxError::unknown_sender);
    // Bytes that are not a transaction, and too many bytes.
    EXPECT_EQ(run(Bytes{1, 2, 3}).error, TxError::malformed);
    EXPECT_EQ(run(Bytes(transaction_size_max + 1, 0)).error, TxError::too_large);
    for (const auto& receipt : run_block({Bytes{}, Bytes(10, 0xff)}).receipts) {
        EXPECT_EQ(receipt.status, ReceiptStatus::rejected);
        EXPECT_EQ(receipt.error, TxError::malformed);
    }
    EXPECT_EQ(ledger->account(address(0)).value(), before);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

// ---- Transfer, Withdraw, Mint ------------------------------------------------------------------

TEST_F(Methods, Transfer) {
    const U256 a = flk(0);
    const U256 b = flk(1);
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 1234}));
    EXPECT_EQ(flk(0), a - 1234);
    EXPECT_EQ(flk(1), b + 1234);
    ok(net->account_tx(0, Transfer{Token::stables, address(1).bytes(), 5}));
    ok(net->account_tx(0, Transfer{Token::bandwidth, address(1).bytes(), 7}));
    EXPECT_EQ(ledger->balance(address(1), Token::bandwidth), U256(1007));
    // To an address that has no account yet.
    const auto fresh = crypto::AccountSecretKey::from_bytes(Bytes(32, 0x77)).value();
    ok(net->account_tx(0, Transfer{Token::flk, fresh.address().bytes(), 1}));
    EXPECT_EQ(ledger->balance(fresh.address(), Token::flk), U256(1));
    reverts(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 0}), TxError::zero_amount);
    reverts(net->account_tx(0, Transfer{Token::flk, address(0).bytes(), 1}), TxError::self_transfer);
    reverts(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), flk(0) + 1}), TxError::insufficient_balance);
    reverts(net->node_tx(0, Transfer{Token::flk, address(1).bytes(), 1}), TxError::only_account);
    // A fresh account with nothing cannot send, but its nonce is used.
    reverts(net->sign(fresh, Transfer{Token::flk, address(1).bytes(), 2}), TxError::insufficient_balance);
    EXPECT_EQ(account_nonce(fresh), 1u);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Methods, Withdraw) {
    const U256 supply = ledger->chain_info().flk_supply;
    const auto receipt = ok(net->account_tx(0, Withdraw{Token::flk, 500, address(3).bytes()}));
    EXPECT_EQ(std::get<WithdrawOutput>(receipt.output).withdraw_id, 0u);
    EXPECT_EQ(ledger->chain_info().flk_supply, supply - 500);
    const WithdrawRecord record = ledger->withdraw(0).value();
    EXPECT_EQ(record.amount, U256(500));
    EXPECT_EQ(record.account, address(0).bytes());
    EXPECT_EQ(record.receiver, address(3).bytes());
    const U256 stables_supply = ledger->chain_info().stables_supply;
    EXPECT_EQ(std::get<WithdrawOutput>(ok(net->account_tx(0, Withdraw{Token::stables, 7, address(3).bytes()})).output).withdraw_id, 1u);
    EXPECT_EQ(ledger->chain_info().stables_supply, stables_supply - 7);
    reverts(net->account_tx(0, Withdraw{Token::bandwidth, 1, address(3).bytes()}), TxError::invalid_token);
    reverts(net->account_tx(0, Withdraw{Token::flk, 0, address(3).bytes()}), TxError::zero_amount);
    reverts(net->account_tx(0, Withdraw{Token::stables, stables(0) + 1, address(3).bytes()}), TxError::insufficient_balance);
    reverts(net->node_tx(0, Withdraw{Token::flk, 1, address(3).bytes()}), TxError::only_account);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Methods, MintIsGovernanceOnlyAndOncePerBridgeTransaction) {
    const U256 supply = ledger->chain_info().flk_supply;
    Mint mint{Token::flk, 1000, address(2).bytes(), {}};
    mint.bridge_tx.fill(0xab);
    const U256 before = flk(2);
    ok(net->governance_tx(mint));
    EXPECT_EQ(flk(2), before + 1000);
    EXPECT_EQ(ledger->chain_info().flk_supply, supply + 1000);
    reverts(net->governance_tx(mint), TxError::already_minted);
    Mint other = mint;
    other.bridge_tx.fill(0xac);
    reverts(net->account_tx(0, other), TxError::only_governance);
    reverts(net->node_tx(0, other), TxError::only_account);
    other.token = Token::bandwidth;
    reverts(net->governance_tx(other), TxError::invalid_token);
    other.token = Token::stables;
    other.amount = 0;
    reverts(net->governance_tx(other), TxError::zero_amount);
    other.amount = ~U256(0);
    reverts(net->governance_tx(other), TxError::amount_overflow);
    other.amount = 3;
    const U256 stables_before = stables(2);
    ok(net->governance_tx(other));
    EXPECT_EQ(stables(2), stables_before + 3);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

// ---- staking -----------------------------------------------------------------------------------

TEST_F(Methods, StakeRegistersANodeWithItsProofs) {
    const NewNode n;
    const U256 before = flk(1);
    const U256 amount = U256(1500) * flk_unit();
    const auto receipt = ok(net->account_tx(1, stake_new(n, 1, amount)));
    const NodeIndex index = std::get<NodeIndexOutput>(receipt.output).node;
    EXPECT_EQ(index, 5u);
    const NodeInfo info = node(index);
    EXPECT_EQ(info.owner, address(1).bytes());
    EXPECT_EQ(info.staked, amount);
    EXPECT_EQ(info.participation, Participation::inactive);
    EXPECT_EQ(info.domain, "node.example.org");
    EXPECT_EQ(flk(1), before - amount);
    EXPECT_EQ(ledger->node_index(n.node_key.public_key()), index);
    EXPECT_EQ(ledger->node_index(n.consensus_key.public_key()), index);
    // More stake on the same node, by its owner only.
    Stake more{flk_unit(), n.node_key.public_key().bytes(), std::nullopt};
    ok(net->account_tx(1, more));
    EXPECT_EQ(node(index).staked, amount + flk_unit());
    reverts(net->account_tx(2, more), TxError::not_node_owner);
    reverts(net->account_tx(1, stake_new(n, 1, flk_unit())), TxError::node_key_already_registered);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Methods, StakeRefusesBadRegistrations) {
    NewNode n;
    reverts(net->account_tx(1, Stake{flk_unit(), n.node_key.public_key().bytes(), std::nullopt}), TxError::missing_registration);
    reverts(net->account_tx(1, stake_new(n, 1, 0)), TxError::zero_amount);
    reverts(net->account_tx(1, stake_new(n, 1, flk(1) + 1)), TxError::insufficient_balance);
    reverts(net->node_tx(0, stake_new(n, 1, 1)), TxError::only_account);
    Stake bad_domain = stake_new(n, 1, 1);
    bad_domain.registration->domain = "bad domain!";
    reverts(net->account_tx(1, bad_domain), TxError::invalid_domain);
    Stake bad_ports = stake_new(n, 1, 1);
    bad_ports.registration->ports.rpc = bad_ports.registration->ports.pool;
    reverts(net->account_tx(1, bad_ports), TxError::invalid_ports);
    // The registration was signed for account 1: account 2 cannot use it.
    reverts(net->account_tx(2, stake_new(n, 1, 1)), TxError::invalid_registration_signature);
    Stake bad_pop = stake_new(n, 1, 1);
    bad_pop.registration->consensus_pop = bad_pop.registration->consensus_signature;
    reverts(net->account_tx(1, bad_pop), TxError::invalid_proof_of_possession);
    Stake bad_key = stake_new(n, 1, 1);
    bad_key.registration->consensus_key.fill(0x11);
    reverts(net->account_tx(1, bad_key), TxError::invalid_consensus_key);
    // A consensus key that another node registered.
    NewNode copy;
    copy.node_key = crypto::NodeSecretKey::from_seed(Bytes(32, 0x61)).value();
    copy.consensus_key = net->nodes[0].consensus_key.clone();
    reverts(net->account_tx(1, stake_new(copy, 1, 1)), TxError::consensus_key_already_registered);
    EXPECT_FALSE(ledger->node(5).has_value());
}

TEST_F(Methods, StakeLockUnstakeAndWithdrawUnstaked) {
    const size_t owner = 0;
    auto& owner_key = net->nodes[owner].owner;
    // Lock for 10 epochs, then extend within the maximum.
    ok(net->sign(owner_key, StakeLock{0, 10}));
    EXPECT_EQ(node(0).stake_locked_until, 10u);
    const uint64_t max = ledger->params().max_stake_lock_time_epochs;
    reverts(net->sign(owner_key, StakeLock{0, max - 9}), TxError::lock_exceeds_max);
    reverts(net->sign(owner_key, StakeLock{0, 0}), TxError::zero_amount);
    reverts(net->sign(owner_key, StakeLock{42, 1}), TxError::node_not_found);
    reverts(net->account_tx(0, StakeLock{0, 1}), TxError::not_node_owner);
    reverts(net->node_tx(0, StakeLock{0, 1}), TxError::only_account);
    // Locked stake cannot be unstaked.
    reverts(net->sign(owner_key, Unstake{0, 1}), TxError::stake_locked);
    // Node 1 is not locked.
    auto& owner1 = net->nodes[1].owner;
    reverts(net->sign(owner1, Unstake{1, 0}), TxError::zero_amount);
    reverts(net->sign(owner1, Unstake{1, node(1).staked + 1}), TxError::insufficient_stake);
    reverts(net->sign(owner1, WithdrawUnstaked{1, std::nullopt}), TxError::no_locked_tokens);
    const U256 staked = node(1).staked;
    ok(net->sign(owner1, Unstake{1, flk_unit() * 1500}));  // below min_stake (1,000 FLK): opts out
    EXPECT_EQ(node(1).staked, staked - flk_unit() * 1500);
    EXPECT_EQ(node(1).locked, flk_unit() * 1500);
    EXPECT_EQ(node(1).locked_until, ledger->params().lock_time_epochs);
    EXPECT_EQ(node(1).participation, Participation::opted_out);
    reverts(net->sign(owner1, WithdrawUnstaked{1, std::nullopt}), TxError::locked_tokens_not_matured);
    // With no lock time, an unstake matures at once; the 1,500 FLK unstaked before keep their
    // own unlock epoch (they were paid out with it while unstakes re-locked everything).
    ok(net->governance_tx(ChangeProtocolParam{ParamId::lock_time_epochs, 0}));
    ok(net->sign(owner1, Unstake{1, flk_unit() * 100}));
    EXPECT_EQ(node(1).locked, flk_unit() * 1600);
    EXPECT_EQ(node(1).locked_until, 5u);
    const U256 before = flk(3);
    ok(net->sign(owner1, WithdrawUnstaked{1, address(3).bytes()}));
    EXPECT_EQ(flk(3), before + flk_unit() * 100);
    EXPECT_EQ(node(1).locked, flk_unit() * 1500);
    reverts(net->sign(owner1, WithdrawUnstaked{1, std::nullopt}), TxError::locked_tokens_not_matured);
    // All stake gone: nothing to lock.
    ok(net->sign(owner1, Unstake{1, node(1).staked}));
    reverts(net->sign(owner1, StakeLock{1, 1}), TxError::no_stake);
    EXPECT_EQ(flk_held(), ledger->chain_info().flk_supply);
}

TEST_F(Methods, OptInAndOptOut) {
    ok(net->node_tx(0, OptOut{}));
    EXPECT_EQ(node(0).participation, Participation::opted_out);
    ok(net->node_tx(0, OptOut{}));  // already leaving: no change
    ok(net->node_tx(0, OptIn{}));   // cancels the opt-out
    EXPECT_EQ(node(0).participation, Participation::active);
    reverts(net->account_tx(0, OptIn{}), TxError::only_node);
    // A registered node below min_stake cannot opt in; once staked enough it can.
    const NewNode n;
    const NodeIndex index = std::get<NodeIndexOutput>(ok(net->account_tx(1, stake_new(n, 1, flk_unit()))).output).node;
    const auto opt_in = [&](Method m) {
        auto& nonce = net->node_nonces[index];
        return sign_transaction(Transaction{{}, ++nonce, net->chain_id(), std::move(m)}, n.node_key).to_bytes();
    };
    reverts(opt_in(OptOut{}), TxError::not_participating);
    reverts(opt_in(OptIn{}), TxError::insufficient_stake);
    ok(net->account_tx(1, Stake{flk_unit() * 1000, n.node_key.public_key().bytes(), std::nullopt}));
    ok(opt_in(OptIn{}));
    EXPECT_EQ(node(index).participation, Participation::opted_in);
    ok(opt_in(OptOut{}));
    EXPECT_EQ(node(index).participation, Participation::inactive);
}

// ---- client keys -------------------------------------------------------------------------------

TEST_F(Methods, ApproveAndRevokeClientKeys) {
    const auto client = crypto::ClientSecretKey::from_seed(Bytes(32, 0x33)).value();
    const ClientKeyBytes key = client.public_key().bytes();
    ok(net->account_tx(0, ApproveClientKey{key}));
    EXPECT_EQ(ledger->client_key_owner(client.public_key()), address(0));
    reverts(net->account_tx(1, ApproveClientKey{key}), TxError::client_key_already_approved);
    reverts(net->account_tx(1, RevokeClientKey{key}), TxError::client_key_not_approved);
    reverts(net->node_tx(0, ApproveClientKey{key}), TxError::only_account);
    ClientKeyBytes invalid{};
    invalid.fill(0);  // the identity point: not a usable key
    reverts(net->account_tx(0, ApproveClientKey{invalid}), TxError::invalid_client_key);
    ok(net->account_tx(0, RevokeClientKey{key}));
    EXPECT_FALSE(ledger->client_key_owner(client.public_key()).has_value());
    EXPECT_EQ(ledger->account(address(0))->client_keys.size(), 2u);
    for (uint8_t i = 0; i < client_keys_per_account_max - 2; ++i) {
        ok(net->account_tx(0, ApproveClientKey{crypto::ClientSecretKey::from_seed(Bytes(32, 0x80 + i)).value().public_key().bytes()}));
    }
    reverts(net->account_tx(0, ApproveClientKey{key}), TxError::too_many_client_keys);
}

// ---- governance: services and parameters ---------------------------------------------------------

TEST_F(Methods, Services) {
    ok(net->governance_tx(AddService{7, address(2).bytes(), CommodityType::gpu, 42}));
    EXPECT_EQ(ledger->service(7)->price_per_million_units, U256(42));
    reverts(net->governance_tx(AddService{7, address(2).bytes(), CommodityType::gpu, 42}), TxError::service_exists);
    reverts(net->governance_tx(AddService{8, address(2).bytes(), CommodityType::gpu, 0}), TxError::invalid_price);
    reverts(net->account_tx(2, AddService{8, address(2).bytes(), CommodityType::gpu, 1}), TxError::only_governance);
    reverts(net->account_tx(1, RemoveService{7}), TxError::not_service_owner);
    reverts(net->account_tx(1, RemoveService{99}), TxError::service_not_found);
    reverts(net->node_tx(1, RemoveService{7}), TxError::only_account);
    ok(net->account_tx(2, RemoveService{7}));  // by its owner
    EXPECT_FALSE(ledger->service(7).has_value());
    ok(net->governance_tx(RemoveService{1}));  // by governance
    EXPECT_FALSE(ledger->service(1).has_value());
}

TEST_F(Methods, ChangeProtocolParam) {
    ok(net->governance_tx(ChangeProtocolParam{ParamId::committee_size, 7}));
    EXPECT_EQ(ledger->params().committee_size, 7u);
    reverts(net->governance_tx(ChangeProtocolParam{ParamId::committee_size, 0}), TxError::invalid_param_value);
    reverts(net->governance_tx(ChangeProtocolParam{ParamId::node_share_percent, 95}), TxError::invalid_param_value);
    reverts(net->governance_tx(ChangeProtocolParam{ParamId::max_boost, U256(1) << 100}), TxError::invalid_param_value);
    reverts(net->governance_tx(ChangeProtocolParam{ParamId::beacon_commit_phase_ms, 50'000}), TxError::invalid_param_value);
    reverts(net->account_tx(0, ChangeProtocolParam{ParamId::committee_size, 3}), TxError::only_governance);
    EXPECT_EQ(ledger->params().committee_size, 7u);
}

TEST_F(Methods, IncrementNonceOnlyUsesTheNonce) {
    const AccountInfo before = ledger->account(address(0)).value();
    ok(net->account_tx(0, IncrementNonce{}));
    AccountInfo after = ledger->account(address(0)).value();
    EXPECT_EQ(after.nonce, before.nonce + 1);
    after.nonce = before.nonce;
    EXPECT_EQ(after, before);
    ok(net->node_tx(2, IncrementNonce{}));
    EXPECT_EQ(node(2).nonce, 1u);
}

// ---- content registry ------------------------------------------------------------------------------

TEST_F(Methods, UpdateContentRegistry) {
    Hash32 a{};
    a.fill(1);
    Hash32 b{};
    b.fill(2);
    ok(net->node_tx(0, UpdateContentRegistry{{{a, false}, {b, false}}}));
    ok(net->node_tx(1, UpdateContentRegistry{{{a, false}}}));
    EXPECT_EQ(ledger->content_providers(a), (std::vector<NodeIndex>{0, 1}));
    reverts(net->node_tx(0, UpdateContentRegistry{{{a, false}}}), TxError::content_already_registered);
    reverts(net->node_tx(1, UpdateContentRegistry{{{b, true}}}), TxError::content_not_registered);
    reverts(net->node_tx(0, UpdateContentRegistry{{{b, true}, {b, false}}}), TxError::duplicate_content_update);
    reverts(net->node_tx(0, UpdateContentRegistry{}), TxError::empty_batch);
    std::vector<ContentUpdate> many(content_updates_per_tx_max + 1);
    for (size_t i = 0; i < many.size(); ++i) many[i].content[0] = static_cast<uint8_t>(i);
    reverts(net->node_tx(0, UpdateContentRegistry{many}), TxError::batch_too_large);
    reverts(net->account_tx(0, UpdateContentRegistry{{{a, false}}}), TxError::only_node);
    ok(net->node_tx(0, UpdateContentRegistry{{{a, true}}}));
    EXPECT_EQ(ledger->content_providers(a), (std::vector<NodeIndex>{1}));
    // Only participating nodes register content.
    ok(net->sign(net->nodes[4].owner, Unstake{4, node(4).staked}));
    reverts(net->node_tx(4, UpdateContentRegistry{{{a, false}}}), TxError::not_participating);
}

// ---- reputation measurements -------------------------------------------------------------------

TEST_F(Methods, SubmitReputationMeasurements) {
    Measurements m;
    m.latency_ms = 30;
    m.uptime_percent = 99;
    ok(net->node_tx(0, SubmitReputationMeasurements{{{1, m}, {2, m}}}));
    reverts(net->node_tx(0, SubmitReputationMeasurements{}), TxError::empty_batch);
    reverts(net->node_tx(0, SubmitReputationMeasurements{{{2, m}, {1, m}}}), TxError::invalid_measurement);  // unsorted
    reverts(net->node_tx(0, SubmitReputationMeasurements{{{0, m}}}), TxError::invalid_measurement);          // itself
    Measurements out_of_range = m;
    out_of_range.uptime_percent = 101;
    reverts(net->node_tx(0, SubmitReputationMeasurements{{{1, out_of_range}}}), TxError::invalid_measurement);
    reverts(net->node_tx(0, SubmitReputationMeasurements{{{1, Measurements{}}}}), TxError::invalid_measurement);
    reverts(net->node_tx(0, SubmitReputationMeasurements{{{77, m}}}), TxError::unknown_peer);
    std::vector<ReputationReport> many(measurements_per_tx_max + 1, ReputationReport{1, m});
    for (size_t i = 0; i < many.size(); ++i) many[i].peer = static_cast<NodeIndex>(i + 1);
    reverts(net->node_tx(0, SubmitReputationMeasurements{many}), TxError::batch_too_large);
    reverts(net->account_tx(0, SubmitReputationMeasurements{{{1, m}}}), TxError::only_node);
    ok(net->node_tx(0, SubmitReputationMeasurements{{{3, m}}}));  // the second submission this epoch
    reverts(net->node_tx(0, SubmitReputationMeasurements{{{4, m}}}), TxError::too_many_submissions);
    auto stored = ledger->state_value(tables::measurement(3, 0));
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(codec::decode<Measurements>(*stored).value(), m);
}

// ---- delivery acknowledgements ------------------------------------------------------------------

TEST_F(Methods, DeliveryAcknowledgementsPayForNewWorkOnly) {
    // Service 0: bandwidth at 100 stables units per 10^6 bytes. Client key 0 of account 1.
    const U256 client_before = stables(1);
    const auto r1 = net->receipt(1, 0, 2, 0, 1, 0, 3'000'000);
    const auto out = std::get<DeliveryOutput>(ok(net->node_tx(2, SubmitDeliveryAcknowledgments{{r1}})).output);
    EXPECT_EQ(out.units, 3'000'000u);
    EXPECT_EQ(out.paid, U256(300));
    EXPECT_EQ(stables(1), client_before - 300);
    // Resubmitting the same receipt, or an older one, counts nothing.
    EXPECT_EQ(statuses(out), (std::vector<DeliveryReceiptStatus>{DeliveryReceiptStatus::counted}));
    const auto again = std::get<DeliveryOutput>(ok(net->node_tx(2, SubmitDeliveryAcknowledgments{{r1}})).output);
    EXPECT_EQ(again.units, 0u);
    EXPECT_EQ(again.paid, U256(0));
    EXPECT_EQ(statuses(again), (std::vector<DeliveryReceiptStatus>{DeliveryReceiptStatus::already_claimed}));
    // A newer cumulative receipt counts the difference; costs use the cumulative amount, so
    // 1.5 M bytes more cost exactly 150 however they are split.
    const auto r2 = net->receipt(1, 0, 2, 0, 1, 0, 4'000'001);
    const auto r3 = net->receipt(1, 0, 2, 0, 1, 0, 4'500'000);
    const auto out2 = std::get<DeliveryOutput>(ok(net->node_tx(2, SubmitDeliveryAcknowledgments{{r2, r3}})).output);
    EXPECT_EQ(out2.units, 1'500'000u);
    EXPECT_EQ(out2.paid, U256(150));
    EXPECT_EQ(statuses(out2), (std::vector<DeliveryReceiptStatus>{DeliveryReceiptStatus::counted, DeliveryReceiptStatus::counted}));
    const NodeServed served = ledger->served(0, 2).value();
    EXPECT_EQ(served.served_bandwidth, U256(4'500'000));
    EXPECT_EQ(served.revenue, U256(450));
    const EpochTotals totals = ledger->epoch_totals(0).value();
    EXPECT_EQ(totals.reward_pool, U256(450));
    EXPECT_EQ(totals.served_bandwidth, U256(4'500'000));
}

TEST_F(Methods, DeliveryAcknowledgementShortfallIsRecorded) {
    // Account 3 keeps only 100 stables units.
    ok(net->account_tx(3, Transfer{Token::stables, address(2).bytes(), stables(3) - 100}));
    const auto r = net->receipt(3, 1, 1, 1, 9, 0, 30);  // compute: 5 per unit → 150 due
    const auto out = std::get<DeliveryOutput>(ok(net->node_tx(1, SubmitDeliveryAcknowledgments{{r}})).output);
    EXPECT_EQ(out.paid, U256(100));
    EXPECT_EQ(out.shortfall, U256(50));
    EXPECT_EQ(stables(3), U256(0));
    EXPECT_EQ(ledger->served(0, 1)->shortfall, U256(50));
    EXPECT_EQ(ledger->served(0, 1)->served_compute, U256(30));
    EXPECT_EQ(ledger->epoch_totals(0)->shortfall, U256(50));
}

// Prices near 2^256 (governance sets them): amount × price wrapped 256 bits before. A cost that
// fits is charged exactly; one beyond 256 bits counts that receipt zero and changes nothing.
TEST_F(Methods, DeliveryAcknowledgementCostsDoNotWrap) {
    const U256 price = U256(1) << 250;
    ok(net->governance_tx(AddService{5, address(0).bytes(), CommodityType::bandwidth, price}));
    ok(net->governance_tx(AddService{6, address(0).bytes(), CommodityType::bandwidth, ~U256(0)}));
    const U256 client_before = stables(1);
    // 10^6 units at 2^250 per 10^6: exactly 2^250 due; the client pays what it has.
    const auto out = std::get<DeliveryOutput>(ok(net->node_tx(2, SubmitDeliveryAcknowledgments{{net->receipt(1, 0, 2, 5, 1, 0, 1'000'000)}})).output);
    EXPECT_EQ(out.paid, client_before);
    EXPECT_EQ(out.shortfall, price - client_before);
    EXPECT_EQ(stables(1), U256(0));
    // 2 × 10^6 units at 2^256 − 1: a cost of about 2^257 does not fit.
    const auto served_before = ledger->served(0, 3);
    const auto overflow = std::get<DeliveryOutput>(ok(net->node_tx(3, SubmitDeliveryAcknowledgments{{net->receipt(2, 0, 3, 6, 1, 0, 2'000'000)}})).output);
    EXPECT_EQ(statuses(overflow), (std::vector<DeliveryReceiptStatus>{DeliveryReceiptStatus::amount_overflow}));
    EXPECT_EQ(overflow.units, 0u);
    EXPECT_EQ(ledger->served(0, 3), served_before);
    EXPECT_FALSE(ledger->session_claim(0, net->client_keys[2][0].public_key().bytes(), session(1)).has_value());
    // Two receipts of 2^63 units: the output's u64 sum wraps to 0, the state records 2^64.
    ok(net->governance_tx(AddService{7, address(0).bytes(), CommodityType::bandwidth, 1}));
    const uint64_t half = uint64_t{1} << 63;
    const auto wrapped = std::get<DeliveryOutput>(
        ok(net->node_tx(1, SubmitDeliveryAcknowledgments{{net->receipt(3, 0, 1, 7, 1, 0, half), net->receipt(3, 0, 1, 7, 2, 0, half)}})).output);
    EXPECT_EQ(statuses(wrapped), (std::vector<DeliveryReceiptStatus>{DeliveryReceiptStatus::counted, DeliveryReceiptStatus::counted}));
    ASSERT_TRUE(ledger->served(0, 1).has_value());
    EXPECT_EQ(ledger->served(0, 1)->served_bandwidth, U256(1) << 64);
    EXPECT_EQ(stables(2), client_before);
}

// The envelope fails the transaction; a bad receipt fails only itself, with its typed status.
TEST_F(Methods, DeliveryAcknowledgementErrors) {
    const auto submit = [&](std::vector<SignedDeliveryReceipt> receipts) {
        return net->node_tx(2, SubmitDeliveryAcknowledgments{std::move(receipts)});
    };
    // One receipt alone: the transaction succeeds, the receipt counts zero with its status.
    const auto status_of = [&](const SignedDeliveryReceipt& receipt) {
        const auto out = std::get<DeliveryOutput>(ok(submit({receipt})).output);
        EXPECT_EQ(out.units, 0u);
        EXPECT_EQ(out.paid, U256(0));
        return statuses(out).at(0);
    };
    const U256 client_before = stables(1);
    reverts(submit({}), TxError::empty_batch);
    EXPECT_EQ(status_of(net->receipt(1, 0, 3, 0, 1, 0, 10)), DeliveryReceiptStatus::wrong_node);
    EXPECT_EQ(status_of(net->receipt(1, 0, 2, 0, 1, 5, 10)), DeliveryReceiptStatus::wrong_epoch);
    EXPECT_EQ(status_of(net->receipt(1, 0, 2, 42, 1, 0, 10)), DeliveryReceiptStatus::unknown_service);
    auto wrong_chain = net->receipt(1, 0, 2, 0, 1, 0, 10);
    wrong_chain.receipt.chain_id += 1;
    EXPECT_EQ(status_of(wrong_chain), DeliveryReceiptStatus::wrong_chain);
    auto forged = net->receipt(1, 0, 2, 0, 1, 0, 10);
    forged.receipt.amount = 1'000'000'000;
    EXPECT_EQ(status_of(forged), DeliveryReceiptStatus::bad_signature);
    // A client key no account approved.
    DeliveryReceipt unapproved = net->receipt(1, 0, 2, 0, 1, 0, 10).receipt;
    EXPECT_EQ(status_of(sign_delivery_receipt(unapproved, crypto::ClientSecretKey::from_seed(Bytes(32, 3)).value())),
              DeliveryReceiptStatus::client_key_not_approved);
    // None of those counted anything or wrote anything.
    EXPECT_EQ(stables(1), client_before);
    EXPECT_FALSE(ledger->served(0, 2).has_value());
    EXPECT_FALSE(ledger->epoch_totals(0).has_value());
    EXPECT_FALSE(ledger->session_claim(0, net->client_keys[1][0].public_key().bytes(), session(1)).has_value());
    // One session cannot move to another service (or node).
    ok(submit({net->receipt(1, 0, 2, 0, 4, 0, 10)}));
    EXPECT_EQ(status_of(net->receipt(1, 0, 2, 1, 4, 0, 20)), DeliveryReceiptStatus::session_mismatch);
    // Bad signatures anywhere in a batch, next to each other or last, mark only themselves.
    auto forged_at = [&](uint8_t session_byte) {
        auto r = net->receipt(1, 0, 2, 0, session_byte, 0, 1'000'000);
        r.signature[0] ^= 1;
        return r;
    };
    const auto mixed = std::get<DeliveryOutput>(
        ok(submit({forged_at(20), forged_at(21), net->receipt(1, 0, 2, 0, 22, 0, 1'000'000), forged_at(23)})).output);
    EXPECT_EQ(statuses(mixed), (std::vector<DeliveryReceiptStatus>{DeliveryReceiptStatus::bad_signature, DeliveryReceiptStatus::bad_signature,
                                                                   DeliveryReceiptStatus::counted, DeliveryReceiptStatus::bad_signature}));
    EXPECT_EQ(mixed.units, 1'000'000u);
    std::vector<SignedDeliveryReceipt> many(delivery_receipts_per_tx_max + 1, net->receipt(1, 0, 2, 0, 1, 0, 10));
    reverts(submit(many), TxError::batch_too_large);
    reverts(net->account_tx(0, SubmitDeliveryAcknowledgments{{net->receipt(1, 0, 2, 0, 1, 0, 10)}}), TxError::only_node);
    // A node that is not participating cannot submit.
    ok(net->sign(net->nodes[2].owner, Unstake{2, node(2).staked}));
    reverts(submit({net->receipt(1, 0, 2, 0, 1, 0, 10)}), TxError::not_participating);
}

// The acceptance case of paid delivery: a replayed receipt, a receipt for another node, one for a
// session another node claimed and a forged signature, among good receipts. The good ones count
// exactly what they would alone; the bad ones count zero with their status and leave no trace.
TEST_F(Methods, DeliveryBadReceiptsCountZeroAndTheOthersCount) {
    const ClientKeyBytes client1 = net->client_keys[1][0].public_key().bytes();
    const ClientKeyBytes client2 = net->client_keys[2][0].public_key().bytes();
    ok(net->node_tx(2, SubmitDeliveryAcknowledgments{{net->receipt(1, 0, 2, 0, 1, 0, 1'000'000)}}));
    ok(net->node_tx(3, SubmitDeliveryAcknowledgments{{net->receipt(2, 0, 3, 0, 9, 0, 400)}}));  // node 3's session 9
    const SessionClaim node3_session = ledger->session_claim(0, client2, session(9)).value();
    const U256 stables1 = stables(1);
    const U256 stables2 = stables(2);
    const NodeServed served_before = ledger->served(0, 2).value();
    const EpochTotals totals_before = ledger->epoch_totals(0).value();
    auto forged = net->receipt(2, 0, 2, 0, 3, 0, 10);
    forged.receipt.amount = 7'000'000;
    const auto good1 = net->receipt(1, 0, 2, 0, 1, 0, 3'000'000);  // 2 M above the claim
    const auto good2 = net->receipt(2, 0, 2, 0, 4, 0, 1'500'000);
    const std::vector<SignedDeliveryReceipt> batch{
        good1,
        net->receipt(1, 0, 2, 0, 1, 0, 1'000'000),  // replayed: executed in the first block
        net->receipt(1, 0, 3, 0, 2, 0, 10),         // for node 3
        net->receipt(2, 0, 2, 0, 9, 0, 5'000'000),  // node 3's session
        forged,
        good2,
        good1,  // replayed inside the batch
    };
    const auto out = std::get<DeliveryOutput>(ok(net->node_tx(2, SubmitDeliveryAcknowledgments{batch})).output);
    using S = DeliveryReceiptStatus;
    EXPECT_EQ(statuses(out), (std::vector<S>{S::counted, S::already_claimed, S::wrong_node, S::session_mismatch, S::bad_signature,
                                             S::counted, S::already_claimed}));
    EXPECT_EQ(out.units, 3'500'000u);
    EXPECT_EQ(out.paid, U256(350));  // 100 stables units per 10^6 bytes
    EXPECT_EQ(out.shortfall, U256(0));
    EXPECT_EQ(stables(1), stables1 - 200);
    EXPECT_EQ(stables(2), stables2 - 150);
    EXPECT_EQ(ledger->session_claim(0, client1, session(1))->claimed, 3'000'000u);
    EXPECT_EQ(ledger->session_claim(0, client2, session(4))->claimed, 1'500'000u);
    EXPECT_EQ(ledger->session_claim(0, client2, session(9)), node3_session);
    EXPECT_FALSE(ledger->session_claim(0, client1, session(2)).has_value());
    EXPECT_FALSE(ledger->session_claim(0, client2, session(3)).has_value());
    EXPECT_EQ(ledger->served(0, 2)->served_bandwidth, served_before.served_bandwidth + 3'500'000);
    EXPECT_EQ(ledger->served(0, 2)->revenue, served_before.revenue + 350);
    EXPECT_EQ(ledger->epoch_totals(0)->reward_pool, totals_before.reward_pool + 350);
    EXPECT_EQ(ledger->epoch_totals(0)->served_bandwidth, totals_before.served_bandwidth + 3'500'000);
}

// State proofs through the ledger's query: present and absent keys of real tables verify
// against the block's state root; a proof for an older root or another value does not.
TEST_F(Methods, StateProofsOfLedgerKeysVerifyAgainstTheRoot) {
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 77}));
    const Hash32 old_root = ledger->state_root();
    const std::vector<Bytes> keys{tables::account(address(0).bytes()), tables::account(address(1).bytes()), tables::node(2),
                                  tables::committee(0), tables::chain(), tables::params(), tables::node(999),
                                  tables::account(AddressBytes{}), tables::service(1)};
    for (const Bytes& key : keys) {
        const StateProofResponse response = ledger->prove(key).value();
        EXPECT_EQ(response.root, ledger->state_root());
        EXPECT_EQ(response.height, ledger->height());
        const std::optional<ByteSpan> value =
            response.value ? std::optional<ByteSpan>(ByteSpan(*response.value)) : std::nullopt;
        EXPECT_TRUE(verify_state_proof(response.root, key, value, response.proof).has_value()) << hex_encode(key);
        if (response.value) {
            Bytes other = *response.value;
            other[0] ^= 1;
            EXPECT_FALSE(verify_state_proof(response.root, key, ByteSpan(other), response.proof).has_value());
        }
    }
    EXPECT_FALSE(ledger->prove(tables::node(999))->value.has_value());
    // After another block, the old root no longer matches a fresh proof of a changed account.
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 1}));
    const auto fresh = ledger->prove(keys[0]).value();
    EXPECT_FALSE(verify_state_proof(old_root, keys[0], ByteSpan(*fresh.value), fresh.proof).has_value());
    EXPECT_TRUE(verify_state_proof(fresh.root, keys[0], ByteSpan(*fresh.value), fresh.proof).has_value());
}

}  // namespace
}  // namespace fleek::ledger
