#include "content/block.h"

#include "util/assert.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace fleek::content {

namespace {

std::atomic<uint64_t> g_sealed_blocks{0};

constexpr unsigned seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

// Closes the descriptor unless released; for the error paths of sealed_copy.
struct FdGuard {
    int fd;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
    int release() { return std::exchange(fd, -1); }
};

}  // namespace

Block::Block(size_t size) : m_heap(new uint8_t[size]), m_data(m_heap.get()), m_size(size) {}

Block::Block(int fd, uint8_t* mapping, size_t size) : m_data(mapping), m_size(size), m_fd(fd) {}

Block::~Block() {
    if (m_fd < 0) return;
    ::munmap(m_data, m_size);
    ::close(m_fd);
    g_sealed_blocks.fetch_sub(1, std::memory_order_relaxed);
}

uint8_t* Block::data() noexcept {
    FLEEK_ASSERT_MSG(m_fd < 0, "a sealed block is read-only");
    return m_data;
}

uint64_t Block::sealed_count() noexcept { return g_sealed_blocks.load(std::memory_order_relaxed); }

uint64_t Block::sealed_limit() noexcept {
    static const uint64_t limit = [] {
        rlimit files{};
        if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return uint64_t{256};
        return static_cast<uint64_t>(files.rlim_cur) / 4;
    }();
    return limit;
}

Result<std::unique_ptr<Block>, SealedBlockError> Block::sealed_copy(int source_fd, uint64_t offset, size_t size) {
    FLEEK_ASSERT(size > 0);
    // Reserve a place under the limit first, so racing callers cannot overshoot it.
    if (g_sealed_blocks.fetch_add(1, std::memory_order_relaxed) >= sealed_limit()) {
        g_sealed_blocks.fetch_sub(1, std::memory_order_relaxed);
        return fail(SealedBlockError::unavailable);
    }
    struct Reservation {
        bool kept = false;
        ~Reservation() {
            if (!kept) g_sealed_blocks.fetch_sub(1, std::memory_order_relaxed);
        }
    } reservation;

    FdGuard memory{::memfd_create("fleek-block", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (memory.fd < 0) return fail(SealedBlockError::unavailable);
    // The kernel copies the source's pages into the memory file: one copy, as pread would make.
    off_t position = static_cast<off_t>(offset);
    size_t copied = 0;
    while (copied < size) {
        const ssize_t moved = ::sendfile(memory.fd, source_fd, &position, size - copied);
        if (moved < 0 && errno == EINTR) continue;
        if (moved == 0) return fail(SealedBlockError::read_failed);  // the file ends before the block does
        // Anything else (no memory, a file system without splice) is left to the heap path, whose
        // pread decides whether the file is unreadable.
        if (moved < 0) return fail(SealedBlockError::unavailable);
        copied += static_cast<size_t>(moved);
    }
    if (::fcntl(memory.fd, F_ADD_SEALS, seals) != 0) return fail(SealedBlockError::unavailable);
    struct stat status{};
    if (::fstat(memory.fd, &status) != 0 || static_cast<uint64_t>(status.st_size) != size) {
        return fail(SealedBlockError::unavailable);
    }
    void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, memory.fd, 0);
    if (mapping == MAP_FAILED) return fail(SealedBlockError::unavailable);
    reservation.kept = true;
    return std::unique_ptr<Block>(new Block(memory.release(), static_cast<uint8_t*>(mapping), size));
}

}  // namespace fleek::content
