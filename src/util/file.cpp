#include "util/file.h"

#include "util/assert.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/std.h>

namespace fleek {

namespace {

FileError errno_error(FileErrorCode code, const std::filesystem::path& path, std::string_view action,
                      int error_number) {
    return FileError{code, fmt::format("cannot {} {}: {}", action, path.string(), std::strerror(error_number))};
}

FileErrorCode code_for_errno(int error_number) {
    switch (error_number) {
        case ENOENT: return FileErrorCode::not_found;
        case EACCES:
        case EPERM: return FileErrorCode::permission_denied;
        case EEXIST: return FileErrorCode::already_exists;
        default: return FileErrorCode::io;
    }
}

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const noexcept { return m_fd; }
    int release() noexcept { return std::exchange(m_fd, -1); }

private:
    int m_fd;
};

template <class Buffer>
Result<void, FileError> read_into(const std::filesystem::path& path, const FileReadOptions& options,
                                  Buffer& out) {
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return fail(errno_error(code_for_errno(errno), path, "open", errno));
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) return fail(errno_error(FileErrorCode::io, path, "stat", errno));
    if (!S_ISREG(info.st_mode)) {
        return fail(FileError{FileErrorCode::not_regular_file, fmt::format("{} is not a regular file", path.string())});
    }
    if (options.require_private && (info.st_mode & 077) != 0) {
        return fail(FileError{
            FileErrorCode::permissions_too_open,
            fmt::format("{} holds a secret key but is accessible by other users (mode {:04o}); "
                        "fix it with: chmod 600 {}",
                        path.string(), info.st_mode & 07777, path.string())});
    }
    if (static_cast<uint64_t>(info.st_size) > options.max_size) {
        return fail(FileError{FileErrorCode::too_large,
                              fmt::format("{} is {} bytes, more than the {} bytes allowed", path.string(),
                                          info.st_size, options.max_size)});
    }
    // Sized by the file, not by the limit; read up to max_size + 1 so a file that grew after
    // fstat is still caught.
    const size_t read_limit = options.max_size + 1;
    std::vector<uint8_t> scratch(std::min<size_t>(static_cast<size_t>(info.st_size) + 1, read_limit));
    size_t total = 0;
    for (;;) {
        if (total == scratch.size()) {
            if (scratch.size() >= read_limit) break;
            std::vector<uint8_t> grown(std::min(read_limit, scratch.size() * 2));
            std::copy(scratch.begin(), scratch.end(), grown.begin());
            secure_wipe(scratch.data(), scratch.size());
            scratch = std::move(grown);
        }
        const ssize_t got = ::read(fd.get(), scratch.data() + total, scratch.size() - total);
        if (got < 0) {
            if (errno == EINTR) continue;
            secure_wipe(scratch.data(), scratch.size());
            return fail(errno_error(FileErrorCode::io, path, "read", errno));
        }
        if (got == 0) break;
        total += static_cast<size_t>(got);
    }
    if (total > options.max_size) {
        secure_wipe(scratch.data(), scratch.size());
        return fail(FileError{FileErrorCode::too_large,
                              fmt::format("{} is larger than the {} bytes allowed", path.string(), options.max_size)});
    }
    out.assign(ByteSpan(scratch.data(), total));
    secure_wipe(scratch.data(), scratch.size());
    return {};
}

struct BytesSink {
    Bytes bytes;
    void assign(ByteSpan view) { bytes.assign(view.begin(), view.end()); }
};

Result<void, FileError> fsync_directory(const std::filesystem::path& directory) {
    FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return fail(errno_error(code_for_errno(errno), directory, "open directory", errno));
    if (::fsync(fd.get()) != 0) return fail(errno_error(FileErrorCode::io, directory, "fsync", errno));
    return {};
}

}  // namespace

Result<Bytes, FileError> read_file(const std::filesystem::path& path, const FileReadOptions& options) {
    BytesSink sink;
    if (auto done = read_into(path, options, sink); !done) return fail(std::move(done.error()));
    return std::move(sink.bytes);
}

Result<SecretBuffer, FileError> read_secret_file(const std::filesystem::path& path, size_t max_size) {
    SecretBuffer buffer;
    const FileReadOptions options{.max_size = max_size, .require_private = true};
    if (auto done = read_into(path, options, buffer); !done) return fail(std::move(done.error()));
    return buffer;
}

Result<void, FileError> create_directories(const std::filesystem::path& path, mode_t mode) {
    if (path.empty()) return {};
    std::filesystem::path partial;
    for (const auto& part : path) {
        partial /= part;
        if (::mkdir(partial.c_str(), mode) != 0) {
            if (errno != EEXIST) return fail(errno_error(code_for_errno(errno), partial, "create directory", errno));
            struct stat info {};
            if (::stat(partial.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
                return fail(FileError{FileErrorCode::not_regular_file,
                                      fmt::format("{} exists and is not a directory", partial.string())});
            }
        }
    }
    return {};
}

Result<void, FileError> write_file_atomic(const std::filesystem::path& path, ByteSpan contents,
                                          const FileWriteOptions& options) {
    const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
    if (auto made = create_directories(directory, options.directory_mode); !made) return made;

    if (!options.overwrite) {
        struct stat info {};
        if (::lstat(path.c_str(), &info) == 0) {
            return fail(FileError{FileErrorCode::already_exists,
                                  fmt::format("{} already exists (use --force to replace it)", path.string())});
        }
    }

    // A name no other writer uses, in this process (the counter) or another (the pid): two
    // threads writing the same path at once each get their own temporary file.
    static std::atomic<uint64_t> counter{0};
    std::filesystem::path temporary;
    int opened = -1;
    for (int attempt = 0; attempt < 100 && opened < 0; ++attempt) {
        temporary = directory / fmt::format(".{}.tmp-{}-{}", path.filename().string(), ::getpid(),
                                            counter.fetch_add(1, std::memory_order_relaxed));
        opened = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, options.mode);
        // EEXIST: a leftover of a crashed process that had the same pid; take the next name.
        if (opened < 0 && errno != EEXIST) return fail(errno_error(code_for_errno(errno), temporary, "create", errno));
    }
    if (opened < 0) return fail(errno_error(FileErrorCode::io, temporary, "create", EEXIST));
    FileDescriptor fd(opened);
    // open() applies the umask; set the exact mode asked for.
    if (::fchmod(fd.get(), options.mode) != 0) {
        ::unlink(temporary.c_str());
        return fail(errno_error(FileErrorCode::io, temporary, "chmod", errno));
    }
    size_t written = 0;
    while (written < contents.size()) {
        const ssize_t put = ::write(fd.get(), contents.data() + written, contents.size() - written);
        if (put < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::unlink(temporary.c_str());
            return fail(errno_error(FileErrorCode::io, temporary, "write", saved));
        }
        written += static_cast<size_t>(put);
    }
    if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        return fail(errno_error(FileErrorCode::io, temporary, "sync", saved));
    }

    if (options.overwrite) {
        if (::rename(temporary.c_str(), path.c_str()) != 0) {
            const int saved = errno;
            ::unlink(temporary.c_str());
            return fail(errno_error(code_for_errno(saved), path, "replace", saved));
        }
    } else {
        // link() fails with EEXIST if another writer got there first: no silent overwrite.
        if (::link(temporary.c_str(), path.c_str()) != 0) {
            const int saved = errno;
            ::unlink(temporary.c_str());
            if (saved == EEXIST) {
                return fail(FileError{FileErrorCode::already_exists,
                                      fmt::format("{} already exists (use --force to replace it)", path.string())});
            }
            return fail(errno_error(code_for_errno(saved), path, "create", saved));
        }
        ::unlink(temporary.c_str());
    }
    return fsync_directory(directory);
}

}  // namespace fleek
