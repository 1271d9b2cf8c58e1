// flk's ledger commands (balance, account, transfer, stake, stake-lock, unstake,
// withdraw-unstaked, approve-client-key, tx) against an RpcServer over the test backend: the
// real binary, signing with an account key file and talking JSON-RPC over loopback.
#include "crypto/key_file.h"
#include "rpc/rpc_server.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/rpc_test_backend.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace fleek {
namespace {

using rpc::Json;

class FlkRpcTest : public ::testing::Test {
protected:
    void SetUp() override {
        rpc::RpcServerOptions options;
        options.port = 0;
        auto started = rpc::RpcServer::start(options, backend, registry);
        ASSERT_TRUE(started.has_value()) << started.error();
        server = std::move(*started);
        url = "http://127.0.0.1:" + std::to_string(server->port());
        key_path = (dir / "account.pem").string();
        ASSERT_TRUE(crypto::save_account_key(key_path, backend.net.accounts[0], false).has_value());
        owner_key_path = (dir / "owner.pem").string();
        ASSERT_TRUE(crypto::save_account_key(owner_key_path, backend.net.nodes[0].owner, false).has_value());
    }

    testing::ProcessResult flk(std::vector<std::string> args) {
        args.insert(args.begin(), FLK_BINARY);
        args.push_back("--rpc");
        args.push_back(url);
        return testing::run_process(args);
    }
    // Runs a sending command without waiting, executes the block, returns the receipt's JSON via `flk tx`.
    Json send_and_commit(std::vector<std::string> args) {
        args.push_back("--json");
        args.push_back("--no-wait");
        const auto sent = flk(args);
        EXPECT_EQ(sent.exit_code, 0) << sent.err;
        const Json answer = Json::parse(sent.out, nullptr, false);
        EXPECT_TRUE(answer.is_object()) << sent.out;
        if (!answer.is_object()) return nullptr;
        backend.commit();
        const auto receipt = flk({"tx", answer["digest"].get<std::string>(), "--json"});
        return Json::parse(receipt.out, nullptr, false);
    }
    U256 flk_of(const crypto::AccountAddress& address) {
        return backend.ledger_snapshot()->balance(address, ledger::Token::flk);
    }
    ledger::NodeInfo node_info(ledger::NodeIndex index) {
        return backend.ledger_snapshot()->node(index).value();
    }

    testing::RpcTestBackend backend;
    rpc::Registry registry = rpc::standard_registry();
    std::unique_ptr<rpc::RpcServer> server;
    testing::ScratchDirectory dir;
    std::string url;
    std::string key_path;
    std::string owner_key_path;
};

TEST_F(FlkRpcTest, BalanceAndAccount) {
    const std::string address = backend.net.accounts[0].address().to_string();
    auto result = flk({"balance", address});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("FLK: 1000000\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("stables: 1000\n"), std::string::npos) << result.out;
    result = flk({"balance", "--key", key_path, "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(Json::parse(result.out)["flk"], "1000000000000000000000000");
    result = flk({"account", address, "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(Json::parse(result.out)["nonce"], 0);
    result = flk({"balance", "0x1234"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("not an account address"), std::string::npos);
}

TEST_F(FlkRpcTest, TransferAndReceipt) {
    const crypto::AccountAddress to = backend.net.accounts[1].address();
    const U256 before = flk_of(to);
    const Json receipt = send_and_commit({"transfer", "--key", key_path, "--to", to.to_string(), "--amount", "1.5"});
    EXPECT_EQ(receipt["status"], "success") << receipt.dump();
    EXPECT_EQ(flk_of(to), before + U256(1'500'000'000'000'000'000ull));
    // The nonce advanced: a second transfer goes through too.
    const Json second =
        send_and_commit({"transfer", "--key", key_path, "--to", to.to_string(), "--amount", "7", "--base-units"});
    EXPECT_EQ(second["status"], "success");
    EXPECT_EQ(flk_of(to), before + U256(1'500'000'000'000'000'007ull));
    // Human output of tx.
    auto result = flk({"transfer", "--key", key_path, "--to", to.to_string(), "--amount", "1", "--token", "stables", "--no-wait"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const size_t at = result.out.find("digest: ");
    ASSERT_NE(at, std::string::npos);
    const std::string digest = result.out.substr(at + 8, 64);
    result = flk({"tx", digest});
    EXPECT_EQ(result.exit_code, 1);  // not executed yet
    backend.commit();
    result = flk({"tx", digest});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("status: success"), std::string::npos);
}

TEST_F(FlkRpcTest, TransferErrors) {
    const std::string to = backend.net.accounts[1].address().to_string();
    auto result = flk({"transfer", "--key", key_path, "--to", to, "--amount", "0.0000000000000000001"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("more than 18 decimals"), std::string::npos) << result.err;
    result = flk({"transfer", "--key", (dir / "missing.pem").string(), "--to", to, "--amount", "1"});
    EXPECT_EQ(result.exit_code, 1);
    result = flk({"transfer", "--to", to, "--amount", "1"});
    EXPECT_EQ(result.exit_code, 2);  // --key is required
    // The node refuses: it cannot relay now.
    backend.unavailable = true;
    result = flk({"transfer", "--key", key_path, "--to", to, "--amount", "1"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("-32001"), std::string::npos) << result.err;
    // No node at the URL.
    const auto unreachable = testing::run_process({FLK_BINARY, "balance", to, "--rpc", "http://127.0.0.1:1"});
    EXPECT_EQ(unreachable.exit_code, 1);
    EXPECT_NE(unreachable.err.find("cannot reach"), std::string::npos) << unreachable.err;
    // A malformed digest is refused before asking the node.
    result = flk({"tx", "xyz"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("64 hex digits"), std::string::npos) << result.err;
}

// Issue 13, item 5: --rpc was taken only after a ledger command (`flk --rpc URL balance` was a
// usage error, exit 2). Both places now give the same answer from the same node.
TEST_F(FlkRpcTest, RpcOptionIsTakenBeforeOrAfterTheCommand) {
    const std::string address = backend.net.accounts[0].address().to_string();
    const auto before = testing::run_process({FLK_BINARY, "--rpc", url, "balance", address, "--json"});
    const auto after = testing::run_process({FLK_BINARY, "balance", address, "--json", "--rpc", url});
    ASSERT_EQ(before.exit_code, 0) << before.err;
    ASSERT_EQ(after.exit_code, 0) << after.err;
    EXPECT_EQ(before.out, after.out);
    EXPECT_TRUE(Json::parse(before.out, nullptr, false).is_object()) << before.out;
}

// Issue 15: transfers sent in a row all took the committed nonce (the first was executed, the
// others rejected). flk now signs with the pending nonce, so each takes the next one.
TEST_F(FlkRpcTest, TransfersInARowTakeThePendingNonce) {
    const crypto::AccountAddress to = backend.net.accounts[1].address();
    const U256 before = flk_of(to);
    for (uint64_t k = 1; k <= 3; ++k) {
        const auto sent = flk({"transfer", "--key", key_path, "--to", to.to_string(), "--amount", "1", "--base-units", "--json", "--no-wait"});
        ASSERT_EQ(sent.exit_code, 0) << sent.err;
        EXPECT_EQ(Json::parse(sent.out)["nonce"], k) << sent.out;
    }
    EXPECT_EQ(backend.pending(), 3u);
    const ledger::BlockResult block = backend.commit();
    ASSERT_EQ(block.receipts.size(), 3u);
    for (const auto& receipt : block.receipts) EXPECT_EQ(receipt.status, ledger::ReceiptStatus::success);
    EXPECT_EQ(flk_of(to), before + U256(3));
}

// With --wait (the default) flk reports the receipt: success, a revert (exit 1), or no receipt
// before the timeout (exit 1).
TEST_F(FlkRpcTest, SendingWaitsForTheReceipt) {
    const std::string to = backend.net.accounts[1].address().to_string();
    // The block executes while flk waits.
    auto waiting = std::async(std::launch::async, [&] { return flk({"transfer", "--key", key_path, "--to", to, "--amount", "2"}); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (backend.pending() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(backend.pending(), 1u);
    backend.commit();
    auto result = waiting.get();
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("executed in block 1"), std::string::npos) << result.out;
    // A transfer of more than the account holds reverts: exit 1 with the ledger's error.
    waiting = std::async(std::launch::async,
                         [&] { return flk({"transfer", "--key", key_path, "--to", to, "--amount", "100000000", "--json"}); });
    while (backend.pending() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(backend.pending(), 1u);
    backend.commit();
    result = waiting.get();
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(Json::parse(result.out)["receipt"]["status"], "reverted") << result.out;
    EXPECT_NE(result.err.find("Transfer reverted"), std::string::npos) << result.err;
    // Nothing executes: no receipt within the timeout.
    result = flk({"transfer", "--key", key_path, "--to", to, "--amount", "1", "--wait-timeout", "1"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("no receipt for"), std::string::npos) << result.err;
}

TEST_F(FlkRpcTest, StakingCommands) {
    const std::string node = backend.net.nodes[0].node_key.public_key().to_string();
    const ledger::NodeInfo before = node_info(0);
    // The owner holds no FLK at genesis: fund it first.
    Json receipt = send_and_commit({"transfer", "--key", key_path, "--to", backend.net.nodes[0].owner.address().to_string(),
                                    "--amount", "100"});
    EXPECT_EQ(receipt["status"], "success") << receipt.dump();
    receipt = send_and_commit({"stake", "--key", owner_key_path, "--node-key", node, "--amount", "10"});
    EXPECT_EQ(receipt["status"], "success") << receipt.dump();
    EXPECT_EQ(node_info(0).staked, before.staked + U256(10) * ledger::flk_unit());
    receipt = send_and_commit({"unstake", "--key", owner_key_path, "--node-key", node, "--amount", "4"});
    EXPECT_EQ(receipt["status"], "success") << receipt.dump();
    EXPECT_EQ(node_info(0).locked, U256(4) * ledger::flk_unit());
    // The unstaked FLK is still locked: the ledger reverts the withdrawal, flk tx exits 1.
    receipt = send_and_commit({"withdraw-unstaked", "--key", owner_key_path, "--node-key", node});
    EXPECT_EQ(receipt["status"], "reverted") << receipt.dump();
    receipt = send_and_commit({"stake-lock", "--key", owner_key_path, "--node-key", node, "--epochs", "5"});
    EXPECT_EQ(receipt["status"], "success") << receipt.dump();
    EXPECT_GT(node_info(0).stake_locked_until, before.stake_locked_until);
    // An unknown node.
    const std::string stranger = crypto::NodeSecretKey::from_seed(Bytes(32, 3)).value().public_key().to_string();
    const auto result = flk({"stake", "--key", owner_key_path, "--node-key", stranger, "--amount", "1"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("no registered node"), std::string::npos) << result.err;
}

TEST_F(FlkRpcTest, ApproveClientKey) {
    const auto client = crypto::ClientSecretKey::from_seed(Bytes(32, 5)).value();
    const Json receipt = send_and_commit({"approve-client-key", "--key", key_path, client.public_key().to_string()});
    EXPECT_EQ(receipt["status"], "success") << receipt.dump();
    EXPECT_EQ(backend.ledger_snapshot()->client_key_owner(client.public_key()), std::optional(backend.net.accounts[0].address()));
}

TEST_F(FlkRpcTest, HelpNamesTheMethods) {
    const auto help = testing::run_process({FLK_BINARY, "stake", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find(registry.help_text({"flk_get_node_info", "flk_get_chain_info", "flk_get_pending_nonce", "flk_send_txn",
                                                "flk_get_transaction_receipt"})),
              std::string::npos)
        << help.out;
    const auto tx_help = testing::run_process({FLK_BINARY, "tx", "--help"});
    EXPECT_NE(tx_help.out.find("flk_get_transaction_receipt(digest) -> TransactionReceipt | null"), std::string::npos);
}

}  // namespace
}  // namespace fleek
