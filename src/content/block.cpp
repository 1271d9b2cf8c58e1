#include "content/block.h"

#include "util/assert.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

Block::Block(std::shared_ptr<const void> owner, ByteSpan bytes)
    : m_owner(std::move(owner)), m_data(const_cast<uint8_t*>(bytes.data())), m_size(bytes.size()) {}

Block::Block(int fd, uint8_t* mapping, size_t size) : m_data(mapping), m_size(size), m_fd(fd) {}

Block::~Block() {
    if (m_fd < 0) return;
    ::munmap(m_data, m_size);
    ::close(m_fd);
    g_sealed_blocks.fetch_sub(1, std::memory_order_relaxed);
}

uint8_t* Block::data() noexcept {
    FLEEK_ASSERT_MSG(m_fd < 0, "a sealed block is read-only");
    FLEEK_ASSERT_MSG(m_owner == nullptr, "a view is read-only");
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

std::unique_ptr<Block> Block::sealed_copy(ByteSpan bytes) {
    FLEEK_ASSERT(!bytes.empty());
    // Reserve a place under the limit first, so racing callers cannot overshoot it.
    if (g_sealed_blocks.fetch_add(1, std::memory_order_relaxed) >= sealed_limit()) {
        g_sealed_blocks.fetch_sub(1, std::memory_order_relaxed);
        return nullptr;
    }
    struct Reservation {
        bool kept = false;
        ~Reservation() {
            if (!kept) g_sealed_blocks.fetch_sub(1, std::memory_order_relaxed);
        }
    } reservation;

    FdGuard memory{::memfd_create("fleek-block", MFD_CLOEXEC | MFD_ALLOW_SEALING)};
    if (memory.fd < 0) return nullptr;
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t put = ::write(memory.fd, bytes.data() + written, bytes.size() - written);
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) return nullptr;
        written += static_cast<size_t>(put);
    }
    if (::fcntl(memory.fd, F_ADD_SEALS, seals) != 0) return nullptr;
    struct stat status{};
    if (::fstat(memory.fd, &status) != 0 || static_cast<uint64_t>(status.st_size) != bytes.size()) return nullptr;
    void* mapping = ::mmap(nullptr, bytes.size(), PROT_READ, MAP_SHARED | MAP_POPULATE, memory.fd, 0);
    if (mapping == MAP_FAILED) return nullptr;
    // Sealed now: what the mapping shows is what sendfile will send, for good. It must be the
    // verified bytes (nothing else may have written the file before the seal).
    if (std::memcmp(mapping, bytes.data(), bytes.size()) != 0) {
        ::munmap(mapping, bytes.size());
        return nullptr;
    }
    reservation.kept = true;
    return std::unique_ptr<Block>(new Block(memory.release(), static_cast<uint8_t*>(mapping), bytes.size()));
}

}  // namespace fleek::content
