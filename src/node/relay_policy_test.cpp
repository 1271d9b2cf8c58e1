// What a node relays (relay_policy.h, issue 15): gossiped blocks and block signatures only once
// verified against the committee the ledger knows, forwarded transactions only with a valid
// signature. Before, a certified block for a future height and a signature for a block not
// executed yet were relayed unchecked, and forwarded transactions reached the worker unchecked.
#include "node/relay_policy.h"

#include "ledger/block_certificate.h"
#include "tests/support/ledger_network.h"

#include <gtest/gtest.h>

namespace fleek::node {
namespace {

struct RelayTest : ::testing::Test {
    testing::TestNetwork net{testing::NetworkShape{.nodes = 5, .committee = 4, .accounts = 2}};
    std::vector<ledger::CommitteeMember> committee;

    RelayTest() {
        for (size_t i = 0; i < 4; ++i) {
            committee.push_back(ledger::CommitteeMember{static_cast<ledger::NodeIndex>(i), net.nodes[i].node_key.public_key(),
                                                        net.nodes[i].consensus_key.public_key(), "127.0.0.1", {}});
        }
    }

    // A block at `height` of epoch 0, certified by the members in `signers`.
    CertifiedBlock certified(uint64_t height, const std::vector<size_t>& signers) {
        CertifiedBlock out;
        out.block.block.height = height;
        out.block.block.epoch = 0;
        out.block.block.timestamp_ms = 1000 + height;
        Hash32 root{};
        root[0] = static_cast<uint8_t>(height);
        ledger::BlockCertificateBuilder builder(0, height, out.block.digest(), root, committee);
        for (size_t i : signers) (void)builder.add(net.nodes[i].consensus_key.public_key(), net.nodes[i].consensus_key.sign(builder.signing_digest()));
        if (auto certificate = builder.certificate()) {
            out.certificate = *certificate;
        } else {  // below the quorum: a certificate as a forger would assemble it
            out.certificate.epoch = 0;
            out.certificate.height = height;
            out.certificate.block_digest = out.block.digest();
            out.certificate.state_root = root;
            out.certificate.signers.assign(committee.size(), 0);
            for (size_t i : signers) out.certificate.signers[i] = 1;
            out.certificate.signature = net.nodes[signers.front()].consensus_key.sign(builder.signing_digest()).bytes();
        }
        return out;
    }
};

TEST_F(RelayTest, AFutureBlockIsRelayedOnlyWithAValidCertificate) {
    // 10 blocks ahead of us: before, relayed whatever its certificate.
    const CertifiedBlock valid = certified(15, {0, 1, 2});
    EXPECT_EQ(classify_gossip_block(valid, 5, committee), GossipBlockAction::relay_only);
    CertifiedBlock forged = valid;
    forged.certificate.signature = net.nodes[4].consensus_key.sign(Bytes{1, 2, 3}).bytes();
    EXPECT_EQ(classify_gossip_block(forged, 5, committee), GossipBlockAction::refuse);
    EXPECT_EQ(classify_gossip_block(certified(15, {0}), 5, committee), GossipBlockAction::refuse);  // one signer, no quorum
    // A valid certificate on another block's content.
    CertifiedBlock swapped = valid;
    swapped.block.block.timestamp_ms += 1;
    EXPECT_EQ(classify_gossip_block(swapped, 5, committee), GossipBlockAction::refuse);
    CertifiedBlock other_height = valid;
    other_height.certificate.height = 16;
    EXPECT_EQ(classify_gossip_block(other_height, 5, committee), GossipBlockAction::refuse);
    // An epoch whose committee this node does not know: neither relayed nor kept.
    EXPECT_EQ(classify_gossip_block(valid, 5, {}), GossipBlockAction::refuse);
    // Signed by a committee of other keys (the fifth node is not a member).
    std::vector<ledger::CommitteeMember> others = committee;
    others[0].consensus_key = net.nodes[4].consensus_key.public_key();
    EXPECT_EQ(classify_gossip_block(valid, 5, others), GossipBlockAction::refuse);
}

TEST_F(RelayTest, VerifiedBlocksAreExecutedAtTheNextHeightAndStoredBelow) {
    EXPECT_EQ(classify_gossip_block(certified(6, {0, 1, 3}), 5, committee), GossipBlockAction::execute);
    EXPECT_EQ(classify_gossip_block(certified(5, {1, 2, 3}), 5, committee), GossipBlockAction::add_certificate);
    EXPECT_EQ(classify_gossip_block(certified(1, {0, 1, 2, 3}), 5, committee), GossipBlockAction::add_certificate);
    CertifiedBlock no_epoch = certified(6, {0, 1, 2});
    no_epoch.block.block.epoch.reset();
    EXPECT_EQ(classify_gossip_block(no_epoch, 5, committee), GossipBlockAction::refuse);
}

TEST_F(RelayTest, BlockSignaturesAreRelayedOnlyFromMembersWithAValidSignature) {
    Hash32 digest{};
    digest[1] = 9;
    Hash32 root{};
    root[2] = 7;
    const BlockSignature valid = sign_block(net.nodes[2].consensus_key, 0, 40, digest, root);
    EXPECT_TRUE(verify_block_signature(valid, committee));
    BlockSignature other_block = valid;
    other_block.height = 41;  // before: relayed unchecked for any height above ours
    EXPECT_FALSE(verify_block_signature(other_block, committee));
    EXPECT_FALSE(verify_block_signature(sign_block(net.nodes[4].consensus_key, 0, 40, digest, root), committee));  // not a member
    BlockSignature garbage = valid;
    garbage.signature.fill(0xff);
    EXPECT_FALSE(verify_block_signature(garbage, committee));
    EXPECT_FALSE(verify_block_signature(valid, {}));  // unknown epoch
}

TEST_F(RelayTest, ForwardedTransactionsNeedTheirSignature) {
    const Bytes transfer = net.account_tx(0, ledger::Transfer{ledger::Token::flk, net.accounts[1].address().bytes(), 5});
    auto accepted = check_forwarded_transaction(transfer, net.chain_id());
    ASSERT_TRUE(accepted.has_value());
    EXPECT_EQ(accepted->transaction.nonce, 1u);
    Bytes forged = transfer;
    forged[forged.size() - 10] ^= 0x40;  // inside the signature
    ASSERT_FALSE(check_forwarded_transaction(forged, net.chain_id()));
    EXPECT_EQ(check_forwarded_transaction(forged, net.chain_id()).error(), rpc::SubmitError::bad_signature);
    EXPECT_EQ(check_forwarded_transaction(transfer, net.chain_id() + 1).error(), rpc::SubmitError::wrong_chain);
    EXPECT_EQ(check_forwarded_transaction(Bytes{1, 2, 3}, net.chain_id()).error(), rpc::SubmitError::malformed);
    EXPECT_EQ(check_forwarded_transaction(Bytes(ledger::transaction_size_max + 1, 0), net.chain_id()).error(), rpc::SubmitError::too_large);
    // Node-key and consensus-key senders are checked as well.
    const Bytes by_node = net.node_tx(1, ledger::IncrementNonce{});
    EXPECT_TRUE(check_forwarded_transaction(by_node, net.chain_id()).has_value());
    Bytes node_forged = by_node;
    node_forged[node_forged.size() - 3] ^= 1;
    EXPECT_EQ(check_forwarded_transaction(node_forged, net.chain_id()).error(), rpc::SubmitError::bad_signature);
}

}  // namespace
}  // namespace fleek::node
