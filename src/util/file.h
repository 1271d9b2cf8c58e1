// Whole-file reads with a size limit and crash-safe whole-file writes.
//
// write_file_atomic writes to a temporary file in the same directory, fsyncs it, then moves it
// into place and fsyncs the directory, so after a crash the path holds either the old contents
// or the new ones, never a torn mix. Without `overwrite` it never replaces an existing file,
// even when two writers race (the final step is link(2), which fails if the name exists).
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <filesystem>
#include <string>
#include <sys/types.h>

namespace fleek {

enum class FileErrorCode : uint8_t {
    not_found,
    permission_denied,
    not_regular_file,
    too_large,
    already_exists,
    permissions_too_open,
    io,
};

struct FileError {
    FileErrorCode code;
    std::string message;  // names the path and the reason, ready to show to a person
};

struct FileReadOptions {
    size_t max_size = 1 << 20;
    // Refuse files that the group or others can read or write (for secret keys).
    bool require_private = false;
};

Result<Bytes, FileError> read_file(const std::filesystem::path& path, const FileReadOptions& options);
Result<SecretBuffer, FileError> read_secret_file(const std::filesystem::path& path, size_t max_size);

struct FileWriteOptions {
    mode_t mode = 0644;
    bool overwrite = false;
    // Mode for parent directories created on the way (0700 for a keystore).
    mode_t directory_mode = 0755;
};

Result<void, FileError> write_file_atomic(const std::filesystem::path& path, ByteSpan contents,
                                          const FileWriteOptions& options);

// Creates the directory and its parents with `mode` where missing.
Result<void, FileError> create_directories(const std::filesystem::path& path, mode_t mode);

}  // namespace fleek
