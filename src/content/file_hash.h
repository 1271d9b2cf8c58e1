// The hash tree of a file on disk, as `flk hash` and `flk put` compute it: read with pread
// (optionally by several threads, each its own range of blocks), never memory-mapped, so a file
// that another process truncates meanwhile gives an error instead of SIGBUS.
#pragma once

#include "content/tree.h"

#include <filesystem>
#include <functional>
#include <string>

namespace fleek::content {

struct HashFileOptions {
    unsigned threads = 1;
    // Called on the calling thread after each of its blocks with (bytes hashed by all threads,
    // file size); for progress displays.
    std::function<void(uint64_t done, uint64_t total)> progress;
};

// Fails, naming the file, when it cannot be read, is not a regular file, or changes size or
// modification time while it is hashed (the hash would describe no version of it).
Result<HashTree, std::string> hash_file(const std::filesystem::path& path, const HashFileOptions& options);
Result<HashTree, std::string> hash_file(const std::filesystem::path& path, unsigned threads = 1);

}  // namespace fleek::content
