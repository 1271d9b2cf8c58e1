#include "content/proof.h"

#include "util/assert.h"

namespace fleek::content {

namespace {

struct Step {
    uint64_t first;  // the sibling subtree [first, end)
    uint64_t end;
    bool sibling_is_left;
};

// Sibling subtrees on the path from [first, end) down to block k, top-down.
std::vector<Step> path_to(uint64_t first, uint64_t end, uint64_t k) {
    FLEEK_ASSERT(first <= k && k < end);
    std::vector<Step> steps;
    while (end - first > 1) {
        const uint64_t middle = first + left_subtree_blocks(end - first);
        if (k < middle) {
            steps.push_back({middle, end, false});
            end = middle;
        } else {
            steps.push_back({first, middle, true});
            first = middle;
        }
    }
    return steps;
}

}  // namespace

std::string_view to_string(VerifyError error) noexcept {
    switch (error) {
        case VerifyError::proof_wrong_size: return "proof has the wrong number of hashes";
        case VerifyError::proof_mismatch: return "proof does not match the trusted hash";
        case VerifyError::block_wrong_size: return "block has the wrong size";
        case VerifyError::block_mismatch: return "block does not match its hash";
        case VerifyError::out_of_order: return "proof or block out of order";
    }
    return "verification failed";
}

Proof block_proof(const HashTree& tree, uint64_t k) {
    const auto steps = path_to(0, tree.blocks(), k);
    Proof proof;
    if (steps.empty()) return proof;  // a single block is the root itself
    proof.push_back(tree.leaf(k));
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) proof.push_back(tree.node(it->first, it->end));
    return proof;
}

// ----------------------------------------------------------------------------------- ProofWalker

ProofWalker::ProofWalker(const HashTree& tree, uint64_t start_block) : m_tree(tree), m_next(start_block) {
    FLEEK_ASSERT(start_block <= tree.blocks());
    m_stack.emplace_back(0, tree.blocks());
}

Proof ProofWalker::next_proof() {
    FLEEK_ASSERT(m_next < m_tree.blocks() && !m_stack.empty());
    const auto [first, end] = m_stack.back();
    m_stack.pop_back();
    Proof proof;
    if (end - first > 1) {
        const auto steps = path_to(first, end, m_next);
        proof.push_back(m_tree.leaf(m_next));
        for (auto it = steps.rbegin(); it != steps.rend(); ++it) proof.push_back(m_tree.node(it->first, it->end));
        for (const Step& step : steps) {
            if (!step.sibling_is_left) m_stack.emplace_back(step.first, step.end);
        }
    }
    ++m_next;
    return proof;
}

// --------------------------------------------------------------------------------- BlockVerifier

BlockVerifier::BlockVerifier(const Hash32& root, uint64_t content_length, uint64_t start_block)
    : m_root(root), m_content_length(content_length), m_blocks(block_count(content_length)), m_next(start_block) {
    m_stack.push_back({0, m_blocks, root});
}

size_t BlockVerifier::expected_proof_size() const {
    if (m_stack.empty() || m_next >= m_blocks) return 0;
    const Subtree& top = m_stack.back();
    if (top.end - top.first == 1) return 0;
    return 1 + path_to(top.first, top.end, m_next).size();
}

Result<void, VerifyError> BlockVerifier::accept_proof(std::span<const Hash32> proof) {
    if (m_expect_block || m_next >= m_blocks || m_stack.empty()) return fail(VerifyError::out_of_order);
    const Subtree top = m_stack.back();
    FLEEK_ASSERT(top.first <= m_next && m_next < top.end);
    if (top.end - top.first == 1) {
        if (!proof.empty()) return fail(VerifyError::proof_wrong_size);
        m_expect_block = true;
        return {};
    }
    const auto steps = path_to(top.first, top.end, m_next);
    if (proof.size() != steps.size() + 1) return fail(VerifyError::proof_wrong_size);
    const bool top_is_root = top.first == 0 && top.end == m_blocks;
    Hash32 current = proof[0];
    for (size_t level = 0; level < steps.size(); ++level) {
        const Step& step = steps[steps.size() - 1 - level];
        const Hash32& sibling = proof[1 + level];
        const bool is_root = top_is_root && level + 1 == steps.size();
        current = step.sibling_is_left ? parent_hash(sibling, current, is_root) : parent_hash(current, sibling, is_root);
    }
    if (current != top.hash) return fail(VerifyError::proof_mismatch);

    m_stack.pop_back();
    for (size_t i = 0; i < steps.size(); ++i) {
        const Step& step = steps[i];
        const Hash32& hash = proof[steps.size() - i];  // proof is bottom-up, steps top-down
        if (step.sibling_is_left) {
            m_prefix.push_back({step.first, step.end, hash});
        } else {
            m_stack.push_back({step.first, step.end, hash});
        }
    }
    m_stack.push_back({m_next, m_next + 1, proof[0]});
    m_expect_block = true;
    return {};
}

Result<VerifiedBlock, VerifyError> BlockVerifier::accept_block(ByteSpan block) {
    if (!m_expect_block || m_stack.empty()) return fail(VerifyError::out_of_order);
    if (block.size() != block_length(m_content_length, m_next)) {
        return fail(VerifyError::block_wrong_size);
    }
    const Subtree& top = m_stack.back();
    FLEEK_ASSERT(top.first == m_next && top.end == m_next + 1);
    if (block_hash(block, m_next, m_blocks == 1) != top.hash) return fail(VerifyError::block_mismatch);
    const VerifiedBlock verified(m_root, m_content_length, m_next, top.hash, block);
    m_stack.pop_back();
    m_expect_block = false;
    ++m_next;
    return verified;
}

Hash32 subtree_hash(ByteSpan bytes, uint64_t first, uint64_t end, uint64_t content_length) {
    FLEEK_ASSERT(first < end && end <= block_count(content_length));
    if (end - first == 1) {
        return block_hash(bytes.first(block_length(content_length, first)), first, block_count(content_length) == 1);
    }
    const uint64_t middle = first + left_subtree_blocks(end - first);
    const size_t left_bytes = (middle - first) * block_size;
    const bool is_root = first == 0 && end == block_count(content_length);
    return parent_hash(subtree_hash(bytes.first(left_bytes), first, middle, content_length),
                       subtree_hash(bytes.subspan(left_bytes), middle, end, content_length), is_root);
}

Result<void, VerifyError> verify_block(const Hash32& root, uint64_t content_length, uint64_t k,
                                       std::span<const Hash32> proof, ByteSpan block) {
    if (k >= block_count(content_length)) return fail(VerifyError::out_of_order);
    BlockVerifier verifier(root, content_length, k);
    if (auto proven = verifier.accept_proof(proof); !proven) return proven;
    if (auto accepted = verifier.accept_block(block); !accepted) return fail(accepted.error());
    return {};
}

}  // namespace fleek::content
