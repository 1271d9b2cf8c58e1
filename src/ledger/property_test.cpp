// Property tests over seeded random streams of valid and invalid transactions across several
// epochs: two independent executions agree on every state root and receipt; FLK is conserved
// except for documented minting (Mint, epoch emission) and burning (Withdraw); stables are
// conserved the same way; no balance goes negative (wraps); nonces only grow, by exactly the
// number of the sender's transactions that were not rejected.
#include "ledger/fixture_test.h"
#include "ledger/workload_test.h"

#include <cstdlib>
#include <map>
#include <set>

namespace fleek::ledger {
namespace {

struct Totals {
    U256 flk = 0;      // Σ account FLK + stakes + locked
    U256 stables = 0;  // Σ account stables + undistributed reward pools
    U256 largest = 0;  // the largest single balance or stake
    std::map<AddressBytes, uint64_t> account_nonces;
    std::map<NodeIndex, uint64_t> node_nonces;
    std::map<NodeIndex, U256> locked;         // NodeInfo.locked
    std::map<NodeIndex, U256> unlock_sums;    // Σ of the node's unlock entries
    std::map<NodeIndex, Epoch> locked_until;  // NodeInfo.locked_until
    std::map<NodeIndex, Epoch> latest_unlock; // the latest unlock entry
    std::set<uint8_t> tables;
};

Totals totals_of(const Ledger& ledger) {
    Totals t;
    ledger.for_each_entry([&](ByteSpan key, ByteSpan value) {
        const auto table = static_cast<tables::Table>(key[0]);
        t.tables.insert(key[0]);
        if (table == tables::Table::account) {
            const AccountInfo info = codec::decode<AccountInfo>(value).value();
            t.flk += info.flk;
            t.stables += info.stables;
            t.largest = std::max({t.largest, info.flk, info.stables});
            AddressBytes address{};
            std::copy_n(key.begin() + 1, 20, address.begin());
            t.account_nonces[address] = info.nonce;
        } else if (table == tables::Table::node) {
            const NodeInfo info = codec::decode<NodeInfo>(value).value();
            t.flk += info.staked + info.locked;
            t.largest = std::max({t.largest, info.staked, info.locked});
            t.node_nonces[tables::read_u32_be(key, 1)] = info.nonce;
            t.locked[tables::read_u32_be(key, 1)] = info.locked;
            t.locked_until[tables::read_u32_be(key, 1)] = info.locked_until;
        } else if (table == tables::Table::unlock) {
            const NodeIndex node = tables::read_u32_be(key, 1);
            t.unlock_sums[node] += u256_from_le_bytes(std::span<const uint8_t, 32>(value.data(), 32));
            t.latest_unlock[node] = std::max(t.latest_unlock[node], tables::read_u64_be(key, 5));
        } else if (table == tables::Table::epoch_totals) {
            t.stables += codec::decode<EpochTotals>(value).value().reward_pool;
        }
    });
    return t;
}

struct Recorded {
    std::vector<Block> blocks;
    std::vector<Hash32> roots;
    std::vector<Hash32> receipt_digests;
    size_t transactions = 0;
    size_t rejected = 0;
    size_t reverted = 0;
    Epoch epochs = 0;
    std::set<uint8_t> tables_seen;  // tables that held an entry after some block
    Epoch pruned_epochs = 0;        // oldest_record_epoch at the end
};

// Drives a ledger with the workload, checking the invariants after every block.
Recorded drive(uint64_t seed, size_t blocks, size_t per_block, const std::filesystem::path& dir) {
    testing::TestNetwork net(Workload::shape(seed));
    Workload::tune(net.genesis);
    LedgerOptions options;
    options.sync_writes = false;
    auto ledger = std::move(Ledger::open(dir, net.genesis, options).value());
    Workload workload(net, seed);
    Recorded recorded;
    Totals before = totals_of(*ledger);
    U256 expected_flk = ledger->chain_info().flk_supply;
    U256 expected_stables = ledger->chain_info().stables_supply;
    EXPECT_EQ(before.flk, expected_flk);
    EXPECT_EQ(before.stables, expected_stables);
    uint64_t timestamp = net.genesis.epoch_start_ms;
    for (size_t b = 0; b < blocks; ++b) {
        timestamp += 1000;
        auto [block, generated] = workload.next(*ledger, timestamp, per_block);
        const Epoch epoch_before = ledger->epoch();
        auto result = ledger->execute(block);
        EXPECT_TRUE(result.has_value());
        if (!result) break;
        EXPECT_EQ(result->receipts.size(), generated.size());
        std::map<AddressBytes, uint64_t> account_uses;
        std::map<NodeIndex, uint64_t> node_uses;
        for (size_t i = 0; i < generated.size(); ++i) {
            const GeneratedTx& tx = generated[i];
            const TransactionReceipt& receipt = result->receipts[i];
            EXPECT_EQ(tx.must_reject, receipt.status == ReceiptStatus::rejected)
                << "block " << b << " tx " << i << " " << to_string(receipt.error);
            recorded.rejected += receipt.status == ReceiptStatus::rejected;
            recorded.reverted += receipt.status == ReceiptStatus::reverted;
            if (receipt.status == ReceiptStatus::rejected) continue;
            if (tx.account) {
                ++account_uses[tx.address];
            } else {
                ++node_uses[tx.node];
            }
            if (receipt.status != ReceiptStatus::success) continue;
            const Transaction decoded = codec::decode<SignedTransaction>(tx.bytes).value().transaction;
            if (const auto* mint = std::get_if<Mint>(&decoded.method)) {
                (mint->token == Token::flk ? expected_flk : expected_stables) += mint->amount;
            } else if (const auto* withdraw = std::get_if<Withdraw>(&decoded.method)) {
                (withdraw->token == Token::flk ? expected_flk : expected_stables) -= withdraw->amount;
            }
        }
        if (result->epoch_changed) {
            EXPECT_EQ(ledger->epoch(), epoch_before + 1);
            expected_flk += ledger->epoch_totals(epoch_before).value_or(EpochTotals{}).flk_minted;
        }
        const Totals after = totals_of(*ledger);
        const ChainInfo chain = ledger->chain_info();
        EXPECT_EQ(after.flk, expected_flk) << "block " << b;
        EXPECT_EQ(chain.flk_supply, expected_flk) << "block " << b;
        EXPECT_EQ(after.stables, expected_stables) << "block " << b;
        EXPECT_EQ(chain.stables_supply, expected_stables) << "block " << b;
        EXPECT_LE(after.largest, std::max(expected_flk, expected_stables));  // nothing wrapped below zero
        // Each node's locked FLK is the sum of its unlock entries; locked_until the latest.
        for (const auto& [node, locked] : after.locked) {
            EXPECT_EQ(locked, after.unlock_sums.contains(node) ? after.unlock_sums.at(node) : U256(0)) << "node " << node;
            EXPECT_EQ(after.locked_until.at(node), after.latest_unlock.contains(node) ? after.latest_unlock.at(node) : 0)
                << "node " << node;
        }
        for (const auto& [address, nonce] : after.account_nonces) {
            const uint64_t previous = before.account_nonces.contains(address) ? before.account_nonces.at(address) : 0;
            EXPECT_EQ(nonce, previous + account_uses[address]) << "block " << b;
        }
        for (const auto& [address, previous] : before.account_nonces) EXPECT_TRUE(after.account_nonces.contains(address));
        for (const auto& [node, nonce] : after.node_nonces) {
            const uint64_t previous = before.node_nonces.contains(node) ? before.node_nonces.at(node) : 0;
            EXPECT_EQ(nonce, previous + node_uses[node]) << "block " << b;
        }
        for (const uint8_t table : after.tables) recorded.tables_seen.insert(table);
        before = after;
        recorded.blocks.push_back(std::move(block));
        recorded.roots.push_back(result->state_root);
        recorded.receipt_digests.push_back(result->receipts_digest);
        recorded.transactions += generated.size();
        if (::testing::Test::HasFailure()) break;
    }
    recorded.epochs = ledger->epoch();
    recorded.pruned_epochs = ledger->chain_info().oldest_record_epoch;
    return recorded;
}

// Drives the stream of `seed`, executes its blocks again in a second ledger and compares every
// root, receipt list and, at the end, the whole state.
Recorded check_stream(uint64_t seed, size_t blocks, size_t per_block) {
    testing::ScratchDirectory first_dir;
    const Recorded run = drive(seed, blocks, per_block, first_dir.path());
    if (::testing::Test::HasFailure()) return run;
    std::printf("property stream %llu: %zu transactions in %zu blocks, %zu rejected, %zu reverted, %llu epochs\n",
                static_cast<unsigned long long>(seed), run.transactions, run.blocks.size(), run.rejected, run.reverted,
                static_cast<unsigned long long>(run.epochs));

    // A second, independent execution of the same blocks.
    testing::TestNetwork net(Workload::shape(seed));
    Workload::tune(net.genesis);
    testing::ScratchDirectory second_dir;
    LedgerOptions options;
    options.sync_writes = false;
    auto replica = std::move(Ledger::open(second_dir.path(), net.genesis, options).value());
    for (size_t b = 0; b < run.blocks.size(); ++b) {
        auto result = replica->execute(run.blocks[b]);
        EXPECT_TRUE(result.has_value());
        if (!result) return run;
        EXPECT_EQ(result->state_root, run.roots[b]) << "seed " << seed << " block " << b;
        EXPECT_EQ(result->receipts_digest, run.receipt_digests[b]) << "seed " << seed << " block " << b;
        if (::testing::Test::HasFailure()) return run;
    }
    // Same state, entry for entry; every entry well formed for its table.
    auto first = std::move(Ledger::open(first_dir.path(), net.genesis, options).value());
    EXPECT_EQ(first->checkpoint(), replica->checkpoint());
    first->for_each_entry([&](ByteSpan key, ByteSpan value) { EXPECT_TRUE(valid_state_entry(key, value)) << hex_encode(key); });
    return run;
}

TEST(LedgerProperty, RandomStreamsAgreeConserveTokensAndGrowNonces) {
    const Recorded run = check_stream(20261121, 100, 105);
    ASSERT_FALSE(::testing::Test::HasFailure());
    EXPECT_GE(run.transactions, 10'000u);
    EXPECT_GE(run.epochs, 3u);
    EXPECT_GT(run.rejected, 500u);
    EXPECT_GT(run.reverted, 500u);
    EXPECT_GE(run.tables_seen.size(), 19u);  // every table, the unlock table included
    EXPECT_GT(run.pruned_epochs, 0u);       // the retention window moved
}

// More seeds, shorter streams. FLEEK_LEDGER_PROPERTY_SEEDS=N (and optionally
// FLEEK_LEDGER_PROPERTY_FIRST_SEED=S) runs N seeds from S instead: the campaign of docs/testing.md.
TEST(LedgerProperty, MoreSeeds) {
    uint64_t first = 1;
    uint64_t count = 3;
    if (const char* text = std::getenv("FLEEK_LEDGER_PROPERTY_SEEDS")) count = std::strtoull(text, nullptr, 10);
    if (const char* text = std::getenv("FLEEK_LEDGER_PROPERTY_FIRST_SEED")) first = std::strtoull(text, nullptr, 10);
    for (uint64_t seed = first; seed < first + count; ++seed) {
        const Recorded run = check_stream(seed, 40, 60);
        ASSERT_FALSE(::testing::Test::HasFailure()) << "seed " << seed;
        EXPECT_GE(run.epochs, 1u) << "seed " << seed;
    }
}

TEST(LedgerProperty, DifferentStreamsGiveDifferentRoots) {
    // The roots depend on the transactions (a guard against a root that ignores the state).
    testing::ScratchDirectory a;
    testing::ScratchDirectory b;
    const Recorded one = drive(1, 3, 20, a.path());
    const Recorded two = drive(2, 3, 20, b.path());
    ASSERT_EQ(one.roots.size(), 3u);
    ASSERT_EQ(two.roots.size(), 3u);
    EXPECT_NE(one.roots.back(), two.roots.back());
}

}  // namespace
}  // namespace fleek::ledger
