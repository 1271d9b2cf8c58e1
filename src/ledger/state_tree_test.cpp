#include "ledger/state_tree.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace fleek::ledger {
namespace {

// A reference model: the tree is a function of its entries, so a tree updated step by step must
// equal one built in a single batch from the final entries.
class TreeModel {
public:
    Hash32 apply(const std::map<Bytes, std::optional<Bytes>>& changes, TreeUpdateStats* stats = nullptr) {
        std::vector<TreeChange> tree_changes;
        for (const auto& [key, value] : changes) {
            tree_changes.push_back(TreeChange{state_key_path(key), value ? std::optional(state_value_hash(*value)) : std::nullopt});
            if (value) {
                entries[key] = *value;
            } else {
                entries.erase(key);
            }
        }
        TreeWrites writes;
        const Hash32 root = update_state_tree(tree, tree_changes, writes, stats).value();
        tree.apply(writes);
        return root;
    }

    Hash32 rebuilt_root() const {
        MemoryTree fresh;
        std::vector<TreeChange> all;
        for (const auto& [key, value] : entries) all.push_back(TreeChange{state_key_path(key), state_value_hash(value)});
        TreeWrites writes;
        return update_state_tree(fresh, all, writes).value();
    }

    MemoryTree tree;
    std::map<Bytes, Bytes> entries;
};

Bytes key_of(uint64_t i) {
    Bytes key{0x03};
    for (int b = 7; b >= 0; --b) key.push_back(static_cast<uint8_t>(i >> (8 * b)));
    return key;
}
Bytes value_of(uint64_t i, uint64_t version) { return to_bytes("value-" + std::to_string(i) + "-" + std::to_string(version)); }

TEST(StateTree, EmptyTreeHasZeroRoot) {
    MemoryTree tree;
    EXPECT_EQ(state_tree_root(tree).value(), Hash32{});
    const StateProof proof = prove_state_key(tree, key_of(1)).value();
    EXPECT_TRUE(verify_state_proof(Hash32{}, key_of(1), std::nullopt, proof).has_value());
    EXPECT_EQ(verify_state_proof(Hash32{}, key_of(1), ByteSpan(value_of(1, 0)), proof).error(), ProofError::value_mismatch);
}

TEST(StateTree, SingleLeafIsTheRoot) {
    TreeModel model;
    const Hash32 root = model.apply({{key_of(1), value_of(1, 0)}});
    EXPECT_EQ(root, state_leaf_hash(state_key_path(key_of(1)), state_value_hash(value_of(1, 0))));
    EXPECT_EQ(model.tree.node_count(), 1u);
    EXPECT_EQ(model.apply({{key_of(1), std::nullopt}}), Hash32{});
    EXPECT_EQ(model.tree.node_count(), 0u);
}

// The vector in docs/formats/state-tree.md, computed independently with b3sum by
// tests/vectors/ledger/state_tree_vector.py.
TEST(StateTree, Vector) {
    TreeModel model;
    const Hash32 root = model.apply({{to_bytes("a"), to_bytes("1")}, {to_bytes("b"), to_bytes("2")}, {to_bytes("c"), to_bytes("3")}});
    EXPECT_EQ(hex_encode(state_key_path(to_bytes("a"))), hex_encode(crypto::blake3_derive_key("fleek-network state-key v1", to_bytes("a"))));
    EXPECT_EQ(hex_encode(root), "25f17fa8a2eb283a6882821be0daa4136bad7030147f84addfa954843eefd0eb");
}

TEST(StateTree, IncrementalUpdatesEqualRebuildAndOrderDoesNotMatter) {
    std::mt19937_64 rng(7);
    TreeModel model;
    for (int round = 0; round < 60; ++round) {
        std::map<Bytes, std::optional<Bytes>> changes;
        const int count = 1 + static_cast<int>(rng() % 40);
        for (int i = 0; i < count; ++i) {
            const uint64_t k = rng() % 300;
            if (rng() % 4 == 0) {
                changes[key_of(k)] = std::nullopt;
            } else {
                changes[key_of(k)] = value_of(k, static_cast<uint64_t>(round));
            }
        }
        const Hash32 root = model.apply(changes);
        ASSERT_EQ(root, model.rebuilt_root()) << "round " << round;
        ASSERT_EQ(root, state_tree_root(model.tree).value());
    }
    // Deleting everything leaves nothing stored: no stale nodes survive lifting and deletion.
    std::map<Bytes, std::optional<Bytes>> all;
    for (const auto& [key, value] : model.entries) all[key] = std::nullopt;
    EXPECT_EQ(model.apply(all), Hash32{});
    EXPECT_EQ(model.tree.node_count(), 0u);
}

TEST(StateTree, RandomKeysProveAndVerify) {
    std::mt19937_64 rng(11);
    TreeModel model;
    std::map<Bytes, std::optional<Bytes>> changes;
    for (uint64_t i = 0; i < 500; ++i) changes[key_of(rng())] = value_of(i, 0);
    const Hash32 root = model.apply(changes);
    for (const auto& [key, value] : model.entries) {
        const StateProof proof = prove_state_key(model.tree, key).value();
        ASSERT_TRUE(verify_state_proof(root, key, ByteSpan(value), proof).has_value());
        // The proof survives its encoding.
        ASSERT_EQ(codec::decode<StateProof>(codec::encode(proof)).value(), proof);
        // A changed value fails.
        Bytes other = value;
        other.back() ^= 1;
        ASSERT_EQ(verify_state_proof(root, key, ByteSpan(other), proof).error(), ProofError::value_mismatch);
        // Claiming absence fails.
        ASSERT_EQ(verify_state_proof(root, key, std::nullopt, proof).error(), ProofError::not_excluded);
        // A changed sibling fails.
        if (!proof.siblings.empty()) {
            StateProof tampered = proof;
            tampered.siblings[rng() % tampered.siblings.size()][rng() % 32] ^= 0x40;
            ASSERT_EQ(verify_state_proof(root, key, ByteSpan(value), tampered).error(), ProofError::root_mismatch);
            StateProof shorter = proof;
            shorter.siblings.pop_back();
            ASSERT_FALSE(verify_state_proof(root, key, ByteSpan(value), shorter).has_value());
        }
        // Another root fails.
        Hash32 other_root = root;
        other_root[0] ^= 1;
        ASSERT_EQ(verify_state_proof(other_root, key, ByteSpan(value), proof).error(), ProofError::root_mismatch);
    }
    // Absent keys: proofs of non-inclusion verify, and fail once the key is claimed present.
    for (uint64_t i = 0; i < 200; ++i) {
        const Bytes key = key_of(rng());
        if (model.entries.contains(key)) continue;
        const StateProof proof = prove_state_key(model.tree, key).value();
        ASSERT_TRUE(verify_state_proof(root, key, std::nullopt, proof).has_value());
        ASSERT_FALSE(verify_state_proof(root, key, ByteSpan(value_of(i, 0)), proof).has_value());
        // The proof of an absent key is not a proof for a present one.
        const Bytes& present = model.entries.begin()->first;
        ASSERT_FALSE(verify_state_proof(root, present, std::nullopt, proof).has_value());
    }
}

TEST(StateTree, CostGrowsWithChangedKeysNotStateSize) {
    // Ten changed keys in a state of 1,000 and in one of 20,000 entries: the work is bounded by
    // the depth of the touched paths (about log2 n), not by n.
    for (const uint64_t size : {uint64_t{1000}, uint64_t{20000}}) {
        TreeModel model;
        std::map<Bytes, std::optional<Bytes>> initial;
        for (uint64_t i = 0; i < size; ++i) initial[key_of(i)] = value_of(i, 0);
        model.apply(initial);
        std::map<Bytes, std::optional<Bytes>> changes;
        for (uint64_t i = 0; i < 10; ++i) changes[key_of(i * 97)] = value_of(i, 1);
        TreeUpdateStats stats;
        model.apply(changes, &stats);
        const size_t depth_bound = size == 1000 ? 30 : 40;  // ≈ log2(n) + slack per key
        EXPECT_LE(stats.nodes_hashed, 10 * depth_bound) << size;
        EXPECT_LE(stats.nodes_loaded, 10 * depth_bound) << size;
        EXPECT_GE(stats.nodes_hashed, 10u);
    }
}

TEST(StateTree, RefusesCorruptNodes) {
    TreeModel model;
    model.apply({{key_of(1), value_of(1, 0)}, {key_of(2), value_of(2, 0)}});
    // Overwrite the root with garbage: reading it is an error, not a crash.
    TreeWrites garbage;
    garbage[Bytes{0, 0}] = Bytes{1, 2, 3};
    model.tree.apply(garbage);
    EXPECT_EQ(state_tree_root(model.tree).error(), TreeError::corrupt);
    TreeWrites writes;
    EXPECT_EQ(update_state_tree(model.tree, {TreeChange{state_key_path(key_of(3)), Hash32{}}}, writes).error(),
              TreeError::corrupt);
    EXPECT_EQ(prove_state_key(model.tree, key_of(1)).error(), TreeError::corrupt);
}

TEST(StateTree, ProofDecoderRejectsMalformedInput) {
    StateProof proof;
    proof.siblings.resize(3);
    proof.terminal = ProofLeaf{};
    Bytes encoded = codec::encode(proof);
    EXPECT_EQ(codec::decode<StateProof>(encoded).value(), proof);
    Bytes bad_tag = encoded;
    bad_tag[4 + 3 * 32] = 2;
    EXPECT_EQ(codec::decode<StateProof>(bad_tag).error(), codec::DecodeError::unknown_tag);
    Bytes too_deep(4, 0);
    too_deep[0] = 0x01;
    too_deep[1] = 0x01;  // 257 siblings
    EXPECT_FALSE(codec::decode<StateProof>(too_deep).has_value());
    encoded.push_back(0);
    EXPECT_EQ(codec::decode<StateProof>(encoded).error(), codec::DecodeError::trailing_bytes);
}

}  // namespace
}  // namespace fleek::ledger
