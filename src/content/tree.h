// The BLAKE3 block tree (docs/formats/content-tree.md).
//
// Content is split into blocks of 256 KiB (256 BLAKE3 chunks). A block's hash is the BLAKE3
// chaining value of that block's subtree at its chunk offset, so the tree over the blocks is
// the BLAKE3 tree itself with its lowest eight levels collapsed, and the root is the standard
// BLAKE3 hash of the whole content (equal to b3sum). Content of n blocks has a tree of 2n - 1
// nodes stored in post-order ("stack order"): leaf k is at index 2k - popcount(k), the root last.
// Empty content is one empty block whose hash is BLAKE3("").
#pragma once

#include "crypto/hash.h"
#include "util/bytes.h"
#include "util/result.h"

#include <bit>
#include <cstdint>
#include <vector>

namespace fleek::content {

using crypto::Hash32;

inline constexpr size_t chunk_size = 1024;
inline constexpr size_t chunks_per_block = 256;
inline constexpr size_t block_size = chunk_size * chunks_per_block;  // 256 KiB

// Number of blocks of content of `length` bytes (at least 1).
constexpr uint64_t block_count(uint64_t length) noexcept {
    return length == 0 ? 1 : (length + block_size - 1) / block_size;
}
// Bytes in block k of content of `length` bytes.
constexpr size_t block_length(uint64_t length, uint64_t k) noexcept {
    const uint64_t start = k * block_size;
    if (start >= length) return 0;
    return static_cast<size_t>(length - start < block_size ? length - start : block_size);
}
// The bytes of block k of `content` (empty past the end).
inline ByteSpan block_of(ByteSpan content, uint64_t k) noexcept {
    const size_t length = block_length(content.size(), k);
    return length == 0 ? ByteSpan() : content.subspan(static_cast<size_t>(k * block_size), length);
}
// Size of the left subtree of a subtree of `blocks` >= 2 blocks: the largest power of two
// strictly below it (the BLAKE3 tree rule).
constexpr uint64_t left_subtree_blocks(uint64_t blocks) noexcept { return std::bit_floor(blocks - 1); }
// Post-order index of the node covering blocks [first, end) of the tree.
constexpr uint64_t node_index(uint64_t first, uint64_t end) noexcept {
    return 2 * first - static_cast<uint64_t>(std::popcount(first)) + 2 * (end - first) - 2;
}
constexpr uint64_t leaf_index(uint64_t k) noexcept { return node_index(k, k + 1); }

// Hash of block `index` (its bytes in `block`, at most 256 KiB); `is_root` only for content of
// a single block, whose block hash is then the content hash.
Hash32 block_hash(ByteSpan block, uint64_t index, bool is_root);
// The parent node of two subtree hashes.
Hash32 parent_hash(const Hash32& left, const Hash32& right, bool is_root);

class HashTree {
public:
    HashTree() = default;
    HashTree(uint64_t content_length, std::vector<Hash32> nodes);

    uint64_t content_length() const noexcept { return m_content_length; }
    uint64_t blocks() const noexcept { return (m_nodes.size() + 1) / 2; }
    const Hash32& root() const noexcept { return m_nodes.back(); }
    const Hash32& leaf(uint64_t k) const { return m_nodes.at(leaf_index(k)); }
    const Hash32& node(uint64_t first, uint64_t end) const { return m_nodes.at(node_index(first, end)); }
    const std::vector<Hash32>& nodes() const noexcept { return m_nodes; }

    // Recomputes every parent from the leaves: true when the tree is internally consistent.
    bool is_consistent() const;

    friend bool operator==(const HashTree&, const HashTree&) = default;

private:
    uint64_t m_content_length = 0;
    std::vector<Hash32> m_nodes;
};

// Builds the tree of content fed in pieces of any size.
class TreeBuilder {
public:
    TreeBuilder();
    void update(ByteSpan data);
    uint64_t length() const noexcept { return m_length; }
    HashTree finalize();

private:
    void add_block_hash(const Hash32& hash);
    void flush_pending_block();

    Bytes m_pending;  // the newest block, kept until we know whether it is the last one
    uint64_t m_blocks_done = 0;
    uint64_t m_length = 0;
    std::vector<Hash32> m_stack;
    std::vector<Hash32> m_nodes;
};

// The tree of content of `length` bytes from its block hashes (one per block, the only one of a
// single-block content being its root): n - 1 parent hashes, no content is read. A caller whose
// leaves were not each checked against the root compares the result's root with the expected hash.
HashTree tree_from_leaves(uint64_t length, const std::vector<Hash32>& leaves);

// The tree of content held in memory. With threads > 1, blocks are hashed in parallel.
HashTree hash_tree(ByteSpan content, unsigned threads = 1);
inline Hash32 content_hash(ByteSpan content) { return hash_tree(content).root(); }

// --- tree files ---------------------------------------------------------------------------
// "FLKT" | version u8 = 1 | content length u64 LE | (2n-1) nodes of 32 bytes.
enum class TreeFileError : uint8_t { truncated, bad_magic, bad_version, wrong_size, inconsistent };
std::string_view to_string(TreeFileError error) noexcept;
inline constexpr size_t tree_file_header_size = 4 + 1 + 8;
Bytes encode_tree(const HashTree& tree);
// The content length a tree file's header records (magic and version checked, nodes not read).
Result<uint64_t, TreeFileError> decode_tree_header(ByteSpan header);
// Decodes and checks that every parent matches its children.
Result<HashTree, TreeFileError> decode_tree(ByteSpan bytes);

}  // namespace fleek::content
