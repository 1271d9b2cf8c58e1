// A file fetched block by block, in any order, from any number of sources
// (Blockstore::begin_fetch; docs/formats/blockstore.md, "Fetches").
//
// It takes only blocks that a BlockVerifier accepted against the object's hash and content
// length (VerifiedBlock), writes each at its offset in a staging file under tmp/ (pwrite) and
// records its verified leaf hash. The staging file is created by the first write (begin_fetch
// only checks the limits), so a fetch's first block reaches its readers before any file-system
// call. Nothing is visible in the store until commit(), which needs
// every block: it builds the tree file from the recorded leaves (n - 1 parent hashes, no content
// is read or rehashed), checks that its root is the object's hash, then installs the data and the
// tree exactly like Blockstore::Writer (fsync, rename data, rename tree, fsync the directory), so
// a crash leaves the object complete or absent. Dropped without commit, the staging file is
// deleted; a restart empties tmp/ as well.
//
// Writeback: every writeback_bytes written, the kernel is asked to start writing the file's dirty
// pages out (sync_file_range WRITE, which neither waits nor makes anything durable), so the disk
// works while blocks still arrive and the fsync at commit has little left to wait for. Only that
// fsync (before the renames) makes the object durable; the crash rules above are unchanged.
//
// Blocks already held are kept when a source fails, so another source can supply the rest
// (resume within the process). read_block() reads a held block back, checked against its leaf.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include "content/blockstore.h"
#include "content/proof.h"

#include <filesystem>
#include <mutex>
#include <vector>

namespace fleek::content {

class PartialWriter {
public:
    ~PartialWriter();
    PartialWriter(const PartialWriter&) = delete;
    PartialWriter& operator=(const PartialWriter&) = delete;

    const Hash32& hash() const noexcept { return m_hash; }
    uint64_t content_length() const noexcept { return m_content_length; }
    uint64_t blocks() const noexcept { return m_blocks; }

    bool has_block(uint64_t k) const;
    uint64_t blocks_held() const;
    // The first block at or after `from` that is not held (blocks() when there is none).
    uint64_t first_missing(uint64_t from = 0) const;
    bool complete() const;
    bool committed() const;
    // Bytes whose writeback was started before commit (see "Writeback" above).
    uint64_t writeback_started_bytes() const;

    static constexpr uint64_t writeback_bytes = uint64_t{8} << 20;

    // Writes a verified block at its offset. hash_mismatch when it was verified for other content
    // or another content length; io when the disk fails. A block already held is not rewritten.
    Result<void, BlockstoreError> write(const VerifiedBlock& block);

    // Installs the object; only when complete() (a bug otherwise). A second commit, or a commit
    // of content the store already holds, succeeds without writing.
    Result<void, BlockstoreError> commit();

    // A held block, read back and checked against its verified leaf (corrupt when it no longer
    // matches; the block is then no longer held). Works before and after commit.
    Result<BlockBuffer, BlockstoreError> read_block(uint64_t k);

private:
    friend class Blockstore;
    PartialWriter(Blockstore& store, const Hash32& hash, uint64_t content_length, std::filesystem::path temporary, int fd);
    Result<void, BlockstoreError> install_locked();
    bool open_staging_locked();

    Blockstore& m_store;
    const Hash32 m_hash;
    const uint64_t m_content_length;
    const uint64_t m_blocks;

    mutable std::mutex m_mutex;
    std::filesystem::path m_temporary;  // empty once the data file was renamed into objects/
    int m_fd;                           // -1 until the first write; kept open after commit for read_block
    std::vector<Hash32> m_leaves;       // verified leaf of each held block
    std::vector<bool> m_held;
    uint64_t m_held_count = 0;
    bool m_committed = false;
    uint64_t m_unsubmitted_bytes = 0;  // written since the last writeback start
    uint64_t m_writeback_started_bytes = 0;
};

}  // namespace fleek::content
