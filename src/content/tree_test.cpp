#include "content/tree.h"

#include "tests/support/random_bytes.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <random>

namespace fleek::content {
namespace {

using testing::random_bytes;

std::string hex(const Hash32& hash) { return hex_encode(hash); }

TEST(Tree, LayoutFormulas) {
    EXPECT_EQ(block_count(0), 1u);
    EXPECT_EQ(block_count(1), 1u);
    EXPECT_EQ(block_count(block_size), 1u);
    EXPECT_EQ(block_count(block_size + 1), 2u);
    EXPECT_EQ(block_length(block_size + 1, 1), 1u);
    EXPECT_EQ(left_subtree_blocks(2), 1u);
    EXPECT_EQ(left_subtree_blocks(3), 2u);
    EXPECT_EQ(left_subtree_blocks(4), 2u);
    EXPECT_EQ(left_subtree_blocks(5), 4u);
    // 5 blocks: [b0, b1, p01, b2, b3, p23, p0123, b4, root]
    EXPECT_EQ(leaf_index(0), 0u);
    EXPECT_EQ(leaf_index(1), 1u);
    EXPECT_EQ(leaf_index(2), 3u);
    EXPECT_EQ(leaf_index(3), 4u);
    EXPECT_EQ(leaf_index(4), 7u);
    EXPECT_EQ(node_index(0, 4), 6u);
    EXPECT_EQ(node_index(0, 5), 8u);
    EXPECT_EQ(node_index(2, 4), 5u);
}

// content.md §2.6: 786432 zero bytes (3 blocks), cross-checked there with b3sum.
TEST(Tree, ThreeZeroBlocksVector) {
    const Bytes zeros(3 * block_size, 0);
    const HashTree tree = hash_tree(zeros);
    ASSERT_EQ(tree.nodes().size(), 5u);
    EXPECT_EQ(hex(tree.nodes()[0]), "7482b07ce363a188b6a76f109c0627cd5cfee0bd3f4ee8e784dad7900bbabdff");
    EXPECT_EQ(hex(tree.nodes()[1]), "a62c8cd0c8dcd46bdcade930f1f036cd1438b35520c047430250941d4a30af63");
    EXPECT_EQ(hex(tree.nodes()[2]), "2c22baa6762cebc56513551813422091895ee09676221fbd233071f1b27d42bc");
    EXPECT_EQ(hex(tree.nodes()[3]), "ab40504d4d0251cf20b2c7c5ae15baeb7b19d38c820839502b4347d26e3a214d");
    EXPECT_EQ(hex(tree.root()), "b0d35d5c7d5159711ade89f704e9364bb1cb1813c62778ead743a17b31b4c6e9");
    EXPECT_EQ(hex(hash_tree(Bytes(block_size, 0)).root()), "86bb2b521a10612d5a1d38204fac4fa632466d1866144d8a6a7e3afc050ce7ae");
    EXPECT_EQ(hex(hash_tree({}).root()), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

TEST(Tree, RootIsBlake3ForEveryLength) {
    const size_t lengths[] = {0,      1,      63,     64,     65,     1023,   1024,   1025,       2048,
                              2049,   4096,   16383,  16385,  65536,  131071, 262143, block_size, 262145,
                              524287, 524288, 524289, 786432, 1048576, 1048583, 5 * block_size + 777};
    for (const size_t length : lengths) {
        const Bytes data = random_bytes(length, static_cast<uint32_t>(length));
        const Hash32 expected = crypto::blake3(data);
        const HashTree tree = hash_tree(data);
        EXPECT_EQ(tree.root(), expected) << length;
        EXPECT_EQ(tree.nodes().size(), 2 * block_count(length) - 1) << length;
        EXPECT_TRUE(tree.is_consistent()) << length;
        EXPECT_EQ(hash_tree(data, 2), tree) << length;
        // The builder gives the same tree however the content is cut.
        std::mt19937 rng(static_cast<uint32_t>(length) + 1);
        TreeBuilder builder;
        size_t offset = 0;
        while (offset < data.size()) {
            const size_t step = std::min<size_t>(data.size() - offset, 1 + rng() % (3 * block_size));
            builder.update(ByteSpan(data).subspan(offset, step));
            offset += step;
        }
        EXPECT_EQ(builder.finalize(), tree) << length;
    }
}

TEST(Tree, BlockHashesDependOnPosition) {
    const Bytes zeros(block_size, 0);
    EXPECT_NE(block_hash(zeros, 0, false), block_hash(zeros, 1, false));
    EXPECT_NE(block_hash(zeros, 0, false), block_hash(zeros, 0, true));
}

TEST(Tree, ManyBlocksInParallel) {
    const Bytes data = random_bytes(33 * block_size + 5, 9);
    const HashTree tree = hash_tree(data, 2);
    EXPECT_EQ(tree.root(), crypto::blake3(data));
    EXPECT_EQ(hash_tree(data, 1), tree);
    EXPECT_EQ(hash_tree(data, 7), tree);
}

TEST(TreeFile, RoundTripAndRejection) {
    const Bytes data = random_bytes(3 * block_size + 10, 4);
    const HashTree tree = hash_tree(data);
    const Bytes encoded = encode_tree(tree);
    EXPECT_EQ(encoded.size(), 13u + 7 * 32);
    EXPECT_EQ(decode_tree(encoded).value(), tree);

    EXPECT_EQ(decode_tree(ByteSpan(encoded).first(12)).error(), TreeFileError::truncated);
    EXPECT_EQ(decode_tree(ByteSpan(encoded).first(encoded.size() - 1)).error(), TreeFileError::wrong_size);
    Bytes bad = encoded;
    bad[0] = 'X';
    EXPECT_EQ(decode_tree(bad).error(), TreeFileError::bad_magic);
    bad = encoded;
    bad[4] = 2;
    EXPECT_EQ(decode_tree(bad).error(), TreeFileError::bad_version);
    for (size_t node = 0; node < 7; ++node) {
        bad = encoded;
        bad[13 + node * 32 + 5] ^= 0x10;
        EXPECT_EQ(decode_tree(bad).error(), TreeFileError::inconsistent) << node;
    }
    bad = encoded;
    bad[5 + 3] ^= 0x01;  // 16 MiB more: another number of blocks than nodes stored
    EXPECT_EQ(decode_tree(bad).error(), TreeFileError::wrong_size);
}

}  // namespace
}  // namespace fleek::content
