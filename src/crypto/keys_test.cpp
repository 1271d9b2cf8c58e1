#include "crypto/keys.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace fleek::crypto {
namespace {

// Roles are types: a client signature cannot be checked against a node key, or the reverse.
static_assert(!std::is_invocable_v<decltype(&NodePublicKey::verify), const NodePublicKey&, ByteSpan,
                                   const ClientSignature&>);
static_assert(!std::is_invocable_v<decltype(&ClientPublicKey::verify), const ClientPublicKey&, ByteSpan,
                                   const NodeSignature&>);
static_assert(!std::is_convertible_v<NodePublicKey, ClientPublicKey>);
static_assert(!std::is_copy_constructible_v<ConsensusSecretKey>);
static_assert(!std::is_copy_constructible_v<NodeSecretKey>);
static_assert(!std::is_copy_constructible_v<AccountSecretKey>);

TEST(Keys, NodeAndClientKeysSignForTheirRole) {
    const NodeSecretKey node = NodeSecretKey::generate();
    const ClientSecretKey client = ClientSecretKey::from_seed(node.raw().seed()).value();
    const NodeSignature node_signature = node.sign(as_bytes("m"));
    EXPECT_TRUE(node.public_key().verify(as_bytes("m"), node_signature));
    EXPECT_FALSE(node.public_key().verify(as_bytes("n"), node_signature));
    // Same seed, same bytes, different types.
    EXPECT_EQ(client.public_key().bytes(), node.public_key().bytes());
    EXPECT_TRUE(client.public_key().verify(as_bytes("m"), client.sign(as_bytes("m"))));
}

TEST(Keys, PublicKeysPrintAsBase58OrAddress) {
    const NodeSecretKey node = NodeSecretKey::generate();
    const std::string node_text = node.public_key().to_string();
    EXPECT_GE(node_text.size(), 43u);
    EXPECT_LE(node_text.size(), 44u);
    EXPECT_EQ(NodePublicKey::from_base58(node_text).value(), node.public_key());

    const ConsensusSecretKey consensus = ConsensusSecretKey::generate();
    const std::string consensus_text = consensus.public_key().to_base58();
    EXPECT_GE(consensus_text.size(), 130u);
    EXPECT_EQ(ConsensusPublicKey::from_base58(consensus_text).value(), consensus.public_key());

    const AccountSecretKey account = AccountSecretKey::generate();
    const std::string address = account.address().to_string();
    EXPECT_EQ(address.size(), 42u);
    EXPECT_EQ(address.substr(0, 2), "0x");
    EXPECT_EQ(AccountAddress::parse(address).value(), account.address());
}

TEST(Keys, TextFormsRejectOtherKinds) {
    const ConsensusSecretKey consensus = ConsensusSecretKey::generate();
    EXPECT_EQ(NodePublicKey::from_base58(consensus.public_key().to_base58()).error(), KeyError::wrong_length);
    const NodeSecretKey node = NodeSecretKey::generate();
    EXPECT_EQ(ConsensusPublicKey::from_base58(node.public_key().to_string()).error(), KeyError::wrong_length);
}

}  // namespace
}  // namespace fleek::crypto
