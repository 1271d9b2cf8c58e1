#include "content/blockstore_io.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace fleek::content::blockstore_io {

int crash_point_from_environment() {
    const char* value = std::getenv("FLEEK_BLOCKSTORE_CRASH_POINT");
    if (value == nullptr) return no_crash;
    const std::string_view name(value);
    if (name == "after_data_sync") return after_data_sync;
    if (name == "after_data_rename") return after_data_rename;
    if (name == "after_tree_rename") return after_tree_rename;
    return no_crash;
}

void maybe_crash(int configured, int here) {
    if (configured == here) ::raise(SIGKILL);
}

bool fsync_path(const std::filesystem::path& path, bool directory) {
    const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

bool write_all(int fd, ByteSpan data) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t put = ::write(fd, data.data() + done, data.size() - done);
        if (put < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<size_t>(put);
    }
    return true;
}

bool write_all_at(int fd, ByteSpan data, uint64_t offset) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t put = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (put < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        done += static_cast<size_t>(put);
    }
    return true;
}

bool read_exact_at(int fd, uint8_t* out, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
        const ssize_t got = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (got == 0) return false;
        done += static_cast<size_t>(got);
    }
    return true;
}

}  // namespace fleek::content::blockstore_io
