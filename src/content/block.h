// The verified bytes of one block (content/README.md, "Blocks in memory"), shared by the block
// cache and every response sending them. Three forms:
//  - on the heap: filled by its maker, then only read;
//  - a view into a buffer an owner keeps alive (e.g. the transport frame a fetched block arrived
//    in, so the block reaches readers without a copy);
//  - in a sealed memory file (memfd with F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL):
//    its bytes cannot change for as long as anyone holds the file, so a server may hand the file
//    to sendfile(2), which sends the pages without copying them into the socket, and what leaves
//    is exactly what was verified. Pages still queued in a socket when the block is dropped stay
//    whole: closing the memfd only takes them out of the file.
#pragma once

#include "util/bytes.h"

#include <cstdint>
#include <memory>

namespace fleek::content {

class Block {
public:
    explicit Block(size_t size);  // on the heap, not zero-filled
    // A view of `bytes`, which `owner` keeps alive and unchanged for as long as the block lives.
    Block(std::shared_ptr<const void> owner, ByteSpan bytes);
    ~Block();
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;

    // A copy of `bytes` (not empty) in a sealed memory file, mapped read-only; checked equal to
    // `bytes` after sealing, so a block made from verified bytes holds verified bytes. Null when
    // there is no memfd, seal or mapping to be had (past sealed_limit, descriptors, memory).
    static std::unique_ptr<Block> sealed_copy(ByteSpan bytes);

    const uint8_t* data() const noexcept { return m_data; }
    // Writable only while the block is on the heap (FLEEK_ASSERT), by its maker before sharing it.
    // Not for a view or a sealed block.
    uint8_t* data() noexcept;
    size_t size() const noexcept { return m_size; }
    ByteSpan view() const noexcept { return {m_data, m_size}; }
    // The sealed memory file holding the bytes at offset 0, or -1 for a heap block.
    int sealed_fd() const noexcept { return m_fd; }

    // Sealed blocks alive in this process (each holds one file descriptor and one mapping).
    static uint64_t sealed_count() noexcept;
    // At most this many sealed blocks exist at once (a quarter of RLIMIT_NOFILE's soft limit, so
    // the cache never takes descriptors from connections); past it sealed_copy gives null.
    static uint64_t sealed_limit() noexcept;

private:
    Block(int fd, uint8_t* mapping, size_t size);
    std::unique_ptr<uint8_t[]> m_heap;
    std::shared_ptr<const void> m_owner;  // of a view
    uint8_t* m_data = nullptr;
    size_t m_size = 0;
    int m_fd = -1;
};
using BlockBuffer = std::shared_ptr<const Block>;

}  // namespace fleek::content
