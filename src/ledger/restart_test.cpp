// Restart and crash safety, and bad input at the block level.
//   - executing half the blocks, closing, reopening and executing the rest gives the roots of
//     one uninterrupted run;
//   - a process killed with SIGKILL in the middle of a block (or after writing a checkpoint but
//     before committing) leaves the state of the previous block, and carries on from there;
//   - a block with the wrong height, epoch or time, or too many transactions or bytes, is
//     refused with a typed error and changes nothing;
//   - a directory of another genesis is refused.
#include "ledger/fixture_test.h"
#include "ledger/store.h"
#include "ledger/workload_test.h"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

namespace fleek::ledger {
namespace {

struct Stream {
    std::vector<Block> blocks;
    std::vector<Hash32> roots;
};

Stream record_stream(uint64_t seed, size_t blocks, size_t per_block) {
    testing::ScratchDirectory dir;
    testing::TestNetwork net(Workload::shape(seed));
    Workload::tune(net.genesis);
    LedgerOptions options;
    options.sync_writes = false;
    auto ledger = std::move(Ledger::open(dir.path(), net.genesis, options).value());
    Workload workload(net, seed);
    Stream stream;
    uint64_t timestamp = net.genesis.epoch_start_ms;
    for (size_t b = 0; b < blocks; ++b) {
        timestamp += 1000;
        auto block = workload.next(*ledger, timestamp, per_block).first;
        auto result = ledger->execute(block);
        EXPECT_TRUE(result.has_value());
        stream.roots.push_back(result->state_root);
        stream.blocks.push_back(std::move(block));
    }
    EXPECT_GE(ledger->epoch(), 1u) << "the stream should cross an epoch change";
    return stream;
}

Genesis stream_genesis(uint64_t seed) {
    testing::TestNetwork net(Workload::shape(seed));
    Workload::tune(net.genesis);
    return net.genesis;
}

std::unique_ptr<Ledger> open_ledger(const std::filesystem::path& dir, const Genesis& genesis, LedgerOptions options = {}) {
    auto opened = Ledger::open(dir, genesis, std::move(options));
    EXPECT_TRUE(opened.has_value()) << (opened ? "" : opened.error().message);
    return opened ? std::move(*opened) : nullptr;
}

constexpr uint64_t stream_seed = 77;

TEST(LedgerRestart, HalfCloseReopenRestEqualsUninterrupted) {
    const Stream stream = record_stream(stream_seed, 30, 30);
    const Genesis genesis = stream_genesis(stream_seed);
    testing::ScratchDirectory dir;
    const size_t half = stream.blocks.size() / 2;
    {
        auto ledger = open_ledger(dir.path(), genesis);
        for (size_t b = 0; b < half; ++b) ASSERT_EQ(ledger->execute(stream.blocks[b])->state_root, stream.roots[b]);
    }
    auto ledger = open_ledger(dir.path(), genesis);
    EXPECT_EQ(ledger->height(), half);
    EXPECT_EQ(ledger->state_root(), stream.roots[half - 1]);
    for (size_t b = half; b < stream.blocks.size(); ++b) {
        ASSERT_EQ(ledger->execute(stream.blocks[b])->state_root, stream.roots[b]) << "block " << b;
    }
}

// Runs `body` in a child process, which must die of SIGKILL.
void expect_killed(const std::function<void()>& body) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        body();
        ::_exit(3);  // the kill did not happen
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(LedgerRestart, KilledMidBlockLeavesThePreviousBlock) {
    const Stream stream = record_stream(stream_seed, 30, 30);
    const Genesis genesis = stream_genesis(stream_seed);
    testing::ScratchDirectory dir;
    const size_t killed_at = 12;  // the 13th block dies half way through its transactions
    expect_killed([&] {
        LedgerOptions options;  // synced commits, as in production
        options.after_transaction = [&](size_t index) {
            if (index == 15) ::raise(SIGKILL);
        };
        auto opened = Ledger::open(dir.path(), genesis, LedgerOptions{});
        if (!opened) ::_exit(4);
        for (size_t b = 0; b < killed_at; ++b) {
            if (!(*opened)->execute(stream.blocks[b])) ::_exit(5);
        }
        (*opened).reset();
        auto dying = Ledger::open(dir.path(), genesis, options);
        if (!dying) ::_exit(6);
        (void)(*dying)->execute(stream.blocks[killed_at]);
    });
    auto ledger = open_ledger(dir.path(), genesis);
    EXPECT_EQ(ledger->height(), killed_at);
    EXPECT_EQ(ledger->state_root(), stream.roots[killed_at - 1]);
    for (size_t b = killed_at; b < stream.blocks.size(); ++b) {
        ASSERT_EQ(ledger->execute(stream.blocks[b])->state_root, stream.roots[b]) << "block " << b;
    }
}

TEST(LedgerRestart, KilledAfterTheCheckpointBeforeTheCommit) {
    const Stream stream = record_stream(stream_seed, 30, 30);
    const Genesis genesis = stream_genesis(stream_seed);
    // Find the block that changes the epoch.
    size_t change = 0;
    {
        testing::ScratchDirectory scan;
        LedgerOptions fast;
        fast.sync_writes = false;
        auto ledger = open_ledger(scan.path(), genesis, fast);
        for (size_t b = 0; b < stream.blocks.size(); ++b) {
            if (ledger->execute(stream.blocks[b])->epoch_changed) {
                change = b;
                break;
            }
        }
    }
    ASSERT_GT(change, 0u);
    testing::ScratchDirectory dir;
    expect_killed([&] {
        LedgerOptions options;
        options.before_commit = [&] { ::raise(SIGKILL); };
        {
            auto opened = Ledger::open(dir.path(), genesis, LedgerOptions{});
            if (!opened) ::_exit(4);
            for (size_t b = 0; b < change; ++b) {
                if (!(*opened)->execute(stream.blocks[b])) ::_exit(5);
            }
        }
        auto dying = Ledger::open(dir.path(), genesis, options);
        if (!dying) ::_exit(6);
        (void)(*dying)->execute(stream.blocks[change]);
    });
    // The checkpoint file was written, the block was not committed.
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "checkpoints"));
    auto ledger = open_ledger(dir.path(), genesis);
    EXPECT_EQ(ledger->height(), change);
    EXPECT_EQ(ledger->state_root(), stream.roots[change - 1]);
    EXPECT_EQ(ledger->epoch(), 0u);
    const auto redone = ledger->execute(stream.blocks[change]);
    ASSERT_TRUE(redone.has_value());
    EXPECT_TRUE(redone->epoch_changed);
    EXPECT_EQ(redone->state_root, stream.roots[change]);
    ASSERT_TRUE(redone->checkpoint.has_value());
    EXPECT_EQ(redone->checkpoint->state_root, stream.roots[change]);
}

// ---- bad blocks ---------------------------------------------------------------------------------

class BadBlocks : public LedgerFixture {
protected:
    void expect_refused(const Block& block, BlockError error) {
        const uint64_t height = ledger->height();
        const Hash32 root = ledger->state_root();
        const Bytes state = ledger->checkpoint();
        auto result = ledger->execute(block);
        ASSERT_FALSE(result.has_value());
        EXPECT_EQ(result.error(), error) << to_string(result.error());
        EXPECT_EQ(ledger->height(), height);
        EXPECT_EQ(ledger->state_root(), root);
        EXPECT_EQ(ledger->checkpoint(), state);
    }
};

TEST_F(BadBlocks, AreRefusedWithATypedErrorAndChangeNothing) {
    run_block({net->account_tx(0, IncrementNonce{})});
    const Bytes tx = net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 5});
    expect_refused(testing::make_block(ledger->height() + 2, timestamp_ms + 1000, {tx}), BlockError::wrong_height);
    expect_refused(testing::make_block(ledger->height(), timestamp_ms + 1000, {tx}), BlockError::wrong_height);
    expect_refused(testing::make_block(ledger->height() + 1, timestamp_ms - 1, {tx}), BlockError::timestamp_regressed);
    Block wrong_epoch = testing::make_block(ledger->height() + 1, timestamp_ms + 1000, {tx});
    wrong_epoch.epoch = 1;
    expect_refused(wrong_epoch, BlockError::wrong_epoch);
    expect_refused(testing::make_block(ledger->height() + 1, timestamp_ms + 1000,
                                       std::vector<Bytes>(block_transactions_max + 1, tx)),
                   BlockError::too_many_transactions);
    expect_refused(testing::make_block(ledger->height() + 1, timestamp_ms + 1000,
                                       std::vector<Bytes>(block_size_max / transaction_size_max + 1, Bytes(transaction_size_max, 0))),
                   BlockError::too_large);
    // The same block, well formed, executes.
    Block good = testing::make_block(ledger->height() + 1, timestamp_ms + 1000, {tx});
    good.epoch = 0;
    auto result = ledger->execute(good);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->receipts[0].status, ReceiptStatus::success);
}

TEST_F(BadBlocks, AnEmptyBlockAdvancesOnlyTheChainRecord) {
    const AccountInfo before = ledger->account(address(0)).value();
    const BlockResult result = run_block({});
    EXPECT_TRUE(result.receipts.empty());
    EXPECT_EQ(ledger->height(), 1u);
    EXPECT_EQ(ledger->chain_info().last_block_digest, result.block_digest);
    EXPECT_EQ(ledger->account(address(0)).value(), before);
}

TEST(LedgerOpen, RefusesAnotherGenesisAndKeepsItsOwn) {
    testing::ScratchDirectory dir;
    testing::TestNetwork net;
    { ASSERT_TRUE(Ledger::open(dir.path(), net.genesis).has_value()); }
    Genesis other = net.genesis;
    other.params.committee_size = 3;
    auto refused = Ledger::open(dir.path(), other);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, LedgerErrorCode::genesis_mismatch);
    auto reopened = Ledger::open(dir.path(), net.genesis);
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ((*reopened)->height(), 0u);
    EXPECT_EQ((*reopened)->chain_info().chain_id, net.chain_id());
}

TEST(LedgerOpen, RefusesAnInvalidGenesis) {
    testing::ScratchDirectory dir;
    testing::TestNetwork net;
    Genesis bad = net.genesis;
    bad.nodes[0].consensus_pop = bad.nodes[1].consensus_pop;
    auto refused = Ledger::open(dir.path(), bad);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, LedgerErrorCode::invalid_genesis);
    EXPECT_NE(refused.error().message.find("proof of possession"), std::string::npos);
}

TEST(LedgerOpen, DetectsATamperedStateTree) {
    testing::ScratchDirectory dir;
    testing::TestNetwork net;
    {
        auto ledger = std::move(Ledger::open(dir.path(), net.genesis).value());
        ASSERT_TRUE(ledger->execute(testing::make_block(1, net.genesis.epoch_start_ms + 1, {net.account_tx(0, IncrementNonce{})})));
    }
    // Change a state value behind the ledger's back: the stored root no longer matches the
    // entries, which a proof exposes; the tree's own root is checked at open.
    {
        auto store = Store::open(dir.path() / "db", Store::Options{}).value();
        ChangeMap changes;
        changes[tables::account(net.accounts[1].address().bytes())] = codec::encode(AccountInfo{1, 2, 3, 4, {}});
        TreeWrites tree;
        tree[Bytes{0, 0}] = Bytes{9, 9};
        ASSERT_TRUE(store->commit(changes, tree, {}).has_value());
    }
    auto reopened = Ledger::open(dir.path(), net.genesis);
    ASSERT_FALSE(reopened.has_value());
    EXPECT_EQ(reopened.error().code, LedgerErrorCode::corrupt);
}

// The hook a node uses to record receipts durably before the state commits: it sees the whole
// result, and refusing it leaves the ledger where it was.
TEST(LedgerRestart, BeforeCommitHookSeesTheResultAndCanRefuse) {
    testing::ScratchDirectory scratch;
    testing::TestNetwork net(Workload::shape(stream_seed));
    Workload::tune(net.genesis);
    const Genesis genesis = net.genesis;
    Stream stream;
    {
        auto recorder = open_ledger(scratch / "recorder", genesis);
        ASSERT_TRUE(recorder);
        Workload workload(net, stream_seed);
        auto block = workload.next(*recorder, genesis.epoch_start_ms + 1000, 20).first;
        stream.roots.push_back(recorder->execute(block).value().state_root);
        stream.blocks.push_back(std::move(block));
    }
    auto ledger = open_ledger(scratch / "ledger", genesis);
    ASSERT_TRUE(ledger);
    std::optional<BlockResult> seen;
    auto refused = ledger->execute(stream.blocks[0], [&](const BlockResult& result) {
        seen = result;
        return false;
    });
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error(), BlockError::storage);
    EXPECT_EQ(ledger->height(), 0u);
    ASSERT_TRUE(seen.has_value());
    EXPECT_EQ(seen->state_root, stream.roots[0]);
    EXPECT_EQ(seen->receipts.size(), stream.blocks[0].transactions.size());
    auto accepted = ledger->execute(stream.blocks[0], [&](const BlockResult& result) { return result.state_root == stream.roots[0]; });
    ASSERT_TRUE(accepted.has_value());
    EXPECT_EQ(ledger->height(), 1u);
    EXPECT_EQ(accepted->receipts, seen->receipts);
}

}  // namespace
}  // namespace fleek::ledger
