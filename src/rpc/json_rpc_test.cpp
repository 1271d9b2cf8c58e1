// JSON-RPC dispatch over the standard registry with a test backend: every method's happy path
// (its result checked against its declared schema), parameter errors, protocol errors, batches,
// notifications and flk_send_txn's rejections.
#include "rpc/json_rpc.h"

#include "ledger/tables.h"
#include "ledger/transaction.h"
#include "rpc/schema.h"
#include "rpc/views.h"
#include "tests/support/rpc_test_backend.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <set>

namespace fleek::rpc {
namespace {

class JsonRpcTest : public ::testing::Test {
protected:
    JsonRpcTest() : registry(standard_registry()), context{backend, registry, [] { return std::string("server_up 1\n"); }} {}

    // Sends one body; returns the parsed response (null when nothing came back).
    Json send(std::string_view body, DispatchLimits limits = {}) {
        auto response = handle_json_rpc(body, registry, context, limits);
        if (!response) return nullptr;
        Json parsed = Json::parse(*response, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << *response;
        return parsed;
    }
    Json request(std::string_view method, Json params = nullptr, Json id = 1) {
        Json body{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"method", method}};
        if (!params.is_null()) body["params"] = std::move(params);
        return body;
    }
    // The result of a call that must succeed, checked against the method's declared schema.
    Json ok(std::string_view method, Json params = nullptr) {
        const Json response = send(request(method, std::move(params)).dump());
        EXPECT_TRUE(response.contains("result")) << method << ": " << response.dump();
        EXPECT_EQ(response.value("id", Json()), Json(1));
        const MethodSpec* spec = registry.find(method);
        EXPECT_NE(spec, nullptr);
        if (spec != nullptr && response.contains("result")) {
            const auto mismatch = check_schema(response["result"], spec->result.schema, registry);
            EXPECT_FALSE(mismatch.has_value()) << method << ": " << mismatch.value_or("") << "\n" << response["result"].dump();
        }
        return response.value("result", Json());
    }
    // The error object of a call that must fail with `code`.
    Json error(std::string_view method, Json params, ErrorCode code) {
        const Json response = send(request(method, std::move(params)).dump());
        EXPECT_TRUE(response.contains("error")) << method << ": " << response.dump();
        EXPECT_FALSE(response.contains("result"));
        const Json error_object = response.value("error", Json::object());
        EXPECT_EQ(error_object.value("code", 0), static_cast<int>(code)) << response.dump();
        EXPECT_TRUE(error_object.value("message", std::string()).size() > 0);
        return error_object;
    }

    std::string address(size_t account) const { return backend.net.accounts.at(account).address().to_string(); }
    std::string node(size_t index) const { return backend.net.nodes.at(index).node_key.public_key().to_string(); }
    ledger::AddressBytes address_bytes(size_t account) const { return backend.net.accounts.at(account).address().bytes(); }

    testing::RpcTestBackend backend;
    Registry registry;
    Context context;
};

// ---- every method ----------------------------------------------------------------------------

TEST_F(JsonRpcTest, EveryMethodAnswersWithItsDeclaredSchema) {
    // A block with a transfer and a withdraw, so lists and receipts have entries.
    backend.commit({backend.net.account_tx(0, ledger::Transfer{ledger::Token::flk, address_bytes(1), U256(5)}),
                    backend.net.account_tx(1, ledger::Withdraw{ledger::Token::flk, U256(7), address_bytes(2)})});
    const std::string state_key = hex_encode(ledger::tables::account(address_bytes(0)));
    const std::string digest = hex_encode(backend.transaction(
        codec::decode<ledger::SignedTransaction>(backend.block(1)->transactions[0])->transaction.digest())->receipt.digest);
    const std::string fresh_tx = hex_encode(backend.net.account_tx(2, ledger::Transfer{ledger::Token::flk, address_bytes(3), U256(1)}));

    const std::map<std::string, Json> calls = {
        {"rpc.discover", nullptr},
        {"flk_ping", nullptr},
        {"flk_health", nullptr},
        {"flk_metrics", nullptr},
        {"flk_get_public_keys", nullptr},
        {"flk_get_flk_balance", Json::array({address(0)})},
        {"flk_get_stables_balance", Json{{"address", address(0)}}},
        {"flk_get_bandwidth_balance", Json::array({address(0), 0})},
        {"flk_get_account_info", Json::array({address(0)})},
        {"flk_get_pending_nonce", Json::array({address(0)})},
        {"flk_get_withdraws", Json::array({Json{{"start", 0}}})},
        {"flk_has_minted", Json::array({std::string(64, 'a')})},
        {"flk_get_staked", Json::array({node(0)})},
        {"flk_get_locked", Json::array({node(0)})},
        {"flk_get_stake_locked_until", Json::array({node(0)})},
        {"flk_get_locked_time", Json::array({node(0)})},
        {"flk_get_node_info", Json::array({node(1)})},
        {"flk_get_node_info_epoch", Json::array({node(1)})},
        {"flk_node_has_sufficient_stake", Json::array({node(0)})},
        {"flk_get_staking_amount", nullptr},
        {"flk_get_node_registry", nullptr},
        {"flk_get_node_registry_index", Json::array({Json{{"start", 1}, {"limit", 2}}})},
        {"flk_get_reputation", Json::array({node(0)})},
        {"flk_get_node_uptime", Json::array({node(0)})},
        {"flk_get_reputation_measurements", Json::array({node(0)})},
        {"flk_get_node_served", Json::array({node(0)})},
        {"flk_get_epoch", nullptr},
        {"flk_get_epoch_info", nullptr},
        {"flk_get_committee_members", nullptr},
        {"flk_get_genesis_committee", nullptr},
        {"flk_get_total_served", Json::array({0})},
        {"flk_get_chain_info", nullptr},
        {"flk_get_block_number", nullptr},
        {"flk_get_total_supply", nullptr},
        {"flk_get_year_start_supply", nullptr},
        {"flk_get_protocol_fund_address", nullptr},
        {"flk_get_protocol_params", nullptr},
        {"flk_get_state_root", nullptr},
        {"flk_get_state_proof", Json::array({state_key})},
        {"flk_get_block", Json::array({1})},
        {"flk_get_block_certificate", Json::array({1})},
        {"flk_get_transaction_receipt", Json::array({digest})},
        {"flk_send_txn", Json::array({fresh_tx})},
        {"flk_get_service", Json::array({0})},
        {"flk_get_client_key_owner", Json::array({backend.net.client_keys[1][0].public_key().to_string()})},
    };
    std::set<std::string> declared;
    for (const auto& method : registry.methods()) {
        declared.insert(method.name);
        EXPECT_TRUE(calls.contains(method.name)) << method.name << " has no happy-path call in this test";
    }
    // Null until an epoch change computed them (EpochChangeFillsReputationAndTotals).
    const std::set<std::string> null_before_epoch_change = {"flk_get_reputation", "flk_get_node_uptime", "flk_get_total_served"};
    for (const auto& [method, params] : calls) {
        EXPECT_TRUE(declared.contains(method)) << method << " is not declared";
        SCOPED_TRACE(method);
        const Json result = ok(method, params);
        EXPECT_EQ(result.is_null(), null_before_epoch_change.contains(method)) << result.dump();
    }
}

TEST_F(JsonRpcTest, EpochChangeFillsReputationAndTotals) {
    auto& net = backend.net;
    const auto members = [&] { return backend.ledger_unlocked().committee(backend.ledger_unlocked().epoch())->members; };
    const auto at = [&](uint64_t time_ms) { return time_ms > backend.timestamp_ms() ? time_ms - backend.timestamp_ms() : 1; };
    const auto all_succeed = [](const ledger::BlockResult& result) {
        for (const auto& receipt : result.receipts) EXPECT_EQ(receipt.status, ledger::ReceiptStatus::success) << to_string(receipt.error);
    };
    // Every node measures every other node.
    std::vector<Bytes> reports;
    for (ledger::NodeIndex reporter = 0; reporter < 4; ++reporter) {
        std::vector<ledger::ReputationReport> list;
        for (ledger::NodeIndex peer = 0; peer < 4; ++peer) {
            if (peer == reporter) continue;
            ledger::Measurements m;
            m.latency_ms = 10 + peer;
            m.interactions = 5;
            m.uptime_percent = static_cast<uint8_t>(peer == 3 ? 60 : 100);
            m.bytes_sent = 1000;
            list.push_back(ledger::ReputationReport{peer, m});
        }
        reports.push_back(net.node_tx(reporter, ledger::SubmitReputationMeasurements{list}));
    }
    all_succeed(backend.commit(reports));
    const Json measured = ok("flk_get_reputation_measurements", Json::array({node(3)}));
    ASSERT_EQ(measured.size(), 3u);
    EXPECT_EQ(measured[0]["reporter"], 0);
    EXPECT_EQ(measured[0]["reporter_key"], node(0));
    EXPECT_EQ(measured[0]["measurements"]["uptime_percent"], 60);

    // The epoch change: ChangeEpoch signals, beacon commit and reveal rounds with their timeouts.
    const uint64_t epoch = 0;
    const auto secret = [](ledger::NodeIndex m) {
        crypto::Hash32 out{};
        out[0] = static_cast<uint8_t>(m);
        out[31] = 0x5a;
        return out;
    };
    std::vector<Bytes> txs;
    for (const auto m : members()) txs.push_back(net.node_tx(m, ledger::ChangeEpoch{epoch}));
    all_succeed(backend.commit(txs, at(backend.ledger_unlocked().epoch_info().transition_ms)));
    uint64_t round = backend.ledger_unlocked().epoch_info().phase.round;
    txs.clear();
    for (const auto m : members()) {
        txs.push_back(net.node_tx(m, ledger::BeaconCommit{epoch, round, ledger::beacon_commitment(epoch, round, m, secret(m))}));
    }
    all_succeed(backend.commit(txs));
    const size_t quorum = backend.ledger_unlocked().committee(epoch)->quorum();
    txs.clear();
    for (size_t i = 0; i < quorum; ++i) txs.push_back(net.node_tx(members()[i], ledger::BeaconCommitTimeout{epoch, round}));
    const uint64_t commit_end = backend.ledger_unlocked().epoch_info().phase.start_ms +
                                backend.ledger_unlocked().params().beacon_commit_phase_ms + 1000;
    all_succeed(backend.commit(txs, at(commit_end)));
    txs.clear();
    for (const auto m : members()) txs.push_back(net.node_tx(m, ledger::BeaconReveal{epoch, round, secret(m)}));
    all_succeed(backend.commit(txs));
    txs.clear();
    const auto committee = members();
    for (size_t i = 0; i < quorum; ++i) txs.push_back(net.node_tx(committee[i], ledger::BeaconRevealTimeout{epoch, round}));
    const uint64_t reveal_end = backend.ledger_unlocked().epoch_info().phase.start_ms +
                                backend.ledger_unlocked().params().beacon_reveal_phase_ms + 1000;
    const ledger::BlockResult changed = backend.commit(txs, at(reveal_end));
    ASSERT_TRUE(changed.epoch_changed);

    EXPECT_EQ(ok("flk_get_epoch"), 1);
    const Json score = ok("flk_get_reputation", Json::array({node(0)}));
    ASSERT_TRUE(score.is_number_integer());
    EXPECT_LE(score.get<int>(), 100);
    EXPECT_EQ(ok("flk_get_node_uptime", Json::array({node(3)})), 60);
    EXPECT_EQ(ok("flk_get_node_uptime", Json::array({node(0)})), 100);
    EXPECT_FALSE(ok("flk_get_total_served", Json::array({0})).is_null());
    EXPECT_EQ(ok("flk_get_committee_members", Json::array({1})).size(), 4u);
    EXPECT_EQ(ok("flk_get_committee_members", Json::array({0})).size(), 4u);  // past committees are kept
    error("flk_get_state_root", Json::array({0}), ErrorCode::epoch_unavailable);  // past state is not
    // The reveal-timeout block was certified by the committee of the epoch it executed in.
    const Json certificate = ok("flk_get_block_certificate", Json::array({changed.height}));
    EXPECT_EQ(certificate["epoch"], 0);
}

TEST_F(JsonRpcTest, BasicMethods) {
    EXPECT_EQ(ok("flk_ping"), "pong");
    EXPECT_EQ(ok("flk_health"), "OK");
    const Json keys = ok("flk_get_public_keys");
    EXPECT_EQ(keys["public_key"], node(0));
    EXPECT_EQ(keys["consensus_key"], backend.net.nodes[0].consensus_key.public_key().to_base58());
    const std::string metrics = ok("flk_metrics").get<std::string>();
    EXPECT_NE(metrics.find("server_up 1"), std::string::npos);
    EXPECT_NE(metrics.find("test_backend_submitted_total 0"), std::string::npos);
    const Json discover = ok("rpc.discover");
    EXPECT_EQ(discover, registry.openrpc());
}

TEST_F(JsonRpcTest, AccountMethods) {
    EXPECT_EQ(ok("flk_get_flk_balance", Json::array({address(0)})), "1000000000000000000000000");
    EXPECT_EQ(ok("flk_get_stables_balance", Json::array({address(0)})), "1000000000");
    EXPECT_EQ(ok("flk_get_bandwidth_balance", Json::array({address(0)})), "1000");
    // Lower-case and EIP-55 spellings name the same account.
    std::string lower = address(0);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ok("flk_get_flk_balance", Json::array({lower})), "1000000000000000000000000");
    // An unknown account: balance 0, info null.
    const std::string nobody = "0x" + std::string(40, '0');
    EXPECT_EQ(ok("flk_get_flk_balance", Json::array({nobody})), "0");
    EXPECT_TRUE(ok("flk_get_account_info", Json::array({nobody})).is_null());
    const Json info = ok("flk_get_account_info", Json{{"address", address(0)}});
    EXPECT_EQ(info["address"], address(0));
    EXPECT_EQ(info["nonce"], 0);
    EXPECT_EQ(info["client_keys"].size(), 2u);
    EXPECT_EQ(ok("flk_get_withdraws"), Json::array());
    EXPECT_EQ(ok("flk_has_minted", Json::array({"0x" + std::string(64, '1')})), false);

    backend.commit({backend.net.account_tx(0, ledger::Transfer{ledger::Token::flk, address_bytes(1), U256(5)}),
                    backend.net.account_tx(1, ledger::Withdraw{ledger::Token::flk, U256(7), address_bytes(2)})});
    EXPECT_EQ(ok("flk_get_flk_balance", Json::array({address(0)})), "999999999999999999999995");
    EXPECT_EQ(ok("flk_get_account_info", Json::array({address(0)}))["nonce"], 1);
    const Json withdraws = ok("flk_get_withdraws");
    ASSERT_EQ(withdraws.size(), 1u);
    EXPECT_EQ(withdraws[0]["amount"], "7");
    EXPECT_EQ(withdraws[0]["account"], address(1));
    EXPECT_EQ(ok("flk_get_withdraws", Json::array({Json{{"start", 1}}})), Json::array());
}

TEST_F(JsonRpcTest, ServiceMethods) {
    // The genesis services of the test network (tests/support/ledger_network.h).
    const Json bandwidth = ok("flk_get_service", Json::array({0}));
    EXPECT_EQ(bandwidth, (Json{{"id", 0},
                               {"owner", backend.net.governance.address().to_string()},
                               {"commodity", "bandwidth"},
                               {"price_per_million_units", "100"}}));
    const Json compute = ok("flk_get_service", Json{{"service_id", "1"}});
    EXPECT_EQ(compute["commodity"], "compute");
    EXPECT_EQ(compute["owner"], address(0));
    EXPECT_EQ(compute["price_per_million_units"], "5000000");
    // An id no service has, including one past the ledger's 32-bit ids: a typed error.
    for (const uint64_t unknown : {uint64_t{2}, uint64_t{1} << 32}) {
        const Json error_object = error("flk_get_service", Json::array({unknown}), ErrorCode::not_found);
        EXPECT_EQ(error_object["data"]["reason"], "unknown_service");
        EXPECT_NE(error_object["message"].get<std::string>().find(std::to_string(unknown)), std::string::npos);
    }
    error("flk_get_service", Json::array({"x"}), ErrorCode::invalid_params);
    error("flk_get_service", nullptr, ErrorCode::invalid_params);
}

TEST_F(JsonRpcTest, ClientKeyOwner) {
    // Each account approved its client keys at genesis; a key nobody approved has no owner.
    EXPECT_EQ(ok("flk_get_client_key_owner", Json::array({backend.net.client_keys[2][1].public_key().to_string()})), address(2));
    const std::string stranger = crypto::ClientSecretKey::from_seed(Bytes(32, 7)).value().public_key().to_string();
    EXPECT_EQ(ok("flk_get_client_key_owner", Json{{"client_key", stranger}}), Json(nullptr));
    // A node key or an address is not a client key.
    const Json bad = error("flk_get_client_key_owner", Json::array({"0x1234"}), ErrorCode::invalid_params);
    EXPECT_NE(bad["message"].get<std::string>().find("client public key"), std::string::npos) << bad.dump();
    error("flk_get_client_key_owner", Json::array({5}), ErrorCode::invalid_params);
}

TEST_F(JsonRpcTest, NodeMethods) {
    EXPECT_EQ(ok("flk_get_staked", Json::array({node(0)})), "2000000000000000000000");
    EXPECT_EQ(ok("flk_get_locked", Json::array({node(0)})), "0");
    EXPECT_EQ(ok("flk_node_has_sufficient_stake", Json::array({node(0)})), true);
    const Json info = ok("flk_get_node_info", Json::array({node(2)}));
    EXPECT_EQ(info["index"], 2);
    EXPECT_EQ(info["public_key"], node(2));
    EXPECT_EQ(info["ports"]["rpc"], 10024);
    const Json with_epoch = ok("flk_get_node_info_epoch", Json::array({node(2)}));
    EXPECT_EQ(with_epoch["node"], info);
    EXPECT_EQ(with_epoch["epoch"], 0);
    EXPECT_EQ(ok("flk_get_node_registry").size(), 4u);
    const Json page = ok("flk_get_node_registry_index", Json::array({Json{{"start", 1}, {"limit", 2}}}));
    ASSERT_EQ(page.size(), 2u);
    EXPECT_EQ(page[0]["index"], 1);
    EXPECT_EQ(page[1]["info"]["public_key"], node(2));
    EXPECT_EQ(ok("flk_get_reputation_measurements", Json::array({node(0)})), Json::array());

    // An unknown node: null, false or empty, never an error.
    const std::string stranger =
        crypto::NodeSecretKey::from_seed(Bytes(32, 7)).value().public_key().to_string();
    for (const char* method : {"flk_get_staked", "flk_get_locked", "flk_get_stake_locked_until", "flk_get_locked_time",
                               "flk_get_node_info", "flk_get_reputation", "flk_get_node_uptime", "flk_get_node_served"}) {
        EXPECT_TRUE(ok(method, Json::array({stranger})).is_null()) << method;
    }
    EXPECT_TRUE(ok("flk_get_node_info_epoch", Json::array({stranger}))["node"].is_null());
    EXPECT_EQ(ok("flk_node_has_sufficient_stake", Json::array({stranger})), false);
    EXPECT_EQ(ok("flk_get_reputation_measurements", Json::array({stranger})), Json::array());
}

TEST_F(JsonRpcTest, EpochAndChainMethods) {
    EXPECT_EQ(ok("flk_get_epoch"), 0);
    const Json info = ok("flk_get_epoch_info");
    EXPECT_EQ(info["epoch"], 0);
    EXPECT_EQ(info["committee"].size(), 4u);
    const Json members = ok("flk_get_committee_members");
    ASSERT_EQ(members.size(), 4u);
    EXPECT_EQ(members[0], node(0));
    EXPECT_EQ(ok("flk_get_genesis_committee").size(), 4u);
    const Json chain = ok("flk_get_chain_info");
    EXPECT_EQ(chain["chain_id"], backend.net.chain_id());
    EXPECT_EQ(chain["height"], 0);
    EXPECT_EQ(ok("flk_get_block_number"), 0);
    EXPECT_EQ(ok("flk_get_total_supply"), chain["flk_supply"]);
    EXPECT_EQ(ok("flk_get_protocol_fund_address"), backend.net.protocol_fund.address().to_string());
    const Json params = ok("flk_get_protocol_params");
    EXPECT_TRUE(params.contains("min_stake"));
    EXPECT_EQ(ok("flk_get_protocol_params", Json{{"key", "min_stake"}}), Json({{"min_stake", params["min_stake"]}}));
    EXPECT_EQ(ok("flk_get_staking_amount"), params["min_stake"]);
    const Json root = ok("flk_get_state_root");
    EXPECT_EQ(root, chain["state_root"]);

    const Json proof = ok("flk_get_state_proof", Json::array({"0x" + hex_encode(ledger::tables::account(address_bytes(0)))}));
    EXPECT_EQ(proof["root"], root);
    EXPECT_FALSE(proof["value"].is_null());
    Bytes absent_key = ledger::tables::account(ledger::AddressBytes{});
    EXPECT_TRUE(ok("flk_get_state_proof", Json::array({hex_encode(absent_key)}))["value"].is_null());

    // Another epoch than the current one: -32002 with the current epoch in data.
    const Json unavailable = error("flk_get_state_root", Json{{"epoch", 5}}, ErrorCode::epoch_unavailable);
    EXPECT_EQ(unavailable["data"]["current_epoch"], 0);
    error("flk_get_flk_balance", Json::array({address(0), 3}), ErrorCode::epoch_unavailable);
    error("flk_get_committee_members", Json::array({9}), ErrorCode::epoch_unavailable);
    EXPECT_EQ(ok("flk_get_flk_balance", Json::array({address(0), 0})), "1000000000000000000000000");
    EXPECT_TRUE(ok("flk_get_total_served", Json::array({7})).is_null());
}

TEST_F(JsonRpcTest, BlocksReceiptsAndCertificates) {
    EXPECT_TRUE(ok("flk_get_block", Json::array({1})).is_null());
    EXPECT_TRUE(ok("flk_get_block_certificate", Json::array({1})).is_null());
    const Bytes transfer = backend.net.account_tx(0, ledger::Transfer{ledger::Token::flk, address_bytes(1), U256(5)});
    const std::string digest = ok("flk_send_txn", Json::array({"0x" + hex_encode(transfer)})).get<std::string>();
    EXPECT_EQ(digest, hex_encode(codec::decode<ledger::SignedTransaction>(transfer)->transaction.digest()));
    EXPECT_TRUE(ok("flk_get_transaction_receipt", Json::array({digest})).is_null());  // not executed yet
    EXPECT_EQ(backend.pending(), 1u);
    const ledger::BlockResult result = backend.commit();

    const Json receipt = ok("flk_get_transaction_receipt", Json{{"digest", digest}});
    EXPECT_EQ(receipt["digest"], digest);
    EXPECT_EQ(receipt["height"], 1);
    EXPECT_EQ(receipt["index"], 0);
    EXPECT_EQ(receipt["status"], "success");
    EXPECT_TRUE(receipt["error"].is_null());
    const Json block = ok("flk_get_block", Json::array({"1"}));  // a decimal string is a u64 too
    EXPECT_EQ(block["height"], 1);
    EXPECT_EQ(block["digest"], hex_encode(result.block_digest));
    ASSERT_EQ(block["transactions"].size(), 1u);
    EXPECT_EQ(block["transactions"][0]["method"], "Transfer");
    EXPECT_EQ(block["transactions"][0]["sender"]["address"], address(0));
    const Json certificate = ok("flk_get_block_certificate", Json::array({1}));
    EXPECT_EQ(certificate["block_digest"], hex_encode(result.block_digest));
    EXPECT_EQ(certificate["state_root"], hex_encode(result.state_root));
    EXPECT_EQ(certificate["signers"].size(), 4u);
    // The encoding decodes to a certificate that verifies against the committee.
    const auto decoded = codec::decode<ledger::BlockCertificate>(hex_decode(certificate["encoding"].get<std::string>()).value());
    ASSERT_TRUE(decoded.has_value());
    EXPECT_TRUE(decoded->verify(backend.ledger_snapshot()->committee_members(0)).has_value());
    EXPECT_EQ(ok("flk_get_block_number"), 1);
}

// A delivery batch's receipt shows the result of each receipt, in the batch's order.
TEST_F(JsonRpcTest, DeliveryReceiptShowsEachReceiptsResult) {
    auto forged = backend.net.receipt(0, 0, 1, 0, 2, 0, 10);
    forged.receipt.amount = 1'000'000;
    const Bytes delivery = backend.net.node_tx(
        1, ledger::SubmitDeliveryAcknowledgments{{backend.net.receipt(0, 0, 1, 0, 1, 0, 2'000'000), forged}});
    const std::string digest = ok("flk_send_txn", Json::array({"0x" + hex_encode(delivery)})).get<std::string>();
    backend.commit();
    const Json receipt = ok("flk_get_transaction_receipt", Json{{"digest", digest}});
    EXPECT_EQ(receipt["status"], "success");
    EXPECT_EQ(receipt["output"]["kind"], "delivery");
    EXPECT_EQ(receipt["output"]["units"], 2'000'000);
    EXPECT_EQ(receipt["output"]["results"], Json::array({"counted", "bad_signature"}));
}

// ---- flk_send_txn rejections -----------------------------------------------------------------

TEST_F(JsonRpcTest, SendTxnRejectsWithReason) {
    const auto send_bytes = [&](const Bytes& bytes) { return Json::array({hex_encode(bytes)}); };
    const crypto::AccountSecretKey& sender = backend.net.accounts[0];
    const ledger::Method transfer = ledger::Transfer{ledger::Token::flk, address_bytes(1), U256(5)};

    // Wrong chain.
    const Bytes other_chain =
        ledger::sign_transaction(ledger::Transaction{{}, 1, backend.net.chain_id() + 1, transfer}, sender).to_bytes();
    Json rejected = error("flk_send_txn", send_bytes(other_chain), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "wrong_chain");

    // Invalid signature: a valid transaction with one signature bit flipped.
    auto tampered = ledger::sign_transaction(ledger::Transaction{{}, 1, backend.net.chain_id(), transfer}, sender);
    tampered.signature[10] ^= 0x01;
    rejected = error("flk_send_txn", send_bytes(tampered.to_bytes()), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "bad_signature");
    // Signed by another key than the sender it names.
    auto forged = ledger::sign_transaction(ledger::Transaction{{}, 1, backend.net.chain_id(), transfer}, backend.net.accounts[1]);
    forged.transaction.sender = ledger::sign_transaction(ledger::Transaction{{}, 1, backend.net.chain_id(), transfer}, sender)
                                    .transaction.sender;
    rejected = error("flk_send_txn", send_bytes(forged.to_bytes()), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "bad_signature");

    // Bad nonce: executed nonce 1, then nonce 1 again.
    backend.commit({backend.net.account_tx(0, transfer)});
    const Bytes reused = ledger::sign_transaction(ledger::Transaction{{}, 1, backend.net.chain_id(), transfer}, sender).to_bytes();
    rejected = error("flk_send_txn", send_bytes(reused), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "bad_nonce");
    EXPECT_NE(rejected["message"].get<std::string>().find("nonce"), std::string::npos);

    // Not a transaction at all.
    rejected = error("flk_send_txn", Json::array({"deadbeef"}), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "malformed");
    // A node sender that is not registered.
    const auto stranger = crypto::NodeSecretKey::from_seed(Bytes(32, 9)).value();
    const Bytes from_stranger =
        ledger::sign_transaction(ledger::Transaction{{}, 1, backend.net.chain_id(), ledger::OptIn{}}, stranger).to_bytes();
    rejected = error("flk_send_txn", send_bytes(from_stranger), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "unknown_sender");
    EXPECT_EQ(backend.pending(), 0u);  // nothing rejected was queued

    // A node that cannot relay: -32001.
    backend.unavailable = true;
    rejected = error("flk_send_txn", send_bytes(backend.net.account_tx(0, transfer)), ErrorCode::unavailable);
    EXPECT_EQ(rejected["data"]["reason"], "unavailable");
}

// Issue 15: the node keeps the transactions it took until they execute; a second transaction
// with a pending nonce is refused, the pending nonce counts them, a stopped runtime refuses all.
TEST_F(JsonRpcTest, PendingNoncesAndTheirRefusals) {
    const auto send_bytes = [&](const Bytes& bytes) { return Json::array({hex_encode(bytes)}); };
    const auto transfer = [&](uint64_t nonce, uint64_t amount) {
        return ledger::sign_transaction(
                   ledger::Transaction{{}, nonce, backend.net.chain_id(), ledger::Transfer{ledger::Token::flk, address_bytes(1), U256(amount)}},
                   backend.net.accounts[0])
            .to_bytes();
    };
    EXPECT_EQ(ok("flk_get_pending_nonce", Json::array({address(0)})), (Json{{"nonce", 0}, {"pending_nonce", 0}, {"pending", 0}}));
    const Json first = ok("flk_send_txn", send_bytes(transfer(1, 5)));
    ok("flk_send_txn", send_bytes(transfer(2, 5)));
    EXPECT_EQ(ok("flk_get_pending_nonce", Json::array({address(0)})), (Json{{"nonce", 0}, {"pending_nonce", 2}, {"pending", 2}}));
    // The same transaction again: its digest, nothing queued twice.
    EXPECT_EQ(ok("flk_send_txn", send_bytes(transfer(1, 5))), first);
    EXPECT_EQ(backend.pending(), 2u);
    // Another transaction with nonce 2: refused.
    Json rejected = error("flk_send_txn", send_bytes(transfer(2, 6)), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "nonce_pending");
    EXPECT_NE(rejected["message"].get<std::string>().find("flk_get_pending_nonce"), std::string::npos);
    // Too far ahead of the committed nonce.
    rejected = error("flk_send_txn", send_bytes(transfer(65, 1)), ErrorCode::transaction_rejected);
    EXPECT_EQ(rejected["data"]["reason"], "nonce_too_far_ahead");
    EXPECT_EQ(backend.pending(), 2u);
    // Executed: nothing pending any more.
    backend.commit();
    EXPECT_EQ(ok("flk_get_pending_nonce", Json::array({address(0)})), (Json{{"nonce", 2}, {"pending_nonce", 2}, {"pending", 0}}));
    // A node whose runtime stopped: -32001 with reason "stopped".
    backend.stopped = true;
    rejected = error("flk_send_txn", send_bytes(transfer(3, 5)), ErrorCode::unavailable);
    EXPECT_EQ(rejected["data"]["reason"], "stopped");
}

TEST_F(JsonRpcTest, HealthReportsTheBackendsReason) {
    EXPECT_EQ(ok("flk_health"), "OK");
    backend.health_answer = Health{false, "runtime stopped: executing a block: storage"};
    const Json unhealthy = error("flk_health", nullptr, ErrorCode::unavailable);
    EXPECT_EQ(unhealthy["message"], "unhealthy: runtime stopped: executing a block: storage");
    EXPECT_EQ(unhealthy["data"]["reason"], "unhealthy");
}

// A refused admission (the rate limit) answers every call of the body with its error.
TEST_F(JsonRpcTest, AdmissionRefusesAWholeBody) {
    size_t asked = 0;
    const Admission refuse = [&](size_t calls) -> std::optional<RpcError> {
        asked = calls;
        return RpcError::make(ErrorCode::rate_limited, "slow down", Json{{"retry_after_ms", 40}});
    };
    auto response = handle_json_rpc(request("flk_ping", nullptr, 9).dump(), registry, context, {}, nullptr, &refuse);
    ASSERT_TRUE(response.has_value());
    Json body = Json::parse(*response);
    EXPECT_EQ(asked, 1u);
    EXPECT_EQ(body["id"], 9);
    EXPECT_EQ(body["error"]["code"], -32005);
    EXPECT_EQ(body["error"]["data"]["retry_after_ms"], 40);
    const Json batch = Json::array({request("flk_ping"), request("flk_ping", nullptr, 2), request("flk_get_epoch", nullptr, 3)});
    response = handle_json_rpc(batch.dump(), registry, context, {}, nullptr, &refuse);
    EXPECT_EQ(asked, 3u);
    body = Json::parse(*response);
    EXPECT_TRUE(body["id"].is_null());
    EXPECT_EQ(body["error"]["code"], -32005);
    const Admission admit = [](size_t) -> std::optional<RpcError> { return std::nullopt; };
    response = handle_json_rpc(batch.dump(), registry, context, {}, nullptr, &admit);
    EXPECT_EQ(Json::parse(*response).size(), 3u);
}

// ---- parameter errors ------------------------------------------------------------------------

TEST_F(JsonRpcTest, ParameterErrorsNameTheParameter) {
    const auto message = [&](std::string_view method, Json params) {
        return error(method, std::move(params), ErrorCode::invalid_params)["message"].get<std::string>();
    };
    // Missing, by position and by name.
    EXPECT_NE(message("flk_get_flk_balance", Json::array()).find("missing required parameter `address`"), std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", Json::object()).find("`address`"), std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", nullptr).find("`address`"), std::string::npos);
    // Too many positional parameters; an unknown named one.
    EXPECT_NE(message("flk_get_flk_balance", Json::array({address(0), 0, 1})).find("at most 2"), std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", Json{{"address", address(0)}, {"colour", 1}}).find("unknown parameter `colour`"),
              std::string::npos);
    EXPECT_NE(message("flk_ping", Json{{"x", 1}}).find("it takes none"), std::string::npos);
    // Wrong types.
    EXPECT_NE(message("flk_get_flk_balance", Json::array({42})).find("parameter `address`"), std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", Json::array({"0x1234"})).find("40 hex digits"), std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", Json::array({address(0), -1})).find("`epoch` must not be negative"),
              std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", Json::array({address(0), 1.5})).find("`epoch`"), std::string::npos);
    EXPECT_NE(message("flk_get_flk_balance", Json{{"address", address(0)}, {"epoch", "01"}}).find("`epoch`"), std::string::npos);
    EXPECT_NE(message("flk_get_block", Json::array({"18446744073709551616"})).find("`height`"), std::string::npos);
    EXPECT_NE(message("flk_get_staked", Json::array({"not-base58-0OIl"})).find("`public_key`"), std::string::npos);
    EXPECT_NE(message("flk_get_transaction_receipt", Json::array({"abc"})).find("64 hex digits"), std::string::npos);
    EXPECT_NE(message("flk_send_txn", Json::array({"zz"})).find("not hex"), std::string::npos);
    EXPECT_NE(message("flk_send_txn", Json::array({""})).find("empty"), std::string::npos);
    EXPECT_NE(message("flk_get_protocol_params", Json::array({"no_such_param"})).find("one of"), std::string::npos);
    EXPECT_NE(message("flk_get_node_registry", Json::array({Json{{"limit", 0}}})).find("`limit`"), std::string::npos);
    EXPECT_NE(message("flk_get_node_registry", Json::array({Json{{"limit", 1001}}})).find("`limit`"), std::string::npos);
    EXPECT_NE(message("flk_get_node_registry", Json::array({Json{{"other", 1}}})).find("unknown field `other`"),
              std::string::npos);
    EXPECT_NE(message("flk_get_node_registry", Json::array({Json{{"ignore_stake", 1}}})).find("`ignore_stake`"),
              std::string::npos);
    EXPECT_NE(message("flk_get_node_registry", Json::array({"x"})).find("`paging`"), std::string::npos);

    // EIP-55: a mixed-case address with a wrong checksum.
    std::string bad_checksum = address(0);
    for (size_t i = 2; i < bad_checksum.size(); ++i) {
        const char c = bad_checksum[i];
        if (std::isalpha(static_cast<unsigned char>(c))) {
            bad_checksum[i] = static_cast<char>(std::islower(static_cast<unsigned char>(c)) ? std::toupper(c) : std::tolower(c));
            break;
        }
    }
    EXPECT_NE(message("flk_get_flk_balance", Json::array({bad_checksum})).find("checksum"), std::string::npos);
    // null for an optional parameter is "left out".
    EXPECT_EQ(ok("flk_get_flk_balance", Json::array({address(0), nullptr})), "1000000000000000000000000");
    // null for a required one is missing.
    EXPECT_NE(message("flk_get_flk_balance", Json::array({nullptr})).find("parameter `address`"), std::string::npos);
}

// ---- protocol --------------------------------------------------------------------------------

TEST_F(JsonRpcTest, ProtocolErrors) {
    Json response = send("{not json");
    EXPECT_EQ(response["error"]["code"], -32700);
    EXPECT_TRUE(response["id"].is_null());
    EXPECT_EQ(send("")["error"]["code"], -32700);

    response = send(R"({"jsonrpc":"2.0","id":"a","method":"flk_nothing"})");
    EXPECT_EQ(response["error"]["code"], -32601);
    EXPECT_EQ(response["id"], "a");
    EXPECT_NE(response["error"]["message"].get<std::string>().find("flk_nothing"), std::string::npos);

    EXPECT_EQ(send(R"({"jsonrpc":"1.0","id":1,"method":"flk_ping"})")["error"]["code"], -32600);
    EXPECT_EQ(send(R"({"id":1,"method":"flk_ping"})")["error"]["code"], -32600);
    EXPECT_EQ(send(R"({"jsonrpc":"2.0","id":1,"method":7})")["error"]["code"], -32600);
    EXPECT_EQ(send(R"({"jsonrpc":"2.0","id":1,"method":"flk_ping","params":"x"})")["error"]["code"], -32600);
    EXPECT_EQ(send(R"({"jsonrpc":"2.0","id":{"a":1},"method":"flk_ping"})")["error"]["code"], -32600);
    EXPECT_EQ(send(R"(42)")["error"]["code"], -32600);
    EXPECT_EQ(send(R"("flk_ping")")["error"]["code"], -32600);
    // ids come back as sent.
    EXPECT_EQ(send(R"({"jsonrpc":"2.0","id":null,"method":"flk_ping"})")["id"], nullptr);
    EXPECT_EQ(send(R"({"jsonrpc":"2.0","id":-7,"method":"flk_ping"})")["id"], -7);
    EXPECT_EQ(send(R"({"jsonrpc":"2.0","id":"x","method":"flk_ping"})")["result"], "pong");

    // Deep nesting is refused before parsing.
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    EXPECT_EQ(send(deep)["error"]["code"], -32600);
}

TEST_F(JsonRpcTest, Notifications) {
    // No id: executed, never answered, even for errors.
    EXPECT_TRUE(send(R"({"jsonrpc":"2.0","method":"flk_ping"})").is_null());
    EXPECT_TRUE(send(R"({"jsonrpc":"2.0","method":"flk_unknown"})").is_null());
    EXPECT_TRUE(send(R"({"jsonrpc":"2.0","method":"flk_get_flk_balance","params":[1]})").is_null());
    const Bytes transfer = backend.net.account_tx(0, ledger::Transfer{ledger::Token::flk, address_bytes(1), U256(5)});
    EXPECT_TRUE(send(Json{{"jsonrpc", "2.0"}, {"method", "flk_send_txn"}, {"params", Json::array({hex_encode(transfer)})}}.dump())
                    .is_null());
    EXPECT_EQ(backend.pending(), 1u);  // the notification was executed
}

TEST_F(JsonRpcTest, Batches) {
    const Json batch = Json::array({request("flk_ping", nullptr, 1), request("flk_nope", nullptr, 2),
                                    Json{{"jsonrpc", "2.0"}, {"method", "flk_ping"}},  // notification
                                    request("flk_get_flk_balance", Json::array({1}), 3), 5,
                                    request("flk_get_block_number", nullptr, "four")});
    const Json responses = send(batch.dump());
    ASSERT_TRUE(responses.is_array());
    ASSERT_EQ(responses.size(), 5u);
    EXPECT_EQ(responses[0]["result"], "pong");
    EXPECT_EQ(responses[1]["error"]["code"], -32601);
    EXPECT_EQ(responses[1]["id"], 2);
    EXPECT_EQ(responses[2]["error"]["code"], -32602);
    EXPECT_EQ(responses[2]["id"], 3);
    EXPECT_EQ(responses[3]["error"]["code"], -32600);
    EXPECT_TRUE(responses[3]["id"].is_null());
    EXPECT_EQ(responses[4]["result"], 0);
    EXPECT_EQ(responses[4]["id"], "four");

    // An empty batch is one error, not an empty array.
    const Json empty = send("[]");
    ASSERT_TRUE(empty.is_object());
    EXPECT_EQ(empty["error"]["code"], -32600);
    // Only notifications: nothing to send back.
    EXPECT_TRUE(send(Json::array({Json{{"jsonrpc", "2.0"}, {"method", "flk_ping"}}}).dump()).is_null());
    // Over the batch limit.
    Json large = Json::array();
    for (int i = 0; i < 5; ++i) large.push_back(request("flk_ping", nullptr, i));
    DispatchLimits limits;
    limits.max_batch_size = 4;
    const Json refused = send(large.dump(), limits);
    ASSERT_TRUE(refused.is_object());
    EXPECT_EQ(refused["error"]["code"], -32600);
    limits.max_batch_size = 5;
    EXPECT_EQ(send(large.dump(), limits).size(), 5u);
    // A batch whose body is not JSON is a parse error.
    EXPECT_EQ(send(R"([{"jsonrpc":"2.0","id":1,"method":"flk_ping"},)")["error"]["code"], -32700);
}

TEST_F(JsonRpcTest, ObserverSeesEveryCall) {
    struct Counter final : CallObserver {
        std::vector<std::pair<std::string, int>> calls;
        void on_call(const MethodSpec* method, int code) override { calls.emplace_back(method ? method->name : "", code); }
    } counter;
    const std::string body = Json::array({request("flk_ping"), request("flk_nope"), request("flk_get_block", Json::array({"x"}))}).dump();
    (void)handle_json_rpc(body, registry, context, DispatchLimits{}, &counter);
    ASSERT_EQ(counter.calls.size(), 3u);
    EXPECT_EQ(counter.calls[0], std::make_pair(std::string("flk_ping"), 0));
    EXPECT_EQ(counter.calls[1], std::make_pair(std::string(""), -32601));
    EXPECT_EQ(counter.calls[2], std::make_pair(std::string("flk_get_block"), -32602));
}

TEST_F(JsonRpcTest, CallMethodDirectly) {
    EXPECT_EQ(call_method(registry, context, "flk_ping", nullptr).value(), "pong");
    EXPECT_EQ(call_method(registry, context, "flk_nope", nullptr).error().code, ErrorCode::method_not_found);
    EXPECT_EQ(call_method(registry, context, "flk_ping", Json(3)).error().code, ErrorCode::invalid_request);
    EXPECT_EQ(call_method(registry, context, "flk_get_block", Json::array({"x"})).error().code, ErrorCode::invalid_params);
}

}  // namespace
}  // namespace fleek::rpc
