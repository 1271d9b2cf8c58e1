#include "content/tree.h"

#include "content/blake3_internal.h"
#include "util/assert.h"

#include <cstring>

namespace fleek::content {

namespace b3 = blake3_internal;

namespace {

// Reduces `count` chunk CVs (count a power of two >= 2) in place, level by level with SIMD,
// down to two CVs, which are written to `out_pair`.
void reduce_power_of_two(uint8_t* cvs, size_t count, uint8_t out_pair[64]) {
    static thread_local uint8_t scratch[chunks_per_block / 2 * 32];
    while (count > 2) {
        b3::hash_parents(cvs, count / 2, b3::iv_words(), 0, scratch);
        std::memcpy(cvs, scratch, count / 2 * 32);
        count /= 2;
    }
    std::memcpy(out_pair, cvs, 64);
}

// The CV of `count` >= 1 chunk CVs under the BLAKE3 tree rule.
Hash32 reduce(uint8_t* cvs, size_t count, bool is_root) {
    Hash32 out{};
    if (count == 1) {
        FLEEK_ASSERT(!is_root);  // a single-chunk root is finalized by hash_chunk itself
        std::memcpy(out.data(), cvs, 32);
        return out;
    }
    uint8_t pair[64];
    if (std::has_single_bit(count)) {
        // A full block and every power-of-two run of chunks is a balanced subtree.
        reduce_power_of_two(cvs, count, pair);
        b3::hash_parent(pair, b3::iv_words(), 0, is_root, out.data());
        return out;
    }
    const size_t left_count = std::bit_floor(count - 1);
    if (left_count == 1) {
        std::memcpy(pair, cvs, 32);
    } else {
        uint8_t left_pair[64];
        reduce_power_of_two(cvs, left_count, left_pair);
        b3::hash_parent(left_pair, b3::iv_words(), 0, false, pair);
    }
    const Hash32 right = reduce(cvs + left_count * 32, count - left_count, false);
    std::memcpy(pair + 32, right.data(), 32);
    b3::hash_parent(pair, b3::iv_words(), 0, is_root, out.data());
    return out;
}

}  // namespace

Hash32 block_hash(ByteSpan block, uint64_t index, bool is_root) {
    FLEEK_ASSERT(block.size() <= block_size);
    FLEEK_ASSERT(!is_root || index == 0);
    const uint64_t counter = index * chunks_per_block;
    Hash32 out{};
    if (block.size() <= chunk_size) {
        b3::hash_chunk(block.data(), block.size(), counter, b3::iv_words(), 0, is_root, out.data());
        return out;
    }
    alignas(32) uint8_t cvs[chunks_per_block * 32];
    const size_t full = block.size() / chunk_size;
    const size_t tail = block.size() % chunk_size;
    b3::hash_full_chunks(block.data(), full, counter, b3::iv_words(), 0, cvs);
    size_t count = full;
    if (tail != 0) {
        b3::hash_chunk(block.data() + full * chunk_size, tail, counter + full, b3::iv_words(), 0, false, cvs + full * 32);
        ++count;
    }
    return reduce(cvs, count, is_root);
}

Hash32 parent_hash(const Hash32& left, const Hash32& right, bool is_root) {
    uint8_t pair[64];
    std::memcpy(pair, left.data(), 32);
    std::memcpy(pair + 32, right.data(), 32);
    Hash32 out{};
    b3::hash_parent(pair, b3::iv_words(), 0, is_root, out.data());
    return out;
}

// ------------------------------------------------------------------------------------ HashTree

HashTree::HashTree(uint64_t content_length, std::vector<Hash32> nodes)
    : m_content_length(content_length), m_nodes(std::move(nodes)) {
    FLEEK_ASSERT(m_nodes.size() == 2 * block_count(content_length) - 1);
}

namespace {
// Recomputes the node of [first, end) from the leaves and compares with the stored nodes.
bool check_subtree(const HashTree& tree, uint64_t first, uint64_t end, bool is_root) {
    if (end - first == 1) return true;
    const uint64_t middle = first + left_subtree_blocks(end - first);
    if (!check_subtree(tree, first, middle, false) || !check_subtree(tree, middle, end, false)) return false;
    return parent_hash(tree.node(first, middle), tree.node(middle, end), is_root) == tree.node(first, end);
}
}  // namespace

bool HashTree::is_consistent() const {
    if (m_nodes.empty() || m_nodes.size() != 2 * block_count(m_content_length) - 1) return false;
    return check_subtree(*this, 0, blocks(), true);
}

// --------------------------------------------------------------------------------- TreeBuilder

TreeBuilder::TreeBuilder() { m_pending.reserve(block_size); }

void TreeBuilder::add_block_hash(const Hash32& hash) {
    // The lazy merge of BLAKE3: before adding block k, merge while the stack holds more subtrees
    // than k has set bits. The merges append parents in post-order.
    while (m_stack.size() > static_cast<size_t>(std::popcount(m_blocks_done))) {
        const Hash32 right = m_stack.back();
        m_stack.pop_back();
        const Hash32 parent = parent_hash(m_stack.back(), right, false);
        m_stack.back() = parent;
        m_nodes.push_back(parent);
    }
    m_stack.push_back(hash);
    m_nodes.push_back(hash);
    ++m_blocks_done;
}

void TreeBuilder::flush_pending_block() {
    // More data follows, so the pending block is full and not the only block.
    FLEEK_ASSERT(m_pending.size() == block_size);
    add_block_hash(block_hash(m_pending, m_blocks_done, false));
    m_pending.clear();
}

void TreeBuilder::update(ByteSpan data) {
    m_length += data.size();
    while (!data.empty()) {
        if (m_pending.size() == block_size) flush_pending_block();
        if (m_pending.empty() && data.size() > block_size) {
            // Whole blocks that are certainly not the last: hash them in place, no copy.
            add_block_hash(block_hash(data.first(block_size), m_blocks_done, false));
            data = data.subspan(block_size);
            continue;
        }
        const size_t take = std::min(block_size - m_pending.size(), data.size());
        m_pending.insert(m_pending.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
        data = data.subspan(take);
    }
}

HashTree TreeBuilder::finalize() {
    if (m_blocks_done == 0) {
        const Hash32 root = block_hash(m_pending, 0, true);
        return HashTree(m_length, {root});
    }
    add_block_hash(block_hash(m_pending, m_blocks_done, false));
    while (m_stack.size() > 1) {
        const Hash32 right = m_stack.back();
        m_stack.pop_back();
        const Hash32 parent = parent_hash(m_stack.back(), right, m_stack.size() == 1);
        m_stack.back() = parent;
        m_nodes.push_back(parent);
    }
    return HashTree(m_length, std::move(m_nodes));
}

// ------------------------------------------------------------------------ tree_from_leaves

HashTree tree_from_leaves(uint64_t length, const std::vector<Hash32>& leaves) {
    FLEEK_ASSERT(leaves.size() == block_count(length));
    std::vector<Hash32> nodes;
    nodes.reserve(2 * leaves.size() - 1);
    std::vector<Hash32> stack;
    for (uint64_t k = 0; k < leaves.size(); ++k) {
        while (stack.size() > static_cast<size_t>(std::popcount(k))) {
            const Hash32 right = stack.back();
            stack.pop_back();
            stack.back() = parent_hash(stack.back(), right, false);
            nodes.push_back(stack.back());
        }
        stack.push_back(leaves[k]);
        nodes.push_back(leaves[k]);
    }
    while (stack.size() > 1) {
        const Hash32 right = stack.back();
        stack.pop_back();
        stack.back() = parent_hash(stack.back(), right, stack.size() == 1);
        nodes.push_back(stack.back());
    }
    return HashTree(length, std::move(nodes));
}

// ------------------------------------------------------------------------------- tree files

namespace {
constexpr uint8_t tree_magic[4] = {'F', 'L', 'K', 'T'};
constexpr uint8_t tree_version = 1;
}  // namespace

std::string_view to_string(TreeFileError error) noexcept {
    switch (error) {
        case TreeFileError::truncated: return "tree file is truncated";
        case TreeFileError::bad_magic: return "not a tree file";
        case TreeFileError::bad_version: return "unknown tree file version";
        case TreeFileError::wrong_size: return "tree file size does not match its content length";
        case TreeFileError::inconsistent: return "tree nodes do not match each other";
    }
    return "invalid tree file";
}

Bytes encode_tree(const HashTree& tree) {
    Bytes out;
    out.reserve(tree_file_header_size + tree.nodes().size() * 32);
    out.insert(out.end(), std::begin(tree_magic), std::end(tree_magic));
    out.push_back(tree_version);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(tree.content_length() >> (8 * i)));
    for (const Hash32& node : tree.nodes()) out.insert(out.end(), node.begin(), node.end());
    return out;
}

Result<uint64_t, TreeFileError> decode_tree_header(ByteSpan header) {
    if (header.size() < tree_file_header_size) return fail(TreeFileError::truncated);
    if (std::memcmp(header.data(), tree_magic, 4) != 0) return fail(TreeFileError::bad_magic);
    if (header[4] != tree_version) return fail(TreeFileError::bad_version);
    uint64_t length = 0;
    for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(header[5 + i]) << (8 * i);
    return length;
}

Result<HashTree, TreeFileError> decode_tree(ByteSpan bytes) {
    auto header = decode_tree_header(bytes);
    if (!header) return fail(header.error());
    const uint64_t length = *header;
    // 2^60 bytes is far beyond any disk; it also keeps the size arithmetic below from overflowing.
    if (length > (uint64_t{1} << 60)) return fail(TreeFileError::wrong_size);
    const uint64_t nodes = 2 * block_count(length) - 1;
    if ((bytes.size() - tree_file_header_size) / 32 != nodes || (bytes.size() - tree_file_header_size) % 32 != 0) {
        return fail(TreeFileError::wrong_size);
    }
    std::vector<Hash32> hashes(nodes);
    for (uint64_t i = 0; i < nodes; ++i) std::memcpy(hashes[i].data(), bytes.data() + tree_file_header_size + i * 32, 32);
    HashTree tree(length, std::move(hashes));
    if (!tree.is_consistent()) return fail(TreeFileError::inconsistent);
    return tree;
}

}  // namespace fleek::content
