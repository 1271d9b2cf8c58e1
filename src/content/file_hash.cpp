#include "content/file_hash.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fleek::content {

Result<HashTree, std::string> hash_file(const std::filesystem::path& path, unsigned threads) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return fail(fmt::format("{} is not a regular file", path.string()));
    }
    const size_t size = static_cast<size_t>(info.st_size);
    if (size == 0) {
        ::close(fd);
        return hash_tree({});
    }
    void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (mapped == MAP_FAILED) {
        // Files that cannot be mapped (some network file systems) are read instead.
        TreeBuilder builder;
        const int again = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (again < 0) return fail(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
        Bytes buffer(8 << 20);
        for (;;) {
            const ssize_t got = ::read(again, buffer.data(), buffer.size());
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                const int error = errno;
                ::close(again);
                return fail(fmt::format("cannot read {}: {}", path.string(), std::strerror(error)));
            }
            if (got == 0) break;
            builder.update(ByteSpan(buffer.data(), static_cast<size_t>(got)));
        }
        ::close(again);
        return builder.finalize();
    }
    ::madvise(mapped, size, MADV_SEQUENTIAL);
    HashTree tree = hash_tree(ByteSpan(static_cast<const uint8_t*>(mapped), size), threads);
    ::munmap(mapped, size);
    return tree;
}

}  // namespace fleek::content
