#include "edge/handshake_content.h"

#include "content/proof.h"
#include "content/stream.h"

namespace fleek::edge::handshake {

namespace {

// Header first, then each block of [first, end) behind its proof. Every block comes from the
// blockstore's read_block, which checks it against the tree before returning it.
class BlockstoreStream final : public ContentStream {
public:
    BlockstoreStream(content::Blockstore& store, const Hash32& hash, std::shared_ptr<const content::HashTree> tree,
                     uint64_t first_block, uint64_t end_block)
        : m_store(store), m_hash(hash), m_tree(std::move(tree)), m_walker(*m_tree, first_block), m_first(first_block),
          m_end(end_block), m_next(first_block) {}

    bool done() const override { return m_header_sent && m_next >= m_end; }

    Result<StreamSegment, ContentError> next() override {
        if (!m_header_sent) {
            m_header_sent = true;
            const auto header = content::encode_stream_header({m_hash, m_tree->content_length(), m_first, m_end});
            return StreamSegment{Bytes(header.begin(), header.end()), nullptr};
        }
        FLEEK_ASSERT(m_next < m_end);
        auto block = m_store.read_block(m_hash, m_next);
        if (!block) return fail(block.error() == content::BlockstoreError::not_found ? ContentError::not_found : ContentError::unavailable);
        ++m_next;
        return StreamSegment{content::encode_proof(m_walker.next_proof()), std::move(*block)};
    }

private:
    content::Blockstore& m_store;
    Hash32 m_hash;
    std::shared_ptr<const content::HashTree> m_tree;
    content::ProofWalker m_walker;
    uint64_t m_first;
    uint64_t m_end;
    uint64_t m_next;
    bool m_header_sent = false;
};

}  // namespace

Result<std::unique_ptr<ContentStream>, ContentError> BlockstoreContentSource::open(const Hash32& hash,
                                                                                  const std::optional<BlockRange>& range) {
    auto tree = m_store.tree(hash);
    if (!tree) return fail(tree.error() == content::BlockstoreError::not_found ? ContentError::not_found : ContentError::unavailable);
    const uint64_t blocks = (*tree)->blocks();
    const uint64_t first = range ? range->first_block : 0;
    const uint64_t end = range ? range->end_block : blocks;
    if (first > end || end > blocks) return fail(ContentError::bad_range);
    return std::unique_ptr<ContentStream>(std::make_unique<BlockstoreStream>(m_store, hash, std::move(*tree), first, end));
}

}  // namespace fleek::edge::handshake
