// flk's ledger commands (balance, account, transfer, stake, stake-lock, unstake,
// withdraw-unstaked, approve-client-key, tx, cost) against an RpcServer over the test backend: the
// real binary, signing with an account key file and talking JSON-RPC over loopback.
#include "crypto/key_file.h"
#include "rpc/rpc_server.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "tests/support/rpc_test_backend.h"
#include "util/u256.h"

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


// ---- flk cost --------------------------------------------------------------------------------

// What the ledger charges for `bytes` at a service's genesis price (the executor's formula,
// docs/formats/delivery-receipts.md), computed here from the backend's state, not by flk.
std::string ledger_charge(testing::RpcTestBackend& backend, ledger::ServiceId id, uint64_t bytes) {
    const auto service = backend.ledger_snapshot()->service(id);
    EXPECT_TRUE(service.has_value());
    if (!service) return {};
    return u256_to_decimal(*checked_mul_div(U256(bytes), service->price_per_million_units, U256(1'000'000)));
}

TEST_F(FlkRpcTest, CostIsWhatTheLedgerCharges) {
    // Service 0: 100 base units per 10^6 bytes, so 1 MiB costs ⌊1048576 × 100 / 10^6⌋ = 104.
    auto result = flk({"cost", "1048576", "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    Json answer = Json::parse(result.out);
    EXPECT_EQ(answer["cost"], ledger_charge(backend, 0, 1048576));
    EXPECT_EQ(answer["cost"], "104");
    EXPECT_EQ(answer["cost_stables"], "0.000104");
    EXPECT_EQ(answer["bytes"], 1048576);
    EXPECT_EQ(answer["price_per_million_units"], "100");
    result = flk({"cost", "1048576"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("cost: 0.000104 stables (104 base units)\n"), std::string::npos) << result.out;
    // Service 1 (5 stables per 10^6 units), named before or after the argument.
    result = flk({"cost", "--service", "1", "1048576", "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    answer = Json::parse(result.out);
    EXPECT_EQ(answer["cost"], ledger_charge(backend, 1, 1048576));
    EXPECT_EQ(answer["cost_stables"], "5.24288");
    // The floor: 9 bytes at 100 per 10^6 cost nothing; the largest count still fits.
    result = flk({"cost", "9", "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(Json::parse(result.out)["cost"], "0");
    result = flk({"cost", "18446744073709551615", "--json", "--service", "1"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(Json::parse(result.out)["cost"], ledger_charge(backend, 1, UINT64_MAX));
}

TEST_F(FlkRpcTest, CostRefusesAnUnknownServiceAndBadInput) {
    auto result = flk({"cost", "1048576", "--service", "7"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("no service has the id 7"), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    for (const std::string& bad : std::vector<std::string>{"12x", "-5", "1.5", "abc", std::string(63, 'a'), std::string(64, 'g')}) {
        result = flk({"cost", bad});
        EXPECT_EQ(result.exit_code, 1) << bad;
        EXPECT_NE(result.err.find("is neither a number of bytes nor a BLAKE3 hash"), std::string::npos) << bad << ": " << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
    }
    result = flk({"cost", "18446744073709551616"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("more than 2^64 - 1"), std::string::npos) << result.err;
    result = flk({"cost"});
    EXPECT_EQ(result.exit_code, 2);  // usage: the argument is required
}

TEST_F(FlkRpcTest, CostOfAHashTakesTheLengthFromTheGateway) {
    const std::string file_hash(64, 'a');
    const std::string directory_hash(64, 'd');
    testing::TestHttpServer gateway([&](const testing::ServedRequest& request) {
        testing::ServedResponse response;
        if (request.target == "/blake3/" + file_hash) {
            response.headers = {{"X-Fleek-Kind", "file"}};
            response.body = std::string(3000, 'x');
        } else if (request.target == "/blake3/" + directory_hash) {
            response.headers = {{"X-Fleek-Kind", "directory"}};
            response.body = "dir";
        } else {
            response.status = 404;
        }
        return response;
    });
    auto result = flk({"cost", file_hash, "--service", "1", "--json", "--node", gateway.url()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const Json answer = Json::parse(result.out);
    EXPECT_EQ(answer["bytes"], 3000);
    EXPECT_EQ(answer["cost"], ledger_charge(backend, 1, 3000));
    EXPECT_EQ(answer["cost"], "15000");
    const auto requests = gateway.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "HEAD");
    // A directory has no single length; an unknown hash is the gateway's 404.
    result = flk({"cost", directory_hash, "--node", gateway.url()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("is a directory"), std::string::npos) << result.err;
    result = flk({"cost", std::string(64, 'b'), "--node", gateway.url()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("404"), std::string::npos) << result.err;
}


TEST_F(FlkRpcTest, BalanceOfAClientKeyIsItsApprovingAccounts) {
    // accounts[1] approved client_keys[1][*] at genesis: its stables pay for their deliveries.
    const crypto::ClientSecretKey& client_key = backend.net.client_keys[1][1];
    const crypto::AccountAddress owner = backend.net.accounts[1].address();
    const std::string stables = u256_to_decimal(backend.ledger_snapshot()->balance(owner, ledger::Token::stables));
    auto result = flk({"balance", "--client-key", client_key.public_key().to_string(), "--json"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    Json answer = Json::parse(result.out);
    EXPECT_EQ(answer["address"], owner.to_string());
    EXPECT_EQ(answer["stables"], stables);
    EXPECT_EQ(answer["client_key"], client_key.public_key().to_string());
    // From a key file, human output.
    const std::string client_path = (dir / "client.pem").string();
    ASSERT_TRUE(crypto::save_client_key(client_path, client_key, false).has_value());
    result = flk({"balance", "--client-key", client_path});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("address: " + owner.to_string() + "\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("stables: 1000\n"), std::string::npos) << result.out;
    // A key no account approved, and neither a key nor a file.
    const auto stranger = crypto::ClientSecretKey::from_seed(Bytes(32, 3)).value().public_key().to_string();
    result = flk({"balance", "--client-key", stranger});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("no account approved the client key " + stranger), std::string::npos) << result.err;
    EXPECT_TRUE(result.out.empty()) << result.out;
    result = flk({"balance", "--client-key", (dir / "missing.pem").string()});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("neither a base58 client public key nor a client key file"), std::string::npos) << result.err;
    result = flk({"balance", owner.to_string(), "--client-key", stranger});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("give no ADDRESS or --key with it"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace fleek
