// The verified bytes of one block (content/README.md, "Blocks in memory"), shared by the block
// cache and every response sending them. Two forms:
//  - on the heap: filled by its maker, then only read;
//  - in a sealed memory file (memfd with F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL):
//    its bytes cannot change for as long as anyone holds the file, so a server may hand the file
//    to sendfile(2), which sends the pages without copying them into the socket, and what leaves
//    is exactly what was verified. Pages still queued in a socket when the block is dropped stay
//    whole: closing the memfd only takes them out of the file.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <cstdint>
#include <memory>

namespace fleek::content {

enum class SealedBlockError : uint8_t {
    read_failed,  // the source file ends before offset + size
    unavailable,  // no memfd, mapping or seal (descriptor limit, memory): use a heap block
};

class Block {
public:
    explicit Block(size_t size);  // on the heap, not zero-filled
    ~Block();
    Block(const Block&) = delete;
    Block& operator=(const Block&) = delete;

    // Bytes [offset, offset + size) of the file `source_fd` copied in the kernel into a sealed
    // memory file and mapped read-only. size > 0. Not verified: the caller hashes view().
    static Result<std::unique_ptr<Block>, SealedBlockError> sealed_copy(int source_fd, uint64_t offset, size_t size);

    const uint8_t* data() const noexcept { return m_data; }
    // Writable only while the block is on the heap (FLEEK_ASSERT), by its maker before sharing it.
    uint8_t* data() noexcept;
    size_t size() const noexcept { return m_size; }
    ByteSpan view() const noexcept { return {m_data, m_size}; }
    // The sealed memory file holding the bytes at offset 0, or -1 for a heap block.
    int sealed_fd() const noexcept { return m_fd; }

    // Sealed blocks alive in this process (each holds one file descriptor and one mapping).
    static uint64_t sealed_count() noexcept;
    // At most this many sealed blocks exist at once (a quarter of RLIMIT_NOFILE's soft limit, so
    // the cache never takes descriptors from connections); past it sealed_copy is unavailable.
    static uint64_t sealed_limit() noexcept;

private:
    Block(int fd, uint8_t* mapping, size_t size);
    std::unique_ptr<uint8_t[]> m_heap;
    uint8_t* m_data = nullptr;
    size_t m_size = 0;
    int m_fd = -1;
};
using BlockBuffer = std::shared_ptr<const Block>;

}  // namespace fleek::content
