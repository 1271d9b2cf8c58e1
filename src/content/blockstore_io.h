// File helpers of the blockstore's writers (blockstore.cpp, partial_writer.cpp); internal to
// content. Every function retries on EINTR and reports failure as false (errno tells why).
#pragma once

#include "util/bytes.h"

#include <cstdint>
#include <filesystem>

namespace fleek::content::blockstore_io {

// Fault injection for crash tests: the process kills itself with SIGKILL at this point of a
// commit, exactly as `kill -9` would (FLEEK_BLOCKSTORE_CRASH_POINT names the point).
enum CrashPoint : int { no_crash = 0, after_data_sync = 1, after_data_rename = 2, after_tree_rename = 3 };
int crash_point_from_environment();
void maybe_crash(int configured, int here);

bool fsync_path(const std::filesystem::path& path, bool directory);
bool write_all(int fd, ByteSpan data);
bool write_all_at(int fd, ByteSpan data, uint64_t offset);
bool read_exact_at(int fd, uint8_t* out, size_t size, uint64_t offset);

}  // namespace fleek::content::blockstore_io
