#include "content/proof.h"

#include "tests/support/random_bytes.h"

#include <gtest/gtest.h>

#include <random>

namespace fleek::content {
namespace {

using testing::random_bytes;

// Multi-block contents: 1..17 blocks, with a partial last block in some.
std::vector<Bytes> contents() {
    std::vector<Bytes> out;
    for (uint64_t blocks : {1, 2, 3, 4, 5, 7, 8, 9, 16, 17}) {
        const size_t tail = blocks % 2 == 0 ? 0 : 1234;
        out.push_back(random_bytes((blocks - (tail ? 1 : 0)) * block_size + tail, static_cast<uint32_t>(blocks)));
    }
    return out;
}

TEST(Proof, EveryBlockVerifiesFromEveryStartBlock) {
    for (const Bytes& content : contents()) {
        const HashTree tree = hash_tree(content);
        const uint64_t n = tree.blocks();
        for (uint64_t start = 0; start < n; ++start) {
            ProofWalker walker(tree, start);
            BlockVerifier verifier(tree.root(), content.size(), start);
            for (uint64_t k = start; k < n; ++k) {
                const Proof proof = walker.next_proof();
                ASSERT_EQ(proof.size(), verifier.expected_proof_size()) << n << " " << start << " " << k;
                ASSERT_TRUE(verifier.accept_proof(proof).has_value()) << n << " " << start << " " << k;
                ASSERT_TRUE(verifier.accept_block(block_of(content, k)).has_value()) << n << " " << start << " " << k;
            }
            EXPECT_TRUE(verifier.complete());
            // The prefix subtrees proven by the first proof cover [0, start) exactly.
            uint64_t covered = 0;
            for (const Subtree& subtree : verifier.verified_prefix()) {
                EXPECT_EQ(subtree.first, covered);
                EXPECT_EQ(subtree.hash, subtree_hash(ByteSpan(content).subspan(subtree.first * block_size), subtree.first,
                                                     subtree.end, content.size()));
                covered = subtree.end;
            }
            EXPECT_EQ(covered, start);
        }
    }
}

TEST(Proof, ProofSizesMatchTheTreeShape) {
    // 4 blocks: block 0 needs b0, b1, p23; block 1 nothing; block 2 needs b2, b3; block 3 nothing.
    const Bytes content = random_bytes(4 * block_size, 1);
    const HashTree tree = hash_tree(content);
    ProofWalker walker(tree, 0);
    EXPECT_EQ(walker.next_proof(), (Proof{tree.leaf(0), tree.leaf(1), tree.node(2, 4)}));
    EXPECT_EQ(walker.next_proof(), Proof{});
    EXPECT_EQ(walker.next_proof(), (Proof{tree.leaf(2), tree.leaf(3)}));
    EXPECT_EQ(walker.next_proof(), Proof{});
    // Random access to block 2: b2, then b3, then p01 on the left.
    EXPECT_EQ(block_proof(tree, 2), (Proof{tree.leaf(2), tree.leaf(3), tree.node(0, 2)}));
    EXPECT_TRUE(block_proof(hash_tree(random_bytes(100, 2)), 0).empty());
}

TEST(Proof, RandomAccessProofsVerify) {
    for (const Bytes& content : contents()) {
        const HashTree tree = hash_tree(content);
        for (uint64_t k = 0; k < tree.blocks(); ++k) {
            EXPECT_TRUE(verify_block(tree.root(), content.size(), k, block_proof(tree, k), block_of(content, k)).has_value());
        }
        EXPECT_EQ(verify_block(tree.root(), content.size(), tree.blocks(), {}, {}).error(), VerifyError::out_of_order);
    }
}

TEST(Proof, AnyFlippedBitOfAProofFails) {
    const Bytes content = random_bytes(9 * block_size + 17, 3);
    const HashTree tree = hash_tree(content);
    for (uint64_t k = 0; k < tree.blocks(); ++k) {
        const Proof proof = block_proof(tree, k);
        for (size_t hash = 0; hash < proof.size(); ++hash) {
            for (size_t bit = 0; bit < 256; ++bit) {
                Proof bad = proof;
                bad[hash][bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
                BlockVerifier verifier(tree.root(), content.size(), k);
                const auto proven = verifier.accept_proof(bad);
                // A changed leaf hash may pass the path check only if... it cannot: every hash
                // feeds the root computation.
                ASSERT_FALSE(proven.has_value()) << k << " " << hash << " " << bit;
                EXPECT_EQ(proven.error(), VerifyError::proof_mismatch);
                EXPECT_EQ(verifier.next_block(), k);  // unchanged
            }
        }
    }
}

TEST(Proof, AnyFlippedBitOfABlockFails) {
    const Bytes content = random_bytes(3 * block_size + 1000, 5);
    const HashTree tree = hash_tree(content);
    std::mt19937 rng(11);
    for (uint64_t k = 0; k < tree.blocks(); ++k) {
        const ByteSpan block = block_of(content, k);
        std::vector<size_t> positions = {0, 1, 1023, 1024, block.size() / 2, block.size() - 1};
        for (int i = 0; i < 40; ++i) positions.push_back(rng() % block.size());
        for (const size_t position : positions) {
            if (position >= block.size()) continue;  // the short last block
            Bytes bad(block.begin(), block.end());
            bad[position] ^= static_cast<uint8_t>(1u << (rng() % 8));
            EXPECT_EQ(verify_block(tree.root(), content.size(), k, block_proof(tree, k), bad).error(),
                      VerifyError::block_mismatch)
                << k << " " << position;
        }
        // A block cut short or extended has the wrong size.
        EXPECT_EQ(verify_block(tree.root(), content.size(), k, block_proof(tree, k), block.first(block.size() - 1)).error(),
                  VerifyError::block_wrong_size);
    }
}

TEST(Proof, WrongProofSizesAndOrderAreRejected) {
    const Bytes content = random_bytes(5 * block_size, 6);
    const HashTree tree = hash_tree(content);
    Proof proof = block_proof(tree, 0);
    BlockVerifier verifier(tree.root(), content.size(), 0);
    EXPECT_EQ(verifier.accept_block(block_of(content, 0)).error(), VerifyError::out_of_order);
    Proof longer = proof;
    longer.push_back(tree.root());
    EXPECT_EQ(verifier.accept_proof(longer).error(), VerifyError::proof_wrong_size);
    EXPECT_EQ(verifier.accept_proof(std::span(proof).first(proof.size() - 1)).error(), VerifyError::proof_wrong_size);
    ASSERT_TRUE(verifier.accept_proof(proof).has_value());
    EXPECT_EQ(verifier.accept_proof(proof).error(), VerifyError::out_of_order);
    // Block 1 in the place of block 0.
    EXPECT_EQ(verifier.accept_block(block_of(content, 1)).error(), VerifyError::block_mismatch);
    EXPECT_TRUE(verifier.accept_block(block_of(content, 0)).has_value());
}

TEST(Proof, WrongContentLengthIsRejected) {
    // The length in a stream header is not trusted: with any other length, some proof or block
    // fails (for a length in the same block count, the last block's hash differs).
    const Bytes content = random_bytes(3 * block_size + 100, 8);
    const HashTree tree = hash_tree(content);
    for (const uint64_t claimed : {uint64_t{content.size() - 1}, uint64_t{content.size() + 1}, uint64_t{3} * block_size,
                                   uint64_t{4} * block_size, uint64_t{2} * block_size + 100, uint64_t{5} * block_size}) {
        BlockVerifier verifier(tree.root(), claimed, 0);
        ProofWalker walker(tree, 0);
        bool rejected = false;
        for (uint64_t k = 0; k < std::min(tree.blocks(), block_count(claimed)) && !rejected; ++k) {
            if (!verifier.accept_proof(walker.next_proof())) {
                rejected = true;
                break;
            }
            const ByteSpan real = block_of(content, k);
            Bytes block(real.begin(), real.end());
            block.resize(block_length(claimed, k), 0);  // what a liar would have to send
            rejected = !verifier.accept_block(block);
        }
        EXPECT_TRUE(rejected) << claimed;
    }
}

}  // namespace
}  // namespace fleek::content
