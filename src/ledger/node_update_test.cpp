// UpdateNodeInfo: a registered node moves to another domain or ports, sent by the node itself
// (node or consensus key) or by its owner; anything else, and invalid addresses, revert and change
// nothing.
#include "ledger/methods_fixture_test.h"

namespace fleek::ledger {
namespace {

NodePorts ports_from(uint16_t base) {
    return NodePorts{base, static_cast<uint16_t>(base + 1), static_cast<uint16_t>(base + 2), static_cast<uint16_t>(base + 3),
                     static_cast<uint16_t>(base + 4), static_cast<uint16_t>(base + 5), static_cast<uint16_t>(base + 6)};
}

TEST_F(Methods, UpdateNodeInfoBySenderKind) {
    // The node key.
    ok(net->node_tx(2, UpdateNodeInfo{2, "edge-2.example.org", ports_from(20000)}));
    EXPECT_EQ(node(2).domain, "edge-2.example.org");
    EXPECT_EQ(node(2).ports, ports_from(20000));
    // The consensus key of the same node.
    ok(net->consensus_tx(2, UpdateNodeInfo{2, "10.0.0.2", ports_from(21000)}));
    EXPECT_EQ(node(2).domain, "10.0.0.2");
    EXPECT_EQ(node(2).ports, ports_from(21000));
    // The owner account; an IPv6 literal.
    ok(net->sign(net->nodes[2].owner, UpdateNodeInfo{2, "2001:db8::2", ports_from(22000)}));
    EXPECT_EQ(node(2).domain, "2001:db8::2");
    // The committee the consensus layer reads has the new address.
    for (const CommitteeMember& member : ledger->current_committee()) {
        if (member.index != 2) continue;
        EXPECT_EQ(member.domain, "2001:db8::2");
        EXPECT_EQ(member.ports, ports_from(22000));
    }
    // Nothing else of the node changed (stake, keys, participation); the nonce moved.
    NodeInfo info = node(2);
    EXPECT_EQ(info.staked, net->genesis.nodes[2].stake);
    EXPECT_EQ(info.node_key, net->nodes[2].node_key.public_key().bytes());
    EXPECT_EQ(info.participation, Participation::active);
    EXPECT_EQ(info.nonce, 2u);
}

TEST_F(Methods, UpdateNodeInfoRefusesOthersAndInvalidAddresses) {
    const NodeInfo before = node(2);
    const auto unchanged = [&] {
        NodeInfo now = node(2);
        now.nonce = before.nonce;
        EXPECT_EQ(now, before);
    };
    const NodePorts good = ports_from(30000);
    reverts(net->node_tx(2, UpdateNodeInfo{77, "a.example.org", good}), TxError::node_not_found);
    // Another node's key, another account, another node's owner.
    reverts(net->node_tx(1, UpdateNodeInfo{2, "a.example.org", good}), TxError::not_node_owner);
    reverts(net->consensus_tx(3, UpdateNodeInfo{2, "a.example.org", good}), TxError::not_node_owner);
    reverts(net->account_tx(0, UpdateNodeInfo{2, "a.example.org", good}), TxError::not_node_owner);
    reverts(net->sign(net->nodes[1].owner, UpdateNodeInfo{2, "a.example.org", good}), TxError::not_node_owner);
    unchanged();
    // Domains: empty, spaces, a scheme, too long a label.
    for (const std::string& domain : {std::string(), std::string("bad domain"), std::string("http://x.org"),
                                     std::string(64, 'a') + ".org", std::string("1.2.3.999")}) {
        reverts(net->node_tx(2, UpdateNodeInfo{2, domain, good}), TxError::invalid_domain);
    }
    // Ports: a zero port, two equal ports.
    NodePorts zero = good;
    zero.dht = 0;
    reverts(net->node_tx(2, UpdateNodeInfo{2, "a.example.org", zero}), TxError::invalid_ports);
    NodePorts duplicate = good;
    duplicate.rpc = duplicate.pool;
    reverts(net->node_tx(2, UpdateNodeInfo{2, "a.example.org", duplicate}), TxError::invalid_ports);
    unchanged();
}

TEST(NodeDomain, HostNamesAndAddressLiterals) {
    for (const std::string_view ok :
         {"localhost", "node.example.org", "a-b.c1.example", "127.0.0.1", "255.255.255.255", "::", "::1", "2001:db8::2",
          "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::ffff:192.0.2.1", "fe80::1:2"}) {
        EXPECT_TRUE(valid_domain(ok)) << ok;
    }
    for (const std::string_view bad :
         {"", "bad domain", "http://x.org", "a..b", ".a", "a.", "-a.org", "a-.org", "1.2.3", "1.2.3.256", "01.2.3.4",
          "1:2:3", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", ":1", "1::2:", "a_b.org", "ex\xc3\xa9.org"}) {
        EXPECT_FALSE(valid_domain(bad)) << bad;
    }
    EXPECT_FALSE(valid_domain(std::string(64, 'a') + ".org"));  // a label is at most 63
    EXPECT_TRUE(valid_domain(std::string(63, 'a') + ".org"));
    std::string long_name;
    for (int i = 0; i < 63; ++i) long_name += "abc.";
    long_name += "org";  // 255 characters
    EXPECT_FALSE(valid_domain(long_name));
}

TEST(UpdateNodeInfoFormat, Vector) {
    // Node key 32 × 0x07, nonce 3, chain id 59330, UpdateNodeInfo{node 2, "n.example",
    // ports 4200 4300 4220 4221 4230 4340 4350}: the bytes of ledger-transactions.md.
    const auto key = crypto::NodeSecretKey::from_seed(Bytes(32, 7)).value();
    Transaction tx;
    tx.sender = NodeSender{key.public_key().bytes()};
    tx.nonce = 3;
    tx.chain_id = 59330;
    tx.method = UpdateNodeInfo{2, "n.example", NodePorts{}};
    const Bytes encoded = codec::encode(tx);
    // Written by hand from the format; the key from Python's `cryptography` (RFC 8032).
    EXPECT_EQ(hex_encode(encoded),
              "00" "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"  // sender: node key
              "0300000000000000" "c2e7000000000000"                                  // nonce 3, chain id 59330
              "18"                                                                   // method 24: UpdateNodeInfo
              "02000000"                                                             // node 2
              "09000000" "6e2e6578616d706c65"                                        // "n.example"
              "6810" "cc10" "7c10" "7d10" "8610" "f410" "fe10");                     // the seven ports
    EXPECT_EQ(codec::decode<Transaction>(encoded).value(), tx);
    // b3sum --derive-key "fleek-network transaction v1" of those bytes.
    EXPECT_EQ(hex_encode(tx.digest()), "bdbc78a67a78b897e2deedd7c11ce31e8f6c84b2cf74a713d9340039db75717f");
}

}  // namespace
}  // namespace fleek::ledger
