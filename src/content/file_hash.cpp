#include "content/file_hash.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fleek::content {

namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const noexcept { return m_fd; }

private:
    int m_fd;
};

enum class ReadOutcome : uint8_t { ok, ended_early, failed };

// Reads exactly `size` bytes at `offset`.
ReadOutcome read_at(int fd, uint8_t* out, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
        const ssize_t got = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            return ReadOutcome::failed;
        }
        if (got == 0) return ReadOutcome::ended_early;
        done += static_cast<size_t>(got);
    }
    return ReadOutcome::ok;
}

bool same_version(const struct stat& a, const struct stat& b) {
    return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ino == b.st_ino;
}

}  // namespace

Result<HashTree, std::string> hash_file(const std::filesystem::path& path, unsigned threads) {
    return hash_file(path, HashFileOptions{.threads = threads, .progress = {}});
}

Result<HashTree, std::string> hash_file(const std::filesystem::path& path, const HashFileOptions& options) {
    const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    struct stat before {};
    if (::fstat(fd.get(), &before) != 0 || !S_ISREG(before.st_mode)) return fail(fmt::format("{} is not a regular file", path.string()));
    const uint64_t size = static_cast<uint64_t>(before.st_size);
    const uint64_t blocks = block_count(size);
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

    std::vector<Hash32> leaves(blocks);
    std::atomic<uint64_t> hashed_bytes{0};
    std::mutex error_mutex;
    std::optional<std::string> error;
    std::atomic<bool> stop{false};
    const auto record = [&](std::string message) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::move(message);
        stop = true;
    };
    // Blocks [first, end), each read into one buffer and hashed; `report` on the calling thread.
    const auto hash_range = [&](uint64_t first, uint64_t end, bool report) {
        Bytes buffer(block_size);
        for (uint64_t k = first; k < end && !stop; ++k) {
            const size_t length = block_length(size, k);
            switch (read_at(fd.get(), buffer.data(), length, k * block_size)) {
                case ReadOutcome::ok: break;
                case ReadOutcome::ended_early:
                    record(fmt::format("{} was truncated while it was being hashed (it had {} bytes)", path.string(), size));
                    return;
                case ReadOutcome::failed:
                    record(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
                    return;
            }
            leaves[k] = block_hash(ByteSpan(buffer.data(), length), k, blocks == 1);
            const uint64_t done = hashed_bytes.fetch_add(length) + length;
            if (report && options.progress) options.progress(done, size);
        }
    };
    const unsigned workers = blocks < 8 ? 1 : std::max(1u, options.threads);
    const uint64_t per_worker = (blocks + workers - 1) / workers;
    std::vector<std::thread> others;
    for (unsigned t = 1; t < workers; ++t) {
        const uint64_t first = std::min<uint64_t>(blocks, t * per_worker);
        const uint64_t end = std::min<uint64_t>(blocks, first + per_worker);
        if (first < end) others.emplace_back(hash_range, first, end, false);
    }
    hash_range(0, std::min<uint64_t>(blocks, per_worker), true);
    for (auto& worker : others) worker.join();
    if (error) return fail(std::move(*error));

    // A file that changed meanwhile (grew, was rewritten, was replaced) has no single hash.
    struct stat after {};
    if (::fstat(fd.get(), &after) != 0 || !same_version(before, after)) {
        return fail(fmt::format("{} changed while it was being hashed; try again when nothing writes to it", path.string()));
    }
    if (blocks == 1) return HashTree(size, {leaves[0]});
    return tree_from_leaves(size, leaves);
}

}  // namespace fleek::content
