// The node as real processes on loopback (issue 7 acceptance, tightened by issue 15): a 4-node
// devnet written by `fleek-node devnet`, each node started with `fleek-node run`.
//
//   - Transfers sent to any node execute on every node; every node reports the same state root
//     and certificate at every height; the certificates verify against the genesis committee.
//   - Five `flk transfer` in a row take nonces 1..5 and all execute; a second transaction with a
//     pending nonce is refused (-32000, nonce_pending).
//   - A node is killed with SIGKILL while a load thread sends transfers: every transfer a node
//     accepted executes exactly once, none is lost; restarted, the node catches up.
//   - With two of four nodes stopped nothing commits and /health reports the stall; progress
//     resumes when they return.
//   - Garbage on the pool port, an unregistered TLS peer, malformed JSON-RPC and invalid
//     transactions are refused, each in its documented way and counted, with the state unchanged.
// And a node whose runtime fails exits with status 1.
#include "net/transport.h"
#include "node/config.h"
#include "node/runtime.h"
#include "tests/support/devnet.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <thread>

namespace fleek {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class Devnet : public testing::LocalDevnet {
public:
    // `port_offset`: the two tests of this file run at once under ctest -j2 (testing::LocalDevnet).
    explicit Devnet(size_t nodes, std::vector<std::string> devnet_args = {}, uint16_t port_offset = 0)
        : LocalDevnet("devnet-e2e", nodes, nodes, std::move(devnet_args), port_offset) {}
    void expect_same_chain(const std::vector<size_t>& which) { LocalDevnet::expect_same_chain(which, 4); }

    // Lowers [health] stall_ms in node i's config, so a stall shows within the test.
    void set_stall_ms(size_t i, uint64_t stall_ms) {
        const auto path = home(i) / "config.toml";
        auto config = node::load_config_file(path);
        ASSERT_TRUE(config.has_value()) << config.error().message;
        config->health.stall_ms = stall_ms;
        testing::write_text(path, node::render_config(*config));
    }
    testing::RawResponse health(size_t i) { return testing::http_request(node(i).rpc_port, "GET", "/health"); }
};

// The devnet index of the node a sender's transactions are routed to first (sender_route).
size_t routed_node(Devnet& devnet, const ledger::Sender& sender) {
    const auto& member = devnet.genesis_committee[node::sender_route(sender, devnet.genesis_committee.size())];
    for (size_t i = 0; i < devnet.size(); ++i) {
        auto keys = devnet.call(i, "flk_get_public_keys");
        if (keys && (*keys)["public_key"] == member.node_key.to_string()) return i;
    }
    ADD_FAILURE() << "no devnet node has the routed member's key";
    return 0;
}

// A transfer of `amount` base units signed by `key` with `nonce`.
Bytes signed_transfer(const crypto::AccountSecretKey& key, uint64_t nonce, const crypto::AccountAddress& to, uint64_t amount) {
    ledger::Transaction transaction{{}, nonce, testing::LocalDevnet::chain_id, ledger::Transfer{ledger::Token::flk, to.bytes(), U256(amount)}};
    return ledger::sign_transaction(std::move(transaction), key).to_bytes();
}

TEST(DevnetE2e, FourNodesAgreeSurviveCrashesAndRefuseBadInput) {
    // One epoch for the whole test: no epoch protocol transactions change heights or state
    // under the assertions below (the test runs for several minutes on a loaded machine).
    Devnet devnet(4, {"--epoch-ms", "36000000"});
    for (size_t i = 0; i < 4; ++i) devnet.set_stall_ms(i, 5'000);
    devnet.start_connected(devnet.size());
    if (::testing::Test::HasFatalFailure()) return;
    const auto to = crypto::AccountSecretKey::generate().address();
    // The committee the ledger reports is the genesis committee the certificates verify against.
    const auto reported = devnet.committee(0);
    ASSERT_EQ(reported.size(), devnet.genesis_committee.size());
    for (size_t k = 0; k < reported.size(); ++k) EXPECT_EQ(reported[k].node_key, devnet.genesis_committee[k].node_key);

    // Transfers sent to every node execute on every node.
    std::vector<std::string> digests;
    for (size_t k = 0; k < 8; ++k) {
        auto sent = devnet.send(k % 4, devnet.transfer(to, 10));
        ASSERT_TRUE(sent.has_value()) << sent.error();
        digests.push_back(sent->get<std::string>());
    }
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(i, to) == "80"; })) << "node " << i << ": " << devnet.balance(i, to);
    }
    for (const auto& digest : digests) {
        auto receipt = devnet.call(0, "flk_get_transaction_receipt", Json::array({digest}));
        ASSERT_TRUE(receipt.has_value() && receipt->is_object()) << digest;
        EXPECT_EQ((*receipt)["status"], "success");
    }
    devnet.expect_same_chain({0, 1, 2, 3});

    // Issue 15: five `flk transfer` in a row, each returning at once (--no-wait), all printed
    // "nonce 1" and only the first executed. They take nonces 1..5 now and all execute.
    testing::ScratchDirectory keys;
    const auto sender = crypto::AccountSecretKey::generate();
    const std::string sender_pem = (keys.path() / "sender.pem").string();
    ASSERT_TRUE(crypto::save_account_key(sender_pem, sender, false).has_value());
    ASSERT_TRUE(devnet.send(0, devnet.transfer(sender.address(), 1'000'000)).has_value());
    ASSERT_TRUE(devnet.eventually([&] { return devnet.balance(0, sender.address()) == "1000000"; }));
    const auto payee = crypto::AccountSecretKey::generate().address();
    std::vector<std::string> flk_digests;
    for (uint64_t k = 1; k <= 5; ++k) {
        const auto sent = devnet.flk(0, {"transfer", "--key", sender_pem, "--to", payee.to_string(), "--amount", "1", "--base-units",
                                         "--no-wait", "--json"});
        ASSERT_EQ(sent.exit_code, 0) << sent.err;
        const Json answer = Json::parse(sent.out, nullptr, false);
        ASSERT_TRUE(answer.is_object()) << sent.out;
        EXPECT_EQ(answer["nonce"], k) << sent.out;
        flk_digests.push_back(answer["digest"].get<std::string>());
    }
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(i, payee) == "5"; })) << "node " << i << ": " << devnet.balance(i, payee);
    }
    for (const auto& digest : flk_digests) {
        auto receipt = devnet.call(1, "flk_get_transaction_receipt", Json::array({digest}));
        ASSERT_TRUE(receipt && receipt->is_object()) << digest;
        EXPECT_EQ((*receipt)["status"], "success") << receipt->dump();
    }
    EXPECT_EQ(devnet.account_nonce(2, sender.address()), 5u);
    // The default waits for the receipt and reports it.
    const auto waited = devnet.flk(0, {"transfer", "--key", sender_pem, "--to", payee.to_string(), "--amount", "1", "--base-units"});
    EXPECT_EQ(waited.exit_code, 0) << waited.err;
    EXPECT_NE(waited.out.find("sent Transfer (nonce 6)"), std::string::npos) << waited.out;
    EXPECT_NE(waited.out.find("executed in block"), std::string::npos) << waited.out;
    EXPECT_EQ(devnet.balance(0, payee), "6");
    // A second transaction with a pending nonce: nonce 8 waits for nonce 7 (held by the worker),
    // so it is pending for sure when its twin arrives.
    const Bytes eighth = signed_transfer(sender, 8, payee, 1);
    ASSERT_TRUE(devnet.send(0, eighth).has_value());
    const Json duplicate = devnet.call_error(0, "flk_send_txn", Json::array({hex_encode(signed_transfer(sender, 8, payee, 2))}));
    ASSERT_TRUE(duplicate.is_object()) << "a second transaction with a pending nonce was accepted";
    EXPECT_EQ(duplicate["code"], -32000);
    EXPECT_EQ(duplicate["data"]["reason"], "nonce_pending") << duplicate.dump();
    auto pending = devnet.call(0, "flk_get_pending_nonce", Json::array({sender.address().to_string()}));
    ASSERT_TRUE(pending.has_value());
    EXPECT_EQ((*pending)["nonce"], 6u);
    EXPECT_EQ((*pending)["pending_nonce"], 6u);  // nonce 7 is missing
    EXPECT_EQ((*pending)["pending"], 1u);
    ASSERT_TRUE(devnet.send(0, signed_transfer(sender, 7, payee, 1)).has_value());
    EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(3, payee) == "8"; })) << devnet.balance(3, payee);

    // SIGKILL, under load, the node the account's transactions are routed to (the worst case:
    // the others still count it as reachable for a moment, so what they forward right after the
    // kill is lost with it, and they must route it again). A load thread sends transfers through
    // the other nodes before, during and after the kill. Every transfer a node accepted must
    // execute exactly once; a refused one (an explicit JSON-RPC error) is sent again.
    const size_t victim = routed_node(devnet, ledger::AccountSender{devnet.account.address().bytes()});
    std::vector<size_t> others;
    for (size_t i = 0; i < 4; ++i) {
        if (i != victim) others.push_back(i);
    }
    const auto load_to = crypto::AccountSecretKey::generate().address();
    std::atomic<bool> loading{true};
    std::atomic<size_t> sent_before_kill{0};
    std::mutex accepted_mutex;
    std::vector<std::string> accepted;
    size_t refusals = 0;
    std::thread load([&] {
        size_t k = 0;
        while (loading) {
            const Bytes transfer = devnet.transfer(load_to, 1);
            auto sent = devnet.send(others[k++ % others.size()], transfer);
            if (sent) {
                std::lock_guard lock(accepted_mutex);
                accepted.push_back(sent->get<std::string>());
            } else {
                --devnet.nonce;  // refused: the nonce stays free, the transfer goes again
                std::lock_guard lock(accepted_mutex);
                ++refusals;
            }
            std::this_thread::sleep_for(30ms);  // the load's pace, not a wait for a condition
        }
    });
    const auto accepted_count = [&] {
        std::lock_guard lock(accepted_mutex);
        return accepted.size();
    };
    ASSERT_TRUE(devnet.eventually([&] { return accepted_count() >= 10; }, 30s));
    sent_before_kill = accepted_count();
    devnet.stop(victim, SIGKILL);
    const uint64_t height_at_kill = devnet.height(others[0]);
    EXPECT_TRUE(devnet.eventually([&] { return accepted_count() >= sent_before_kill + 30; }, 60s)) << "the load stopped being accepted";
    loading = false;
    load.join();
    std::vector<std::string> all_accepted;
    {
        std::lock_guard lock(accepted_mutex);
        all_accepted = accepted;
    }
    const std::string expected_total = std::to_string(all_accepted.size());
    for (size_t i : others) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(i, load_to) == expected_total; }, 120s))
            << "node " << i << ": " << devnet.balance(i, load_to) << " of " << expected_total << " accepted transfers executed";
    }
    // Exactly once: the balance equals the count of accepted transfers, each has one successful
    // receipt, and the account's nonce advanced by that count.
    for (const auto& digest : all_accepted) {
        auto receipt = devnet.call(others[0], "flk_get_transaction_receipt", Json::array({digest}));
        ASSERT_TRUE(receipt.has_value() && receipt->is_object()) << "accepted transfer " << digest << " was lost";
        EXPECT_EQ((*receipt)["status"], "success") << receipt->dump();
    }
    EXPECT_EQ(devnet.account_nonce(others[1], devnet.account.address()), devnet.nonce);
    EXPECT_GT(devnet.height(others[0]), height_at_kill);
    const auto resent = devnet.gauge(others[0], "fleek_transactions_resent_total") + devnet.gauge(others[1], "fleek_transactions_resent_total") +
                        devnet.gauge(others[2], "fleek_transactions_resent_total");
    std::printf("killed node %zu (the account's route) under load: %zu transfers accepted (%zu before the kill), %zu refused and "
                "sent again, %lld resent by the nodes\n",
                victim, all_accepted.size(), sent_before_kill.load(), refusals, static_cast<long long>(resent));
    devnet.start(victim);
    EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(victim, load_to) == expected_total; })) << devnet.balance(victim, load_to);
    EXPECT_TRUE(devnet.eventually([&] { return devnet.height(victim) >= devnet.height(others[0]); }));
    devnet.expect_same_chain({0, 1, 2, 3});

    // Two of four stopped: no quorum, nothing commits, nothing forks, and the remaining nodes
    // report the stall on /health once a transaction waits longer than stall_ms (5 s here): the
    // node that took the transaction (the other one has nothing waiting: a quiet node to it).
    const size_t second = others[2];
    devnet.stop(victim, SIGTERM);
    devnet.stop(second, SIGTERM);
    const uint64_t stalled = devnet.height(others[0]);
    const std::string balance_before_stall = devnet.balance(others[0], to);
    ASSERT_TRUE(devnet.send(others[0], devnet.transfer(to, 100)).has_value());
    {
        testing::RawResponse health;
        EXPECT_TRUE(devnet.eventually([&] { return (health = devnet.health(others[0])).status == 503; }, 60s)) << health.body;
        EXPECT_NE(health.body.find("stalled: no new block"), std::string::npos) << health.body;
        EXPECT_NE(health.body.find("transactions wait to execute"), std::string::npos) << health.body;
    }
    EXPECT_EQ(devnet.height(others[0]), stalled);
    EXPECT_EQ(devnet.height(others[1]), stalled);
    EXPECT_EQ(devnet.balance(others[0], to), balance_before_stall);
    devnet.start(victim);
    devnet.start(second);
    const std::string after_stall = std::to_string(std::stoull(balance_before_stall) + 100);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(i, to) == after_stall; })) << "node " << i << ": " << devnet.balance(i, to);
        EXPECT_TRUE(devnet.eventually([&] { return devnet.health(i).status == 200; })) << "node " << i << ": " << devnet.health(i).body;
    }
    devnet.expect_same_chain({0, 1, 2, 3});

    // Bad input. The state before: every node's height, state root, and the account's balance
    // and nonce must be the same afterwards.
    std::vector<uint64_t> heights;
    std::vector<std::string> roots;
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.height(i) == devnet.height(0); })) << "node " << i;
    }
    for (size_t i = 0; i < 4; ++i) heights.push_back(devnet.height(i)), roots.push_back(devnet.state_root(i));
    const std::string balance_before = devnet.balance(1, to);
    const uint64_t nonce_before = devnet.account_nonce(1, devnet.account.address());

    // Garbage and a truncated frame on the pool port: each connection is closed by the node and
    // counted as a failed handshake (the transport speaks TLS first).
    const int64_t handshakes_failed = devnet.gauge(0, "fleek_pool_handshakes_failed_total");
    for (const std::string& garbage : {std::string("GET / HTTP/1.1\r\n\r\n"), std::string(5000, '\xff'), std::string("\x10\x00\x00", 3)}) {
        const int fd = testing::connect_loopback(devnet.node(0).pool_port);
        ASSERT_GE(fd, 0);
        testing::send_all(fd, garbage);
        ::shutdown(fd, SHUT_WR);
        char byte = 0;
        timeval timeout{10, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ssize_t got = 0;
        while ((got = ::recv(fd, &byte, 1, 0)) > 0) {
        }
        // Closed (a FIN, or a reset when the node closed with our bytes unread), not timed out.
        const bool timed_out = got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
        EXPECT_FALSE(timed_out) << "the node did not close the connection";
        ::close(fd);
    }
    EXPECT_TRUE(devnet.eventually([&] { return devnet.gauge(0, "fleek_pool_handshakes_failed_total") >= handshakes_failed + 3; }, 10s))
        << devnet.gauge(0, "fleek_pool_handshakes_failed_total") << " failed handshakes, " << handshakes_failed << " before";
    {
        // A TLS peer whose key is not registered dials node 0 (the smaller key dials, so the
        // stranger's key is drawn below node 0's): refused after the handshake, and counted.
        const int64_t keys_refused = devnet.gauge(0, "fleek_pool_keys_refused_total");
        const auto node0_bytes = devnet.genesis.nodes[0].node_key;
        auto stranger = crypto::NodeSecretKey::generate();
        while (!(stranger.public_key().bytes() < node0_bytes)) stranger = crypto::NodeSecretKey::generate();
        net::TransportOptions options;
        options.listen_host = "127.0.0.1";
        options.listen_port = 0;
        std::atomic<int> frames{0};
        auto transport = net::Transport::start(options, stranger, [&](const crypto::NodePublicKey&, net::Channel, Bytes) { ++frames; });
        ASSERT_TRUE(transport.has_value()) << transport.error();
        const auto node0 = crypto::NodePublicKey::from_bytes(node0_bytes).value();
        (*transport)->set_peers({net::PeerAddress{node0, "127.0.0.1", devnet.node(0).pool_port}});
        for (int k = 0; k < 10; ++k) (void)(*transport)->send(node0, net::Channel::request, Bytes{0, 1, 2});
        EXPECT_TRUE(devnet.eventually([&] { return devnet.gauge(0, "fleek_pool_keys_refused_total") >= keys_refused + 1; }, 20s));
        for (const auto& peer : (*transport)->peer_status()) {
            EXPECT_FALSE(peer.connected);
            EXPECT_EQ(peer.connects, 0u);
            EXPECT_EQ(peer.frames_sent, 0u);
        }
        EXPECT_EQ(frames.load(), 0);
        (*transport)->stop();
    }
    // JSON-RPC: each bad request gets its documented error code.
    auto malformed = testing::http_request(devnet.node(1).rpc_port, "POST", "/rpc/v0", "Content-Type: application/json\r\n", "{\"jsonrpc\":");
    EXPECT_EQ(malformed.status, 200);
    const Json parse_error = Json::parse(malformed.body, nullptr, false);
    ASSERT_TRUE(parse_error.is_object()) << malformed.body;
    EXPECT_EQ(parse_error["error"]["code"], -32700);
    EXPECT_TRUE(parse_error["id"].is_null());
    const Json bad_hex = devnet.call_error(1, "flk_send_txn", Json::array({"zz"}));
    EXPECT_EQ(bad_hex["code"], -32602) << bad_hex.dump();
    Bytes forged = devnet.transfer(to, 1);
    --devnet.nonce;
    forged[forged.size() - 10] ^= 0x40;  // inside the signature
    const Json bad_signature = devnet.call_error(2, "flk_send_txn", Json::array({hex_encode(forged)}));
    EXPECT_EQ(bad_signature["code"], -32000) << bad_signature.dump();
    EXPECT_EQ(bad_signature["data"]["reason"], "bad_signature") << bad_signature.dump();
    const Json replayed = devnet.call_error(3, "flk_send_txn", Json::array({hex_encode(signed_transfer(devnet.account, 1, to, 1))}));
    EXPECT_EQ(replayed["code"], -32000) << replayed.dump();
    EXPECT_EQ(replayed["data"]["reason"], "bad_nonce") << replayed.dump();
    const Json unknown = devnet.call_error(3, "flk_no_such_method");
    EXPECT_EQ(unknown["code"], -32601) << unknown.dump();
    // Nothing changed: every node runs, is healthy, and holds the same state as before.
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.running(i)) << "node " << i;
        EXPECT_EQ(devnet.health(i).status, 200) << "node " << i;
        EXPECT_EQ(devnet.height(i), heights[i]) << "node " << i;
        EXPECT_EQ(devnet.state_root(i), roots[i]) << "node " << i;
        EXPECT_EQ(devnet.balance(i, to), balance_before) << "node " << i;
        EXPECT_EQ(devnet.account_nonce(i, devnet.account.address()), nonce_before) << "node " << i;
    }
    // Still committing after all that.
    ASSERT_TRUE(devnet.send(3, devnet.transfer(to, 1)).has_value());
    const std::string after_bad_input = std::to_string(std::stoull(balance_before) + 1);
    EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(1, to) == after_bad_input; })) << devnet.balance(1, to);

    // SIGTERM shuts every node down cleanly.
    for (size_t i = 0; i < 4; ++i) {
        devnet.node(i).process->send(SIGTERM);
        EXPECT_EQ(devnet.node(i).process->wait(), 0) << "node " << i;
    }
}

// Issue 15: a node whose runtime failed kept running (and answering OK on /health). Here the
// consensus store of the next epoch cannot be created (a file is in its place): at the epoch
// change the runtime fails, and `fleek-node run` exits with status 1 and the reason.
TEST(DevnetE2e, ANodeWhoseRuntimeFailsExitsWithStatusOne) {
    Devnet devnet(1, {"--epoch-ms", "3000", "--beacon-phase-ms", "1000"}, 75);
    std::filesystem::create_directories(devnet.home(0) / "data" / "consensus");
    testing::write_text(devnet.home(0) / "data" / "consensus" / "epoch-1", "not a directory");
    devnet.start(0);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_EQ(devnet.health(0).status, 200);
    const auto exit_code = devnet.node(0).process->wait_for_exit(120'000);
    ASSERT_TRUE(exit_code.has_value()) << "the node kept running; epoch " << devnet.epoch(0);
    EXPECT_EQ(*exit_code, 1);
    const std::string err = devnet.node(0).process->stderr_text();
    EXPECT_NE(err.find("error: the node's runtime failed: cannot open the consensus store"), std::string::npos) << err;
}

}  // namespace
}  // namespace fleek
