// The node as real processes on loopback (issue 7 acceptance): a 4-node devnet written by
// `fleek-node devnet`, each node started with `fleek-node run`. Transfers sent to any node
// execute on every node; every node reports the same state root and certificate at every height
// and the certificates verify against the genesis committee; a node killed with SIGKILL under
// load catches up after a restart; with two of four nodes stopped nothing commits, and progress
// resumes when they return; garbage on the pool port, malformed JSON-RPC and invalid
// transactions are refused while every node keeps running.
#include "net/transport.h"
#include "node/runtime.h"
#include "tests/support/devnet.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace fleek {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

class Devnet : public testing::LocalDevnet {
public:
    explicit Devnet(size_t nodes) : LocalDevnet("devnet-e2e", nodes, nodes, {}, 0) {}
    void expect_same_chain(const std::vector<size_t>& which) { LocalDevnet::expect_same_chain(which, 4); }
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

TEST(DevnetE2e, FourNodesAgreeSurviveCrashesAndRefuseBadInput) {
    Devnet devnet(4);
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

    // SIGKILL under load the node that the account's transactions are routed to (the worst
    // case: the others still count it as reachable for a moment, so what they forward right
    // after the kill is lost with it): the others keep committing, since they route again what
    // has no receipt; restarted, the killed node catches up.
    const size_t victim = routed_node(devnet, ledger::AccountSender{devnet.account.address().bytes()});
    std::vector<size_t> others;
    for (size_t i = 0; i < 4; ++i) {
        if (i != victim) others.push_back(i);
    }
    devnet.stop(victim, SIGKILL);
    const uint64_t before_height = devnet.height(others[0]);
    for (size_t k = 0; k < 6; ++k) ASSERT_TRUE(devnet.send(others[k % 3], devnet.transfer(to, 1)).has_value());
    for (size_t i : others) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(i, to) == "86"; })) << "node " << i << ": " << devnet.balance(i, to);
    }
    EXPECT_GT(devnet.height(others[0]), before_height);
    const auto resent = devnet.gauge(others[0], "fleek_transactions_resent_total") + devnet.gauge(others[1], "fleek_transactions_resent_total") +
                        devnet.gauge(others[2], "fleek_transactions_resent_total");
    std::printf("killed node %zu (the account's route); transactions resent by the others: %lld\n", victim, static_cast<long long>(resent));
    devnet.start(victim);
    EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(victim, to) == "86"; })) << devnet.balance(victim, to);
    EXPECT_TRUE(devnet.eventually([&] { return devnet.height(victim) >= devnet.height(others[0]); }));
    devnet.expect_same_chain({0, 1, 2, 3});

    // Two of four stopped: no quorum, nothing commits and nothing forks.
    const size_t second = others[2];
    devnet.stop(victim, SIGTERM);
    devnet.stop(second, SIGTERM);
    const uint64_t stalled = devnet.height(others[0]);
    ASSERT_TRUE(devnet.send(others[0], devnet.transfer(to, 100)).has_value());
    std::this_thread::sleep_for(5s);
    EXPECT_EQ(devnet.height(others[0]), stalled);
    EXPECT_EQ(devnet.height(others[1]), stalled);
    EXPECT_EQ(devnet.balance(others[0], to), "86");
    devnet.start(victim);
    devnet.start(second);
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(i, to) == "186"; })) << "node " << i << ": " << devnet.balance(i, to);
    }
    devnet.expect_same_chain({0, 1, 2, 3});

    // Bad input: garbage and a truncated frame on the pool port, malformed JSON-RPC, invalid
    // transactions. Each is refused and every node keeps running.
    for (const std::string& garbage : {std::string("GET / HTTP/1.1\r\n\r\n"), std::string(5000, '\xff'), std::string("\x10\x00\x00")}) {
        const int fd = testing::connect_loopback(devnet.node(0).pool_port);
        ASSERT_GE(fd, 0);
        testing::send_all(fd, garbage);
        ::close(fd);
    }
    {
        // A TLS peer whose key is not registered dials node 0 (the smaller key dials, so the
        // stranger's key is drawn below node 0's) and is refused.
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
        std::this_thread::sleep_for(3s);
        for (const auto& peer : (*transport)->peer_status()) EXPECT_FALSE(peer.connected);
        EXPECT_EQ(frames.load(), 0);
        (*transport)->stop();
    }
    auto malformed = testing::http_request(devnet.node(1).rpc_port, "POST", "/rpc/v0", "Content-Type: application/json\r\n", "{\"jsonrpc\":");
    EXPECT_NE(malformed.body.find("-32700"), std::string::npos) << malformed.body;
    auto bad_hex = devnet.call(1, "flk_send_txn", Json::array({"zz"}));
    ASSERT_FALSE(bad_hex.has_value());
    EXPECT_NE(bad_hex.error().find("-32602"), std::string::npos) << bad_hex.error();
    Bytes forged = devnet.transfer(to, 1);
    --devnet.nonce;
    forged[forged.size() - 10] ^= 0x40;  // inside the signature
    auto refused = devnet.send(2, forged);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().find("-32000"), std::string::npos) << refused.error();
    for (size_t i = 0; i < 4; ++i) {
        EXPECT_TRUE(devnet.running(i)) << "node " << i;
        auto health = testing::http_request(devnet.node(i).rpc_port, "GET", "/health");
        EXPECT_EQ(health.status, 200) << "node " << i;
    }
    // Still committing after all that.
    ASSERT_TRUE(devnet.send(3, devnet.transfer(to, 1)).has_value());
    EXPECT_TRUE(devnet.eventually([&] { return devnet.balance(1, to) == "187"; })) << devnet.balance(1, to);

    // SIGTERM shuts every node down cleanly.
    for (size_t i = 0; i < 4; ++i) {
        devnet.node(i).process->send(SIGTERM);
        EXPECT_EQ(devnet.node(i).process->wait(), 0) << "node " << i;
    }
}

}  // namespace
}  // namespace fleek
