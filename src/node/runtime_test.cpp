// The routing rule every node applies to client transactions (node/runtime.h, sender_route):
// nodes must agree on it, or one sender's transactions reach different workers and leave
// nonce gaps. Then a runtime in process, alone in its committee: what it reads while a block
// executes, how it fails, pending nonces, forwarded transactions and Slash evidence (issue 15).
#include "node/runtime.h"

#include "codec/codec.h"
#include "crypto/hash.h"
#include "ledger/block.h"
#include "ledger/tables.h"
#include "node/rpc_backend.h"
#include "node/runtime_impl.h"
#include "rpc/json_rpc.h"
#include "tests/support/files.h"
#include "tests/support/ledger_network.h"

#include <gtest/gtest.h>

#include <array>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace fleek::node {
namespace {

// The documented rule computed from its parts.
size_t expected_route(uint8_t tag, ByteSpan key, size_t committee_size) {
    Bytes input{tag};
    input.insert(input.end(), key.begin(), key.end());
    const Hash32 hash = crypto::blake3(input);
    uint64_t pick = 0;
    for (size_t i = 0; i < 8; ++i) pick = (pick << 8) | hash[i];
    return static_cast<size_t>(pick % committee_size);
}

TEST(SenderRoute, FollowsTheDocumentedRuleForEachKindOfSender) {
    for (uint8_t seed = 0; seed < 50; ++seed) {
        ledger::AccountSender account;
        ledger::NodeSender node;
        ledger::ConsensusSender consensus;
        for (size_t i = 0; i < account.address.size(); ++i) account.address[i] = static_cast<uint8_t>(seed * 7 + i);
        for (size_t i = 0; i < node.key.size(); ++i) node.key[i] = static_cast<uint8_t>(seed * 11 + i);
        for (size_t i = 0; i < consensus.key.size(); ++i) consensus.key[i] = static_cast<uint8_t>(seed * 13 + i);
        for (size_t size : {1u, 3u, 4u, 7u}) {
            EXPECT_EQ(sender_route(account, size), expected_route(2, account.address, size));
            EXPECT_EQ(sender_route(node, size), expected_route(0, node.key, size));
            EXPECT_EQ(sender_route(consensus, size), expected_route(1, consensus.key, size));
        }
    }
}

TEST(SenderRoute, SpreadsSendersOverTheCommittee) {
    std::array<size_t, 4> counts{};
    for (uint32_t n = 0; n < 4000; ++n) {
        ledger::AccountSender account;
        for (size_t i = 0; i < 4; ++i) account.address[i] = static_cast<uint8_t>(n >> (8 * i));
        const size_t index = sender_route(account, counts.size());
        ASSERT_LT(index, counts.size());
        ++counts[index];
    }
    for (size_t count : counts) {
        EXPECT_GT(count, 850u);
        EXPECT_LT(count, 1150u);
    }
}

TEST(SenderRoute, AnEmptyCommitteeRoutesToIndexZero) {
    EXPECT_EQ(sender_route(ledger::AccountSender{}, 0), 0u);
}

}  // namespace
}  // namespace fleek::node

// ---- one runtime in process, the only member of its committee (issue 15) ----------------------

namespace fleek::node {
namespace {

using namespace std::chrono_literals;

template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds limit = 60s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (condition()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return condition();
}

uint64_t wall_ms() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// Node 0 of a two-node network runs alone as the committee of one; node 1 is registered (a
// peer whose pool port a test may take over) and not in the committee.
class SoloRuntime {
public:
    explicit SoloRuntime(const std::function<void(RuntimeOptions&)>& adjust = {}, uint16_t peer_port = 1)
        : net(testing::NetworkShape{.nodes = 2, .committee = 1, .accounts = 2}) {
        net.genesis.epoch_start_ms = wall_ms();
        net.genesis.params.epoch_time_ms = 3'600'000;  // no epoch change during a test
        net.genesis.nodes[1].ports.pool = peer_port;   // 1: nothing listens there
        RuntimeOptions options;
        options.ledger_dir = dir / "ledger";
        options.chain_dir = dir / "chain";
        options.consensus_dir = dir / "consensus";
        options.genesis = net.genesis;
        options.sync_writes = false;
        options.transport.listen_host = "127.0.0.1";
        options.transport.listen_port = 0;
        options.consensus.max_header_delay_us = 100'000;
        options.consensus.min_header_delay_us = 20'000;
        options.consensus.max_batch_delay_us = 20'000;
        if (adjust) adjust(options);
        auto started = Runtime::start(std::move(options), net.nodes[0].node_key, net.nodes[0].consensus_key);
        EXPECT_TRUE(started.has_value()) << (started ? "" : started.error());
        if (!started) return;
        runtime = std::move(*started);
        backend = std::make_unique<RuntimeBackend>(*runtime, net.nodes[0].node_key.public_key(), net.nodes[0].consensus_key.public_key());
    }

    Bytes transfer(uint64_t nonce, uint64_t amount) {
        const ledger::Transaction transaction{{}, nonce, net.chain_id(),
                                              ledger::Transfer{ledger::Token::flk, net.accounts[1].address().bytes(), U256(amount)}};
        return ledger::sign_transaction(transaction, net.accounts[0]).to_bytes();
    }
    static Hash32 digest_of(const Bytes& transaction) {
        return codec::decode<ledger::SignedTransaction>(transaction).value().transaction.digest();
    }
    std::optional<TransactionLocation> receipt(const Hash32& digest) {
        std::optional<TransactionLocation> out;
        runtime->read_store([&](const Chain& chain) { out = chain.transaction(digest); });
        return out;
    }
    template <class T>
    T read_ledger(const std::function<T(const ledger::Ledger&)>& read) {
        std::optional<T> out;
        runtime->read([&](const Chain& chain) { out = read(chain.ledger()); });
        return *out;
    }
    uint64_t account_nonce(size_t account) {
        return read_ledger<uint64_t>([&](const ledger::Ledger& ledger) {
            auto info = ledger.account(net.accounts[account].address());
            return info ? info->nonce : 0;
        });
    }
    Result<rpc::Json, rpc::RpcError> call(std::string_view method, rpc::Json params = rpc::Json::array()) {
        rpc::Context context{*backend, registry, {}};
        return rpc::call_method(registry, context, method, params);
    }

    testing::TestNetwork net;
    testing::ScratchDirectory dir;
    std::unique_ptr<Runtime> runtime;
    rpc::Registry registry = rpc::standard_registry();
    std::unique_ptr<RuntimeBackend> backend;
};

// Holds a block's execution in the test hook (the core thread holds the chain lock) until released.
struct ExecutionGate {
    std::mutex mutex;
    std::condition_variable changed;
    bool armed = false;
    bool entered = false;
    bool released = false;

    bool pass(uint64_t) {
        std::unique_lock lock(mutex);
        if (!armed) return true;
        entered = true;
        changed.notify_all();
        changed.wait(lock, [&] { return released; });
        return true;
    }
    bool wait_entered(std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, limit, [&] { return entered; });
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        changed.notify_all();
    }
};

TEST(SoloRuntime, ExecutesClientTransactions) {
    SoloRuntime solo;
    ASSERT_TRUE(solo.runtime);
    const Bytes transfer = solo.transfer(1, 42);
    ASSERT_TRUE(solo.runtime->submit_transaction(transfer).has_value());
    ASSERT_TRUE(wait_until([&] { return solo.receipt(SoloRuntime::digest_of(transfer)).has_value(); }));
    EXPECT_EQ(solo.receipt(SoloRuntime::digest_of(transfer))->receipt.status, ledger::ReceiptStatus::success);
    // The receipt is stored just before the block commits; the summary follows at once.
    EXPECT_TRUE(wait_until([&] { return solo.runtime->summary()->height == 1; }));
    EXPECT_TRUE(wait_until([&] { return solo.runtime->status().height == 1; }));
    EXPECT_TRUE(solo.runtime->health().healthy);
}

// Issue 15: summary reads (block number, chain info, epoch info, committee, ...) took the chain
// mutex that block execution holds, so they waited for the whole block. They now read the
// summary published after the previous block and answer while the block is held.
TEST(SoloRuntime, SummaryReadsDoNotWaitForABlockThatExecutes) {
    ExecutionGate gate;
    SoloRuntime solo([&](RuntimeOptions& options) { options.test_before_record_write = [&](uint64_t height) { return gate.pass(height); }; });
    ASSERT_TRUE(solo.runtime);
    {
        std::lock_guard lock(gate.mutex);
        gate.armed = true;
    }
    ASSERT_TRUE(solo.runtime->submit_transaction(solo.transfer(1, 5)).has_value());
    ASSERT_TRUE(gate.wait_entered(60s)) << "the block never executed";
    // The core thread is inside the block now, holding the chain lock.
    const auto started = std::chrono::steady_clock::now();
    auto reads = std::async(std::launch::async, [&] {
        std::vector<Result<rpc::Json, rpc::RpcError>> out;
        for (const char* method : {"flk_get_block_number", "flk_get_chain_info", "flk_get_epoch_info", "flk_get_epoch",
                                   "flk_get_committee_members", "flk_get_state_root", "flk_get_protocol_params"}) {
            out.push_back(solo.call(method));
        }
        return out;
    });
    const bool answered = reads.wait_for(5s) == std::future_status::ready;
    const auto waited = std::chrono::steady_clock::now() - started;
    gate.release();  // in every case, so the reads and the runtime can finish
    ASSERT_TRUE(answered) << "reads waited for the held block";
    const auto results = reads.get();
    for (const auto& result : results) ASSERT_TRUE(result.has_value()) << result.error().message;
    EXPECT_EQ(results[0]->get<uint64_t>(), 0u);  // the state before the held block
    EXPECT_EQ((*results[1])["height"], 0u);
    std::printf("7 summary reads while a block was held: %lld us\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
    ASSERT_TRUE(wait_until([&] { return solo.runtime->summary()->height == 1; }));
    EXPECT_EQ(solo.call("flk_get_block_number")->get<uint64_t>(), 1u);
}

// Issue 15 item 10: account, node and proof reads (and flk_send_txn's checks, and the pending
// nonce) took the chain lock that block execution holds, so a read waited for the whole block
// and a flood of reads delayed blocks. They now read the snapshot of the committed state
// published after the previous block: while block 1 is held inside execution (the core thread
// holds the chain lock), they answer at once with the state of height 0, and the proof verifies
// against height 0's root. Before the change these calls waited for the gate and the test fails
// at "ledger reads waited for the held block".
TEST(SoloRuntime, LedgerReadsDoNotWaitForABlockThatExecutes) {
    ExecutionGate gate;
    SoloRuntime solo([&](RuntimeOptions& options) { options.test_before_record_write = [&](uint64_t height) { return gate.pass(height); }; });
    ASSERT_TRUE(solo.runtime);
    const auto genesis_summary = solo.runtime->summary();
    const Hash32 genesis_root = genesis_summary->state_root;
    const U256 genesis_flk1 = genesis_summary->ledger->balance(solo.net.accounts[1].address(), ledger::Token::flk);
    const Bytes account_key = ledger::tables::account(solo.net.accounts[0].address().bytes());
    const std::optional<Bytes> genesis_account = genesis_summary->ledger->state_value(account_key);
    ASSERT_TRUE(genesis_account.has_value());
    {
        std::lock_guard lock(gate.mutex);
        gate.armed = true;
    }
    ASSERT_TRUE(solo.runtime->submit_transaction(solo.transfer(1, 5)).has_value());
    ASSERT_TRUE(gate.wait_entered(60s)) << "the block never executed";
    // The core thread is inside block 1 now, holding the chain lock.
    const ledger::AccountSender sender{solo.net.accounts[0].address().bytes()};
    struct Answers {
        std::vector<Result<rpc::Json, rpc::RpcError>> calls;
        rpc::PendingNonce pending;
        Result<Hash32, rpc::SubmitError> second = fail(rpc::SubmitError::unavailable);
    };
    const auto started = std::chrono::steady_clock::now();
    auto reads = std::async(std::launch::async, [&] {
        Answers out;
        const rpc::Json address1 = rpc::Json::array({solo.net.accounts[1].address().to_string()});
        out.calls.push_back(solo.call("flk_get_flk_balance", address1));
        out.calls.push_back(solo.call("flk_get_account_info", rpc::Json::array({solo.net.accounts[0].address().to_string()})));
        out.calls.push_back(solo.call("flk_get_node_info", rpc::Json::array({solo.net.nodes[0].node_key.public_key().to_string()})));
        out.calls.push_back(solo.call("flk_get_node_registry"));
        out.calls.push_back(solo.call("flk_get_state_proof", rpc::Json::array({hex_encode(account_key)})));
        out.pending = solo.runtime->pending_nonce(sender);
        out.second = solo.runtime->submit_transaction(solo.transfer(2, 6));
        return out;
    });
    const bool answered = reads.wait_for(5s) == std::future_status::ready;
    const auto waited = std::chrono::steady_clock::now() - started;
    gate.release();  // in every case, so the reads and the runtime can finish
    ASSERT_TRUE(answered) << "ledger reads waited for the held block";
    const Answers answers = reads.get();
    for (const auto& result : answers.calls) ASSERT_TRUE(result.has_value()) << result.error().message;
    // The state of height 0: before the held transfer.
    EXPECT_EQ(answers.calls[0]->get<std::string>(), u256_to_decimal(genesis_flk1));
    EXPECT_EQ((*answers.calls[1])["nonce"], 0u);
    EXPECT_FALSE(answers.calls[2]->is_null());
    EXPECT_TRUE(answers.calls[3]->is_array());
    const rpc::Json& proof = *answers.calls[4];
    EXPECT_EQ(proof["height"], 0u);
    EXPECT_EQ(proof["root"], hex_encode(genesis_root));
    EXPECT_EQ(proof["value"], hex_encode(*genesis_account));
    const auto decoded = codec::decode<ledger::StateProof>(hex_decode(proof["encoding"].get<std::string>()).value());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(ledger::verify_state_proof(genesis_root, account_key, ByteSpan(*genesis_account), *decoded).has_value());
    // Nonce 1 waits in the held block: it is pending, so the next transaction takes nonce 2.
    EXPECT_EQ(answers.pending.nonce, 0u);
    EXPECT_EQ(answers.pending.pending_nonce, 1u);
    ASSERT_TRUE(answers.second.has_value()) << rpc::to_string(answers.second.error());
    std::printf("5 ledger reads, a pending nonce and a submission while a block was held: %lld us\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
    // Both transfers execute; the reads then answer with the new state.
    ASSERT_TRUE(wait_until([&] { return solo.account_nonce(0) == 2; })) << solo.account_nonce(0);
    ASSERT_TRUE(wait_until([&] { return solo.runtime->summary()->ledger->account(solo.net.accounts[0].address())->nonce == 2; }));
    EXPECT_EQ(solo.call("flk_get_flk_balance", rpc::Json::array({solo.net.accounts[1].address().to_string()}))->get<std::string>(),
              u256_to_decimal(genesis_flk1 + U256(11)));
}

// Issue 15: a runtime that failed kept answering OK on /health and accepting transactions.
TEST(SoloRuntime, AFailedRuntimeReportsItAndRefusesTransactions) {
    SoloRuntime solo([](RuntimeOptions& options) { options.test_before_record_write = [](uint64_t height) { return height < 2; }; });
    ASSERT_TRUE(solo.runtime);
    const Bytes first = solo.transfer(1, 5);
    ASSERT_TRUE(solo.runtime->submit_transaction(first).has_value());
    ASSERT_TRUE(wait_until([&] { return solo.receipt(SoloRuntime::digest_of(first)).has_value(); }));
    EXPECT_FALSE(solo.runtime->failure().has_value());
    ASSERT_TRUE(solo.runtime->submit_transaction(solo.transfer(2, 5)).has_value());  // block 2 cannot be written
    ASSERT_TRUE(wait_until([&] { return solo.runtime->failure().has_value(); }));
    EXPECT_NE(solo.runtime->failure()->find("executing a block: the chain store or the ledger could not write"), std::string::npos)
        << *solo.runtime->failure();
    const rpc::Health health = solo.runtime->health();
    EXPECT_FALSE(health.healthy);
    EXPECT_EQ(health.reason.rfind("runtime stopped: ", 0), 0u) << health.reason;
    EXPECT_TRUE(wait_until([&] { return !solo.runtime->status().running; }));
    auto refused = solo.runtime->submit_transaction(solo.transfer(3, 5));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), rpc::SubmitError::stopped);
    // Through JSON-RPC: -32001 with reason "stopped", and flk_health fails.
    auto sent = solo.call("flk_send_txn", rpc::Json::array({hex_encode(solo.transfer(3, 5))}));
    ASSERT_FALSE(sent);
    EXPECT_EQ(sent.error().code, rpc::ErrorCode::unavailable);
    EXPECT_EQ(sent.error().data["reason"], "stopped");
    auto health_call = solo.call("flk_health");
    ASSERT_FALSE(health_call);
    EXPECT_EQ(health_call.error().code, rpc::ErrorCode::unavailable);
    EXPECT_EQ(solo.runtime->status().height, 1u);
}

// Issue 15: five transactions sent in a row (each signed with the pending nonce) all execute; a
// second transaction with a pending nonce and one too far ahead are refused.
TEST(SoloRuntime, PendingNoncesLetTransactionsFollowEachOther) {
    SoloRuntime solo;
    ASSERT_TRUE(solo.runtime);
    const ledger::AccountSender sender{solo.net.accounts[0].address().bytes()};
    std::vector<Hash32> digests;
    for (uint64_t k = 0; k < 5; ++k) {
        const uint64_t nonce = solo.runtime->pending_nonce(sender).pending_nonce + 1;
        EXPECT_EQ(nonce, k + 1);
        const Bytes transfer = solo.transfer(nonce, 10 + k);
        auto sent = solo.runtime->submit_transaction(transfer);
        ASSERT_TRUE(sent.has_value()) << rpc::to_string(sent.error());
        digests.push_back(*sent);
    }
    auto ahead = solo.runtime->submit_transaction(solo.transfer(5 + 65, 1));
    ASSERT_FALSE(ahead);
    EXPECT_EQ(ahead.error(), rpc::SubmitError::nonce_too_far_ahead);
    ASSERT_TRUE(wait_until([&] { return solo.account_nonce(0) == 5; })) << solo.account_nonce(0);
    for (const Hash32& digest : digests) EXPECT_EQ(solo.receipt(digest)->receipt.status, ledger::ReceiptStatus::success);
    const rpc::PendingNonce after = solo.runtime->pending_nonce(sender);
    EXPECT_EQ(after.nonce, 5u);
    EXPECT_EQ(after.pending_nonce, 5u);
    EXPECT_EQ(after.pending, 0u);
    // Nonce 7 waits for nonce 6 (held by the worker), so it is pending for sure when another
    // transaction with nonce 7 comes: refused. The pending nonce stops at the gap.
    ASSERT_TRUE(solo.runtime->submit_transaction(solo.transfer(7, 1)).has_value());
    auto duplicate = solo.runtime->submit_transaction(solo.transfer(7, 2));
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error(), rpc::SubmitError::nonce_pending);
    const rpc::PendingNonce gap = solo.runtime->pending_nonce(sender);
    EXPECT_EQ(gap.pending_nonce, 5u);
    EXPECT_EQ(gap.pending, 1u);
}

// Issue 15: a transaction a peer forwards reached the worker without a signature check. A
// registered peer (node 1, played by a bare transport) forwards a forged transaction, then a
// valid one: the forged one is refused and counted for that peer and never executes.
TEST(SoloRuntime, ForgedTransactionsFromAPeerAreRefusedAndCounted) {
    testing::TestNetwork keys(testing::NetworkShape{.nodes = 2, .committee = 1, .accounts = 2});
    net::TransportOptions peer_options;
    peer_options.listen_host = "127.0.0.1";
    peer_options.listen_port = 0;
    auto peer = net::Transport::start(peer_options, keys.nodes[1].node_key, [](const crypto::NodePublicKey&, net::Channel, Bytes) {});
    ASSERT_TRUE(peer.has_value()) << peer.error();
    SoloRuntime solo({}, (*peer)->port());
    ASSERT_TRUE(solo.runtime);
    const auto runtime_key = solo.net.nodes[0].node_key.public_key();
    (*peer)->set_peers({net::PeerAddress{runtime_key, "127.0.0.1", solo.runtime->pool_port()}});
    ASSERT_TRUE(wait_until([&] {
        for (const auto& status : (*peer)->peer_status()) {
            if (status.connected) return true;
        }
        return false;
    })) << "the peer did not connect";
    Bytes forged = solo.transfer(1, 7);
    forged[forged.size() - 10] ^= 0x40;  // inside the signature
    const Bytes valid = solo.transfer(1, 5);
    ASSERT_EQ((*peer)->send(runtime_key, net::Channel::request, tagged(1, forged)), net::SendResult::queued);
    ASSERT_EQ((*peer)->send(runtime_key, net::Channel::request, tagged(1, valid)), net::SendResult::queued);
    ASSERT_TRUE(wait_until([&] { return solo.receipt(SoloRuntime::digest_of(valid)).has_value(); }));
    EXPECT_EQ(solo.receipt(SoloRuntime::digest_of(valid))->receipt.status, ledger::ReceiptStatus::success);
    EXPECT_FALSE(solo.receipt(SoloRuntime::digest_of(forged)).has_value()) << "the forged transaction reached consensus";
    const auto refused = solo.runtime->status().transactions_refused_by_peer;
    ASSERT_EQ(refused.count(keys.nodes[1].node_key.public_key()), 1u);
    EXPECT_EQ(refused.at(keys.nodes[1].node_key.public_key()), 1u);
    EXPECT_NE(solo.runtime->metrics_text().find("fleek_peer_transactions_refused_total{peer=\"" +
                                                 keys.nodes[1].node_key.public_key().to_string() + "\"} 1"),
              std::string::npos);
    EXPECT_EQ(solo.account_nonce(0), 1u);
    (*peer)->stop();
}

// Issue 15: equivocation evidence seen by a node becomes one Slash transaction signed with its
// node key, which the ledger executes. Here the evidence is against the only committee member
// (this node: it is the only key whose statements count), built with ledger::sign_statement.
TEST(SoloRuntime, EquivocationEvidenceBecomesOneSlashTransaction) {
    SoloRuntime solo;
    ASSERT_TRUE(solo.runtime);
    const auto& accused = solo.net.nodes[0].consensus_key;
    ledger::ConsensusStatement statement;
    statement.kind = ledger::StatementKind::header;
    statement.epoch = 0;
    statement.round = 7;
    statement.origin = accused.public_key().bytes();
    statement.subject[0] = 1;
    const ledger::SignedStatement first = ledger::sign_statement(statement, accused);
    statement.subject[0] = 2;
    const ledger::SignedStatement second = ledger::sign_statement(statement, accused);
    const U256 staked_before = solo.read_ledger<U256>([](const ledger::Ledger& ledger) { return ledger.node(0)->staked; });

    // Forged: the second statement signed by another key; not conflicting: the same subject twice.
    const ledger::SignedStatement by_other = ledger::sign_statement(statement, solo.net.nodes[1].consensus_key);
    auto forged = solo.runtime->submit_slash_evidence(first, by_other);
    ASSERT_FALSE(forged);
    EXPECT_EQ(forged.error(), SlashEvidenceError::not_evidence);
    auto same = solo.runtime->submit_slash_evidence(first, first);
    ASSERT_FALSE(same);
    EXPECT_EQ(same.error(), SlashEvidenceError::not_evidence);

    ASSERT_TRUE(solo.runtime->submit_slash_evidence(first, second).has_value());
    auto again = solo.runtime->submit_slash_evidence(second, first);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), SlashEvidenceError::already_submitted);

    // The Slash executes: the node-key nonce is used, the stake is cut, the evidence recorded.
    ASSERT_TRUE(wait_until([&] {
        return solo.read_ledger<uint64_t>([](const ledger::Ledger& ledger) { return ledger.node(0)->nonce; }) == 1;
    })) << "the Slash transaction did not execute";
    const U256 staked_after = solo.read_ledger<U256>([](const ledger::Ledger& ledger) { return ledger.node(0)->staked; });
    EXPECT_LT(staked_after, staked_before);
    EXPECT_EQ(solo.runtime->status().slashes_submitted, 1u);
    // The receipt is a successful Slash with the amount taken.
    const ledger::Transaction slash{{}, 1, solo.net.chain_id(), ledger::Slash{0, first, second}};
    const Hash32 digest = ledger::sign_transaction(slash, solo.net.nodes[0].node_key).transaction.digest();
    ASSERT_TRUE(wait_until([&] { return solo.receipt(digest).has_value(); }));
    const auto location = solo.receipt(digest);
    EXPECT_EQ(location->receipt.status, ledger::ReceiptStatus::success);
    ASSERT_TRUE(std::holds_alternative<ledger::SlashOutput>(location->receipt.output));
    EXPECT_EQ(std::get<ledger::SlashOutput>(location->receipt.output).amount, staked_before - staked_after);
}

}  // namespace
}  // namespace fleek::node

namespace fleek::node {
namespace {

// Issue 15 (measured, printed): a flood of ledger reads from 4 threads while 30 transfers execute.
// The core thread goes first for the chain lock, so its longest wait is about one read.
TEST(SoloRuntime, ALedgerReadFloodDelaysExecutionByAboutOneRead) {
    SoloRuntime solo;
    ASSERT_TRUE(solo.runtime);
    const auto run_transfers = [&](uint64_t first_nonce, uint64_t count) {
        const auto started = std::chrono::steady_clock::now();
        for (uint64_t n = first_nonce; n < first_nonce + count; ++n) EXPECT_TRUE(solo.runtime->submit_transaction(solo.transfer(n, 1)).has_value());
        EXPECT_TRUE(wait_until([&] { return solo.account_nonce(0) == first_nonce + count - 1; }, 120s));
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    };
    const auto quiet_ms = run_transfers(1, 30);
    const uint64_t quiet_wait_us = solo.runtime->chain_lock_wait_max_us();
    solo.runtime->reset_chain_lock_wait();
    std::atomic<bool> flooding{true};
    std::atomic<uint64_t> reads{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&] {
            while (flooding) {
                (void)solo.call("flk_get_account_info", rpc::Json::array({solo.net.accounts[0].address().to_string()}));
                (void)solo.call("flk_get_node_registry");
                reads += 2;
            }
        });
    }
    const auto flooded_ms = run_transfers(31, 30);
    flooding = false;
    for (auto& reader : readers) reader.join();
    const uint64_t flooded_wait_us = solo.runtime->chain_lock_wait_max_us();
    std::printf("30 transfers: %lld ms quiet (longest lock wait %llu us); %lld ms under %llu ledger reads from 4 threads "
                "(longest lock wait %llu us)\n",
                static_cast<long long>(quiet_ms), static_cast<unsigned long long>(quiet_wait_us), static_cast<long long>(flooded_ms),
                static_cast<unsigned long long>(reads.load()), static_cast<unsigned long long>(flooded_wait_us));
    EXPECT_GT(reads.load(), 0u);
    EXPECT_LT(flooded_wait_us, 1'000'000u);  // a read takes far less than a second
}

}  // namespace
}  // namespace fleek::node
