// Inclusion proofs and incremental verification of blocks (docs/formats/content-tree.md).
//
// The verifier keeps a stack of trusted subtree hashes, starting with the root over all blocks.
// The proof for block k is the hash of block k followed by the hashes of its siblings on the
// path from the trusted subtree on top of the stack down to k, bottom-up. Because the tree's
// shape follows from the content length, the verifier knows how many hashes each proof must
// have and on which side each sibling sits: proofs carry no flags. After a proof checks out, the
// siblings to the right of k become trusted subtrees on the stack, so in a sequential stream
// most proofs are empty (the next block's hash is already known) and a stream may start at any
// block.
#pragma once

#include "content/tree.h"

#include <span>
#include <vector>

namespace fleek::content {

struct Subtree {
    uint64_t first = 0;  // blocks [first, end)
    uint64_t end = 0;
    Hash32 hash{};
    friend bool operator==(const Subtree&, const Subtree&) = default;
};

using Proof = std::vector<Hash32>;

// The proof of one block against the root, for random access (`block + proof` reads).
Proof block_proof(const HashTree& tree, uint64_t k);

// Produces, for a stream of blocks start, start+1, ..., the proof the verifier needs before
// each block. Mirrors BlockVerifier's stack.
class ProofWalker {
public:
    ProofWalker(const HashTree& tree, uint64_t start_block);
    // The proof to send before block next_block(); advances to the following block.
    Proof next_proof();
    uint64_t next_block() const noexcept { return m_next; }

private:
    const HashTree& m_tree;
    std::vector<std::pair<uint64_t, uint64_t>> m_stack;
    uint64_t m_next;
};

enum class VerifyError : uint8_t {
    proof_wrong_size,  // a proof with more or fewer hashes than the tree shape needs
    proof_mismatch,    // the proof does not lead to the trusted hash
    block_wrong_size,  // block bytes of the wrong length for its index
    block_mismatch,    // block bytes whose hash is not the proven one
    out_of_order,      // a proof where a block was expected, or the reverse, or past the end
};
std::string_view to_string(VerifyError error) noexcept;

// A block that BlockVerifier accepted: `bytes` hash to `leaf`, the hash of block `index` that a
// proof tied to `root` for content of `content_length` bytes. Only BlockVerifier makes them, so
// holding one means the check happened (the blockstore's partial writer takes only these).
// `bytes` is a view of the caller's buffer: it lives as long as that buffer.
class VerifiedBlock {
public:
    const Hash32& root() const noexcept { return m_root; }
    uint64_t content_length() const noexcept { return m_content_length; }
    uint64_t index() const noexcept { return m_index; }
    const Hash32& leaf() const noexcept { return m_leaf; }
    ByteSpan bytes() const noexcept { return m_bytes; }

private:
    friend class BlockVerifier;
    VerifiedBlock(const Hash32& root, uint64_t content_length, uint64_t index, const Hash32& leaf, ByteSpan bytes) noexcept
        : m_root(root), m_content_length(content_length), m_index(index), m_leaf(leaf), m_bytes(bytes) {}
    Hash32 m_root;
    uint64_t m_content_length;
    uint64_t m_index;
    Hash32 m_leaf;
    ByteSpan m_bytes;
};

class BlockVerifier {
public:
    BlockVerifier(const Hash32& root, uint64_t content_length, uint64_t start_block);

    // Hashes the next proof must have.
    size_t expected_proof_size() const;
    // On error nothing changes, so the caller may try again with other data.
    Result<void, VerifyError> accept_proof(std::span<const Hash32> proof);
    Result<VerifiedBlock, VerifyError> accept_block(ByteSpan block);

    uint64_t next_block() const noexcept { return m_next; }
    uint64_t blocks() const noexcept { return m_blocks; }
    uint64_t content_length() const noexcept { return m_content_length; }
    const Hash32& root() const noexcept { return m_root; }
    bool complete() const noexcept { return m_next == m_blocks; }
    // Subtrees covering blocks [0, start_block), proven by the first proof (for checking local
    // data on resume). Empty before the first proof and when start_block is 0.
    const std::vector<Subtree>& verified_prefix() const noexcept { return m_prefix; }

private:
    Hash32 m_root;
    uint64_t m_content_length;
    uint64_t m_blocks;
    uint64_t m_next;
    bool m_expect_block = false;
    std::vector<Subtree> m_stack;
    std::vector<Subtree> m_prefix;
};

// Hash of the subtree of complete blocks [first, end) whose bytes are `bytes` (a resumed
// download checks its local prefix against BlockVerifier::verified_prefix with this).
Hash32 subtree_hash(ByteSpan bytes, uint64_t first, uint64_t end, uint64_t content_length);

// Verifies one block with its random-access proof.
Result<void, VerifyError> verify_block(const Hash32& root, uint64_t content_length, uint64_t k,
                                       std::span<const Hash32> proof, ByteSpan block);

}  // namespace fleek::content
