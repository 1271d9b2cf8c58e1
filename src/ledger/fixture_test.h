// A ledger on a scratch directory with a test network, for the ledger's tests.
#pragma once

#include "ledger/ledger.h"
#include "tests/support/files.h"
#include "tests/support/ledger_network.h"

#include <gtest/gtest.h>

#include <memory>

namespace fleek::ledger {

class LedgerFixture : public ::testing::Test {
protected:
    void SetUp() override { start(testing::NetworkShape{}); }

    void start(const testing::NetworkShape& shape) {
        ledger.reset();
        net = std::make_unique<testing::TestNetwork>(shape);
        dir = std::make_unique<testing::ScratchDirectory>();
        LedgerOptions options;
        options.sync_writes = false;
        auto opened = Ledger::open(dir->path(), net->genesis, options);
        ASSERT_TRUE(opened.has_value()) << opened.error().message;
        ledger = std::move(*opened);
        timestamp_ms = net->genesis.epoch_start_ms;
    }

    BlockResult run_block(std::vector<Bytes> transactions, uint64_t advance_ms = 1000) {
        timestamp_ms += advance_ms;
        return execute_block(testing::make_block(ledger->height() + 1, timestamp_ms, std::move(transactions)));
    }

    // Executes a block built by the test; every executed block is kept in `blocks` for replays.
    BlockResult execute_block(const Block& block) {
        auto result = ledger->execute(block);
        EXPECT_TRUE(result.has_value()) << (result ? "" : to_string(result.error()));
        if (!result) return BlockResult{};
        blocks.push_back(block);
        return std::move(*result);
    }

    TransactionReceipt run(Bytes transaction, uint64_t advance_ms = 1000) {
        BlockResult result = run_block({std::move(transaction)}, advance_ms);
        EXPECT_EQ(result.receipts.size(), 1u);
        return result.receipts.empty() ? TransactionReceipt{} : result.receipts.front();
    }

    // Runs a transaction that must succeed.
    TransactionReceipt ok(Bytes transaction) {
        TransactionReceipt receipt = run(std::move(transaction));
        EXPECT_EQ(receipt.status, ReceiptStatus::success) << to_string(receipt.error);
        return receipt;
    }

    // Runs a transaction that must revert with `error`.
    void reverts(Bytes transaction, TxError error) {
        const TransactionReceipt receipt = run(std::move(transaction));
        EXPECT_EQ(receipt.status, ReceiptStatus::reverted);
        EXPECT_EQ(receipt.error, error) << "got " << to_string(receipt.error) << ", expected " << to_string(error);
    }

    const crypto::AccountSecretKey& account(size_t i) const { return net->accounts.at(i); }
    crypto::AccountAddress address(size_t i) const { return net->accounts.at(i).address(); }
    U256 flk(size_t i) const { return ledger->balance(address(i), Token::flk); }

    // Σ of every FLK balance, stake and locked amount: what the supply must equal.
    U256 flk_held() const {
        U256 total = 0;
        ledger->for_each_entry([&](ByteSpan key, ByteSpan value) {
            if (key[0] == static_cast<uint8_t>(tables::Table::account)) total += codec::decode<AccountInfo>(value)->flk;
            if (key[0] == static_cast<uint8_t>(tables::Table::node)) {
                auto node = codec::decode<NodeInfo>(value);
                total += node->staked + node->locked;
            }
        });
        return total;
    }

    std::unique_ptr<testing::TestNetwork> net;
    std::unique_ptr<testing::ScratchDirectory> dir;
    std::unique_ptr<Ledger> ledger;
    uint64_t timestamp_ms = 0;
    std::vector<Block> blocks;
};

}  // namespace fleek::ledger
