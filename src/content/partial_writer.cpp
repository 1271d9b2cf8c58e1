#include "content/partial_writer.h"

#include "content/blockstore_io.h"
#include "util/assert.h"
#include "util/encoding.h"
#include "util/file.h"
#include "util/log.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace fleek::content {

namespace fs = std::filesystem;
using namespace blockstore_io;

Result<std::shared_ptr<PartialWriter>, BlockstoreError> Blockstore::begin_fetch(const Hash32& hash, uint64_t content_length) {
    if (content_length > m_options.max_object_bytes || content_length > m_options.capacity_bytes) {
        return fail(BlockstoreError::too_large);
    }
    const fs::path temporary =
        m_root / "tmp" / fmt::format("{}-{}.data", ::getpid(), m_temp_counter.fetch_add(1, std::memory_order_relaxed));
    // The staging file is made by the first write: a fetch's first block reaches its readers
    // before any file-system call (docs/benchmarks.md, "Edge: fetch on a miss").
    return std::shared_ptr<PartialWriter>(new PartialWriter(*this, hash, content_length, temporary, -1));
}

// Creates the staging file, sparse and at its final length, so blocks can be written at their
// offsets in any order. Called with m_mutex held.
bool PartialWriter::open_staging_locked() {
    const int fd = ::open(m_temporary.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        FLEEK_LOG_ERROR("blockstore", "cannot create {}: {}", m_temporary.string(), std::strerror(errno));
        return false;
    }
    if (::ftruncate(fd, static_cast<off_t>(m_content_length)) != 0) {
        FLEEK_LOG_ERROR("blockstore", "cannot size {}: {}", m_temporary.string(), std::strerror(errno));
        ::close(fd);
        std::error_code error;
        fs::remove(m_temporary, error);
        return false;
    }
    m_fd = fd;
    return true;
}

PartialWriter::PartialWriter(Blockstore& store, const Hash32& hash, uint64_t content_length, fs::path temporary, int fd)
    : m_store(store),
      m_hash(hash),
      m_content_length(content_length),
      m_blocks(block_count(content_length)),
      m_temporary(std::move(temporary)),
      m_fd(fd),
      m_leaves(m_blocks),
      m_held(m_blocks, false) {}

PartialWriter::~PartialWriter() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_temporary.empty() && m_fd >= 0) {
        std::error_code error;
        fs::remove(m_temporary, error);
    }
}

bool PartialWriter::has_block(uint64_t k) const {
    std::lock_guard lock(m_mutex);
    return k < m_blocks && m_held[k];
}

uint64_t PartialWriter::blocks_held() const {
    std::lock_guard lock(m_mutex);
    return m_held_count;
}

uint64_t PartialWriter::first_missing(uint64_t from) const {
    std::lock_guard lock(m_mutex);
    for (uint64_t k = from; k < m_blocks; ++k) {
        if (!m_held[k]) return k;
    }
    return m_blocks;
}

bool PartialWriter::complete() const {
    std::lock_guard lock(m_mutex);
    return m_held_count == m_blocks;
}

bool PartialWriter::committed() const {
    std::lock_guard lock(m_mutex);
    return m_committed;
}

uint64_t PartialWriter::writeback_started_bytes() const {
    std::lock_guard lock(m_mutex);
    return m_writeback_started_bytes;
}

Result<void, BlockstoreError> PartialWriter::write(const VerifiedBlock& block) {
    if (block.root() != m_hash || block.content_length() != m_content_length) return fail(BlockstoreError::hash_mismatch);
    const uint64_t k = block.index();
    FLEEK_ASSERT(k < m_blocks && block.bytes().size() == block_length(m_content_length, k));
    std::lock_guard lock(m_mutex);
    if (m_held[k]) return {};
    if (m_temporary.empty()) return {};  // committed: the data file is no longer ours to change
    if (m_fd < 0 && !open_staging_locked()) return fail(BlockstoreError::io);
    if (!write_all_at(m_fd, block.bytes(), k * block_size)) {
        FLEEK_LOG_ERROR("blockstore", "cannot write {}: {}", m_temporary.string(), std::strerror(errno));
        return fail(BlockstoreError::io);
    }
    m_leaves[k] = block.leaf();
    m_held[k] = true;
    ++m_held_count;
    m_unsubmitted_bytes += block.bytes().size();
    if (m_unsubmitted_bytes >= writeback_bytes) {
        // Starts writing the file's dirty pages out, without waiting (and without any promise:
        // durability comes from the fsync in commit). A filesystem that refuses it loses nothing.
        if (::sync_file_range(m_fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0) m_writeback_started_bytes += m_unsubmitted_bytes;
        m_unsubmitted_bytes = 0;
    }
    return {};
}

Result<void, BlockstoreError> PartialWriter::commit() {
    std::lock_guard lock(m_mutex);
    FLEEK_ASSERT(m_held_count == m_blocks);
    if (m_committed) return {};
    auto installed = install_locked();
    if (installed) m_committed = true;
    return installed;
}

Result<void, BlockstoreError> PartialWriter::install_locked() {
    if (m_temporary.empty()) return fail(BlockstoreError::io);  // an earlier install lost the staging file
    // Every leaf was proven against the root by a BlockVerifier; rebuilding the parents from
    // them must give the root again (a check that costs n - 1 parent hashes).
    const HashTree tree = tree_from_leaves(m_content_length, m_leaves);
    if (tree.root() != m_hash) return fail(BlockstoreError::hash_mismatch);
    return m_store.install_file(m_fd, m_temporary, tree, "");
}

Result<BlockBuffer, BlockstoreError> PartialWriter::read_block(uint64_t k) {
    std::lock_guard lock(m_mutex);
    if (k >= m_blocks || !m_held[k]) return fail(BlockstoreError::not_found);
    const size_t size = block_length(m_content_length, k);
    auto block = std::make_shared<Block>(size);
    if (size != 0 && !read_exact_at(m_fd, block->data(), size, k * block_size)) return fail(BlockstoreError::io);
    if (block_hash(block->view(), k, m_blocks == 1) != m_leaves[k]) {
        FLEEK_LOG_ERROR("blockstore", "block {} of the fetch of {} changed on disk", k, hex_encode(m_hash));
        if (!m_committed) {
            m_held[k] = false;
            --m_held_count;
        }
        return fail(BlockstoreError::corrupt);
    }
    return BlockBuffer(std::move(block));
}

}  // namespace fleek::content
