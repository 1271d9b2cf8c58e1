// Ledger snapshots (reader.h, issue 15 item 10): the state of one committed block that readers
// on other threads use while later blocks execute.
//   - a snapshot taken at height h answers h's values (accounts, chain record) and proofs that
//     verify against h's root after later blocks changed those entries and their tree nodes;
//   - it does so from another thread while the ledger executes blocks (the node's RPC threads);
//   - it stays readable after the Ledger is closed (it holds the database open).
#include "ledger/fixture_test.h"

#include <atomic>
#include <mutex>
#include <thread>

namespace fleek::ledger {
namespace {

crypto::AccountAddress fresh_address() {
    ByteArray<crypto::ethereum::address_size> bytes{};
    bytes.fill(0x77);
    return crypto::AccountAddress::from_bytes(bytes);
}

// `key`'s value in `reader` and a proof that verifies against the reader's root.
void expect_proven(const LedgerReader& reader, const Bytes& key, const std::optional<Bytes>& expected) {
    auto proof = reader.prove(key);
    ASSERT_TRUE(proof.has_value()) << proof.error().message;
    EXPECT_EQ(proof->root, reader.state_root());
    EXPECT_EQ(proof->height, reader.height());
    EXPECT_EQ(proof->value, expected);
    const auto value = expected ? std::optional<ByteSpan>(ByteSpan(*expected)) : std::nullopt;
    EXPECT_TRUE(verify_state_proof(reader.state_root(), key, value, proof->proof).has_value());
}

using LedgerSnapshotTest = LedgerFixture;

TEST_F(LedgerSnapshotTest, KeepsAnsweringItsBlockAfterLaterBlocks) {
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 5}));
    const uint64_t height = ledger->height();
    const Hash32 root = ledger->state_root();
    const U256 flk0 = flk(0);
    const U256 flk1 = flk(1);
    const Bytes key0 = tables::account(address(0).bytes());
    const Bytes fresh_key = tables::account(fresh_address().bytes());
    const std::optional<Bytes> value0 = ledger->state_value(key0);
    ASSERT_TRUE(value0.has_value());
    const auto snapshot = ledger->snapshot();

    // Later blocks change account 0 and create an account: entries and tree nodes change.
    for (int i = 0; i < 5; ++i) ok(net->account_tx(0, Transfer{Token::flk, fresh_address().bytes(), 7}));
    ASSERT_EQ(ledger->height(), height + 5);
    ASSERT_NE(ledger->state_root(), root);
    ASSERT_NE(flk(0), flk0);
    ASSERT_EQ(ledger->balance(fresh_address(), Token::flk), U256(35));

    EXPECT_EQ(snapshot->height(), height);
    EXPECT_EQ(snapshot->state_root(), root);
    EXPECT_EQ(snapshot->chain_info().block_height, height);
    EXPECT_EQ(snapshot->balance(address(0), Token::flk), flk0);
    EXPECT_EQ(snapshot->balance(address(1), Token::flk), flk1);
    EXPECT_EQ(snapshot->account(address(0))->nonce, 1u);
    EXPECT_FALSE(snapshot->account(fresh_address()).has_value());
    EXPECT_EQ(snapshot->nodes().size(), ledger->nodes().size());
    EXPECT_EQ(snapshot->current_committee().size(), ledger->current_committee().size());
    // Inclusion of the old value and exclusion of the new account, against the old root.
    expect_proven(*snapshot, key0, value0);
    expect_proven(*snapshot, fresh_key, std::nullopt);
    // The old proof does not verify against the new root, and the ledger proves the new state.
    auto old_proof = snapshot->prove(key0);
    ASSERT_TRUE(old_proof.has_value());
    EXPECT_FALSE(verify_state_proof(ledger->state_root(), key0, ByteSpan(*value0), old_proof->proof).has_value());
    expect_proven(*ledger, fresh_key, ledger->state_value(fresh_key));
}

// The node's pattern: the executing thread takes a snapshot after each block and publishes it;
// another thread reads the published snapshots (and an old one) meanwhile, without a lock
// around the ledger. Under TSan/ASan this also checks that snapshot reads share no unguarded
// state with execution (the Store's tree cache).
TEST_F(LedgerSnapshotTest, AnswersFromAnotherThreadWhileBlocksExecute) {
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 5}));
    const uint64_t first_height = ledger->height();
    const U256 first_flk1 = flk(1);
    const Bytes key1 = tables::account(address(1).bytes());
    const std::optional<Bytes> first_value1 = ledger->state_value(key1);
    const auto first = ledger->snapshot();
    const crypto::AccountAddress receiver = address(1);

    constexpr uint64_t block_count = 20;
    std::mutex published_mutex;
    std::shared_ptr<const LedgerSnapshot> published = first;
    std::atomic<bool> done{false};
    std::thread executing([&] {
        for (uint64_t b = 0; b < block_count; ++b) {
            ok(net->account_tx(0, Transfer{Token::flk, receiver.bytes(), 1}));
            auto next = ledger->snapshot();
            std::lock_guard lock(published_mutex);
            published = std::move(next);
        }
        done = true;
    });
    size_t reads = 0;
    uint64_t newest_height = first_height;
    while (!done.load() || reads == 0) {
        EXPECT_EQ(first->height(), first_height);
        EXPECT_EQ(first->balance(receiver, Token::flk), first_flk1);
        expect_proven(*first, key1, first_value1);
        std::shared_ptr<const LedgerSnapshot> newest;
        {
            std::lock_guard lock(published_mutex);
            newest = published;
        }
        // Each block adds 1 to the receiver: a snapshot's balance is a function of its height.
        EXPECT_GE(newest->height(), newest_height);
        newest_height = newest->height();
        EXPECT_EQ(newest->chain_info().block_height, newest->height());
        EXPECT_EQ(newest->balance(receiver, Token::flk), first_flk1 + U256(newest->height() - first_height));
        expect_proven(*newest, key1, newest->state_value(key1));
        ++reads;
        if (HasFailure()) break;
    }
    executing.join();
    EXPECT_EQ(ledger->height(), first_height + block_count);
    EXPECT_EQ(published->height(), ledger->height());
    EXPECT_EQ(published->state_root(), ledger->state_root());
    std::printf("%zu snapshot reads while %llu blocks executed\n", reads, static_cast<unsigned long long>(block_count));
}

TEST_F(LedgerSnapshotTest, StaysReadableAfterTheLedgerCloses) {
    ok(net->account_tx(0, Transfer{Token::flk, address(1).bytes(), 5}));
    const U256 flk1 = flk(1);
    const Hash32 root = ledger->state_root();
    auto snapshot = ledger->snapshot();
    ledger.reset();
    EXPECT_EQ(snapshot->balance(address(1), Token::flk), flk1);
    EXPECT_EQ(snapshot->state_root(), root);
    expect_proven(*snapshot, tables::account(address(1).bytes()), snapshot->state_value(tables::account(address(1).bytes())));
    // The database closes with the last snapshot; the directory opens again afterwards.
    snapshot.reset();
    LedgerOptions options;
    options.sync_writes = false;
    auto reopened = Ledger::open(dir->path(), net->genesis, options);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
    EXPECT_EQ((*reopened)->state_root(), root);
}

}  // namespace
}  // namespace fleek::ledger
