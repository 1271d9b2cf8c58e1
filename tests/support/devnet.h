// A devnet of real `fleek-node run` processes on loopback, written by `fleek-node devnet`, for
// the end-to-end tests of the node (devnet_e2e_test, epoch_e2e_test). Every run of every node
// writes its stdout and stderr to `<log dir>/node-<i>.run-<k>.{out,err}`; the directory is
// removed when the test passes and kept (its path printed) when it fails.
#pragma once

#include "crypto/key_file.h"
#include "ledger/block_certificate.h"
#include "ledger/genesis.h"
#include "ledger/ledger.h"
#include "ledger/transaction.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "util/encoding.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fleek::testing {

class LocalDevnet {
public:
    using Json = nlohmann::json;
    static constexpr uint64_t chain_id = 1337;

    struct Node {
        std::filesystem::path home;
        uint16_t pool_port = 0;
        uint16_t gateway_port = 0;
        uint16_t rpc_port = 0;
        size_t runs = 0;
        std::unique_ptr<BackgroundProcess> process;
    };

    // `processes` nodes (genesis nodes and spares), written with `fleek-node devnet
    // --nodes N <devnet_args> --dir D --base-port P`. `name` names the log directory;
    // Node i listens on P + 100 i + {0, 20, 21, 30}, all below 32768: the kernel hands out ports
    // from 32768 up to outgoing connections (ip_local_port_range), and one of those holding a
    // node's port made the node fail to start. P moves by 100 per pid, so two devnets started at
    // once by ctest (pids a few apart) overlap unless their `port_offset`s differ: each test that
    // can run beside another has its own (0 devnet, 25 edge, 50 epoch, 75 the one-node devnet
    // test), and the port sets of different offsets never meet, whatever the pids.
    LocalDevnet(const std::string& name, size_t processes, size_t genesis_nodes, std::vector<std::string> devnet_args,
                uint16_t port_offset)
        : base_port_(static_cast<uint16_t>(20000 + port_offset + (::getpid() % 120) * 100)),
          logs_(std::filesystem::temp_directory_path() / ("fleek-" + name + "-" + std::to_string(::getpid()))) {
        std::filesystem::create_directories(logs_);
        std::vector<std::string> argv{FLEEK_NODE_BINARY, "devnet", "--nodes", std::to_string(genesis_nodes)};
        argv.insert(argv.end(), devnet_args.begin(), devnet_args.end());
        argv.insert(argv.end(), {"--dir", dir_.path().string(), "--base-port", std::to_string(base_port_)});
        EXPECT_LE(base_port_ + 100 * processes, 32'768u) << "node ports would reach the ephemeral port range";
        const auto written = run_process(argv);
        EXPECT_EQ(written.exit_code, 0) << written.err;
        for (size_t i = 0; i < processes; ++i) {
            Node node;
            node.home = dir_.path() / ("node-" + std::to_string(i));
            node.pool_port = static_cast<uint16_t>(base_port_ + 100 * i);
            node.gateway_port = static_cast<uint16_t>(base_port_ + 100 * i + 20);
            node.rpc_port = static_cast<uint16_t>(base_port_ + 100 * i + 30);
            nodes_.push_back(std::move(node));
        }
        genesis = ledger::load_genesis(dir_.path() / "genesis.toml").value();
        account = crypto::load_account_key(dir_.path() / "accounts" / "devnet.pem").value();
        // The genesis committee in ledger order, from a scratch ledger over the same genesis.
        auto scratch = ledger::Ledger::open(dir_.path() / "scratch-ledger", genesis);
        genesis_committee = (*scratch)->current_committee();
    }
    LocalDevnet(const LocalDevnet&) = delete;
    LocalDevnet& operator=(const LocalDevnet&) = delete;

    ~LocalDevnet() {
        for (auto& node : nodes_) node.process.reset();  // SIGKILL what still runs
        if (::testing::Test::HasFailure()) {
            std::fprintf(stderr, "node logs kept in %s\n", logs_.string().c_str());
        } else {
            std::error_code ignored;
            std::filesystem::remove_all(logs_, ignored);
        }
    }

    void start(size_t i) {
        Node& node = nodes_[i];
        const auto prefix = logs_ / ("node-" + std::to_string(i) + ".run-" + std::to_string(++node.runs));
        node.process = std::make_unique<BackgroundProcess>(std::vector<std::string>{FLEEK_NODE_BINARY, "run", "--home", node.home.string()},
                                                           std::map<std::string, std::string>{}, prefix.string());
        ASSERT_TRUE(node.process->wait_for_output("rpc:", 60'000)) << node.process->stderr_text();
    }
    // Starts nodes [0, count) and waits until each is connected to every other.
    void start_connected(size_t count) {
        for (size_t i = 0; i < count; ++i) start(i);
        const std::string want = "fleek_peers_connected " + std::to_string(count - 1) + "\n";
        for (size_t i = 0; i < count; ++i) {
            EXPECT_TRUE(eventually([&] { return http_request(nodes_[i].rpc_port, "GET", "/metrics").body.find(want) != std::string::npos; },
                                   std::chrono::seconds(30)))
                << "node " << i << " did not connect to every peer";
        }
    }
    void stop(size_t i, int signal_number) {
        nodes_[i].process->send(signal_number);
        nodes_[i].process->wait();
    }
    bool running(size_t i) const { return nodes_[i].process && nodes_[i].process->running(); }
    Node& node(size_t i) { return nodes_[i]; }
    size_t size() const { return nodes_.size(); }
    const std::filesystem::path& home(size_t i) const { return nodes_[i].home; }
    std::string rpc_url(size_t i) const { return "http://127.0.0.1:" + std::to_string(nodes_[i].rpc_port); }

    Result<Json, std::string> call(size_t i, const std::string& method, Json params = Json::array()) {
        const Json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
        const auto response = http_request(nodes_[i].rpc_port, "POST", "/rpc/v0", "Content-Type: application/json\r\n", request.dump());
        if (response.status != 200) return fail("HTTP status " + std::to_string(response.status));
        Json body = Json::parse(response.body, nullptr, false);
        if (body.is_discarded()) return fail("not JSON: " + response.body);
        if (body.contains("error")) return fail(body["error"].dump());
        return body["result"];
    }
    // The JSON-RPC error object of a call that failed, or null when it succeeded or got no answer.
    Json call_error(size_t i, const std::string& method, Json params = Json::array()) {
        const Json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
        const auto response = http_request(nodes_[i].rpc_port, "POST", "/rpc/v0", "Content-Type: application/json\r\n", request.dump());
        const Json body = Json::parse(response.body, nullptr, false);
        if (!body.is_object() || !body.contains("error")) return nullptr;
        return body["error"];
    }
    uint64_t number(size_t i, const std::string& method) {
        auto result = call(i, method);
        return result && result->is_number_unsigned() ? result->get<uint64_t>() : 0;
    }
    uint64_t height(size_t i) { return number(i, "flk_get_block_number"); }
    uint64_t epoch(size_t i) { return number(i, "flk_get_epoch"); }
    std::string balance(size_t i, const crypto::AccountAddress& address) {
        auto result = call(i, "flk_get_flk_balance", Json::array({address.to_string()}));
        return result && result->is_string() ? result->get<std::string>() : "?";
    }
    // A gauge of the node's /metrics, or -1.
    int64_t gauge(size_t i, const std::string& name) {
        const auto response = http_request(nodes_[i].rpc_port, "GET", "/metrics");
        const std::string needle = "\n" + name + " ";
        const size_t at = response.body.find(needle);
        if (at == std::string::npos) return -1;
        return std::strtoll(response.body.c_str() + at + needle.size(), nullptr, 10);
    }

    // A transfer from the devnet account with its next nonce.
    Bytes transfer(const crypto::AccountAddress& to, uint64_t amount) {
        ledger::Transaction transaction{{}, ++nonce, chain_id, ledger::Transfer{ledger::Token::flk, to.bytes(), U256(amount)}};
        return ledger::sign_transaction(std::move(transaction), account).to_bytes();
    }
    Result<Json, std::string> send(size_t i, const Bytes& transaction) { return call(i, "flk_send_txn", Json::array({hex_encode(transaction)})); }

    // The last nonce an account used, as node `i` reports it (0 when the account does not exist).
    uint64_t account_nonce(size_t i, const crypto::AccountAddress& address) {
        auto result = call(i, "flk_get_account_info", Json::array({address.to_string()}));
        return result && result->is_object() ? (*result)["nonce"].get<uint64_t>() : 0;
    }
    std::string state_root(size_t i) {
        auto result = call(i, "flk_get_state_root");
        return result && result->is_string() ? result->get<std::string>() : "?";
    }

    // Runs `flk ARGS... --rpc <node i>`.
    ProcessResult flk(size_t i, std::vector<std::string> args) {
        args.insert(args.begin(), FLK_BINARY);
        args.push_back("--rpc");
        args.push_back(rpc_url(i));
        return run_process(args);
    }

    // Runs `fleek-node ARGS...`.
    ProcessResult fleek_node(std::vector<std::string> args) {
        args.insert(args.begin(), FLEEK_NODE_BINARY);
        return run_process(args);
    }

    // Waits until `done` holds, polling every 200 ms, up to `limit`.
    template <class Done>
    bool eventually(Done done, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        return done();
    }

    std::vector<std::string> committee_keys(size_t i, uint64_t epoch_number) {
        std::vector<std::string> keys;
        auto result = call(i, "flk_get_committee_members", Json::array({epoch_number}));
        if (result && result->is_array()) {
            for (const auto& key : *result) keys.push_back(key.get<std::string>());
        }
        return keys;
    }

    // The committee of an epoch in ledger order, as certificates need it: the keys from
    // flk_get_committee_members on node `via`, the consensus keys from its registry.
    std::vector<ledger::CommitteeMember> committee(uint64_t epoch_number, size_t via = 0) {
        if (auto found = committees_.find(epoch_number); found != committees_.end()) return found->second;
        std::vector<ledger::CommitteeMember> members;
        for (const auto& key : committee_keys(via, epoch_number)) {
            auto info = call(via, "flk_get_node_info", Json::array({key}));
            if (!info || !info->is_object()) return {};
            members.push_back(ledger::CommitteeMember{
                (*info)["index"].get<ledger::NodeIndex>(),
                crypto::NodePublicKey::from_base58((*info)["public_key"].get<std::string>()).value(),
                crypto::ConsensusPublicKey::from_base58((*info)["consensus_key"].get<std::string>()).value(), {}, {}});
        }
        if (!members.empty()) committees_[epoch_number] = members;
        return members;
    }

    // Every node in `which` has the same certificate (block digest, state root) at every height
    // up to the lowest of their heights; each certificate verifies against the committee of its
    // epoch (`committee_size` members). Returns the epochs the certificates came from.
    std::set<uint64_t> expect_same_chain(const std::vector<size_t>& which, size_t committee_size) {
        std::set<uint64_t> epochs;
        uint64_t top = ~uint64_t{0};
        for (size_t i : which) top = std::min(top, height(i));
        EXPECT_GT(top, 0u);
        for (uint64_t h = 1; h <= top; ++h) {
            std::optional<Json> first;
            for (size_t i : which) {
                Json certificate;
                const bool found = eventually([&] {
                    auto result = call(i, "flk_get_block_certificate", Json::array({h}));
                    if (!result || result->is_null()) return false;
                    certificate = *result;
                    return true;
                }, std::chrono::seconds(20));
                EXPECT_TRUE(found) << "node " << i << " has no certificate for height " << h;
                if (!found) return epochs;
                if (!first) {
                    first = certificate;
                    const Bytes encoded = hex_decode(certificate["encoding"].get<std::string>()).value();
                    auto decoded = codec::decode<ledger::BlockCertificate>(encoded);
                    EXPECT_TRUE(decoded.has_value()) << "height " << h;
                    if (!decoded) return epochs;
                    epochs.insert(decoded->epoch);
                    const auto members = committee(decoded->epoch, which.front());
                    EXPECT_EQ(members.size(), committee_size) << "epoch " << decoded->epoch;
                    EXPECT_TRUE(decoded->verify(members).has_value()) << "height " << h << " epoch " << decoded->epoch;
                }
                EXPECT_EQ(certificate["state_root"], (*first)["state_root"]) << "node " << i << " height " << h;
                EXPECT_EQ(certificate["block_digest"], (*first)["block_digest"]) << "node " << i << " height " << h;
            }
        }
        return epochs;
    }

    ledger::Genesis genesis;
    crypto::AccountSecretKey account = crypto::AccountSecretKey::generate();
    std::vector<ledger::CommitteeMember> genesis_committee;
    uint64_t nonce = 0;

private:
    ScratchDirectory dir_;
    uint16_t base_port_;
    std::filesystem::path logs_;
    std::vector<Node> nodes_;
    std::map<uint64_t, std::vector<ledger::CommitteeMember>> committees_;
};

}  // namespace fleek::testing
