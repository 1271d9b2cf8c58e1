#include "node/keystore.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>

namespace fleek::node {
namespace {

KeystorePaths paths_in(const testing::ScratchDirectory& dir) {
    return {dir / "keystore/node.pem", dir / "keystore/consensus.pem"};
}

TEST(Keystore, GenerateThenLoad) {
    testing::ScratchDirectory dir;
    const auto paths = paths_in(dir);
    auto generated = generate_node_keys(paths, false);
    ASSERT_TRUE(generated.has_value()) << generated.error().message;
    auto loaded = load_node_keys(paths);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(loaded->node.public_key(), generated->node.public_key());
    EXPECT_EQ(loaded->consensus.public_key(), generated->consensus.public_key());
}

TEST(Keystore, GenerateRefusesToReplaceEitherKey) {
    testing::ScratchDirectory dir;
    const auto paths = paths_in(dir);
    const auto first = generate_node_keys(paths, false).value().node.public_key();
    auto again = generate_node_keys(paths, false);
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, crypto::KeyFileErrorCode::already_exists);
    EXPECT_NE(again.error().message.find("--force"), std::string::npos);
    EXPECT_EQ(load_node_keys(paths).value().node.public_key(), first);
    const auto replaced = generate_node_keys(paths, true).value().node.public_key();
    EXPECT_NE(replaced, first);
    EXPECT_EQ(load_node_keys(paths).value().node.public_key(), replaced);
}

TEST(Keystore, EnsureGeneratesOnlyWhatIsMissing) {
    testing::ScratchDirectory dir;
    const auto paths = paths_in(dir);
    auto first = ensure_node_keys(paths);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->node_key_generated);
    EXPECT_TRUE(first->consensus_key_generated);
    auto second = ensure_node_keys(paths);
    ASSERT_TRUE(second.has_value());
    EXPECT_FALSE(second->node_key_generated);
    EXPECT_FALSE(second->consensus_key_generated);
    EXPECT_EQ(second->keys.node.public_key(), first->keys.node.public_key());

    std::filesystem::remove(paths.consensus_key);
    auto third = ensure_node_keys(paths);
    ASSERT_TRUE(third.has_value());
    EXPECT_FALSE(third->node_key_generated);
    EXPECT_TRUE(third->consensus_key_generated);
    EXPECT_EQ(third->keys.node.public_key(), first->keys.node.public_key());
}

TEST(Keystore, LoadReportsWhichFileIsBroken) {
    testing::ScratchDirectory dir;
    const auto paths = paths_in(dir);
    ASSERT_TRUE(generate_node_keys(paths, false).has_value());
    testing::write_text(paths.consensus_key, "garbage");
    auto loaded = load_node_keys(paths);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_NE(loaded.error().message.find("consensus.pem"), std::string::npos) << loaded.error().message;
}

}  // namespace
}  // namespace fleek::node
