// Directories (docs/formats/content-tree.md, "Directories").
//
// A directory is a sorted list of uniquely named entries, each a file (its content hash), a
// subdirectory (its directory hash) or a symbolic link (its target). Its hash is a BLAKE3 tree
// over per-entry leaves:
//   transcript(i) = flags u8 | name | 0x00 | (hash 32 B  or  target | 0x00) | i as u16 LE
//                   flags: bit0 = the only entry, bit1 = symlink, bit2 = directory
//   leaf(i)       = BLAKE3 keyed hash with key K = BLAKE3("DIRECTORY") of transcript(i)
//   hash          = the leaves combined by the BLAKE3 tree rule with keyed parent nodes, the top
//                   one finalized as root; one entry: its leaf; no entries: keyed hash of "".
// This is the b3fs directory hash of Lightning for directories of files and symlinks; bit2 is
// ours, so that the kind of every entry is covered by the hash.
#pragma once

#include "content/tree.h"

#include <string>
#include <string_view>
#include <vector>

namespace fleek::content {

enum class EntryKind : uint8_t { file = 0, directory = 1, symlink = 2 };
inline constexpr uint8_t entry_kind_count = 3;
inline constexpr size_t directory_entries_max = 65535;
inline constexpr size_t entry_name_size_max = 255;
inline constexpr size_t symlink_target_size_max = 4096;

struct DirectoryEntry {
    std::string name;
    EntryKind kind = EntryKind::file;
    Hash32 hash{};       // file and directory entries
    std::string target;  // symlink entries
    friend bool operator==(const DirectoryEntry&, const DirectoryEntry&) = default;
};

enum class DirectoryError : uint8_t {
    invalid_name,      // empty, ".", "..", over 255 bytes, with '/' or NUL, or not UTF-8
    invalid_target,    // empty, over 4096 bytes or with NUL
    duplicate_name,
    too_many_entries,
    malformed,         // bytes that are not a directory encoding
};
std::string_view to_string(DirectoryError error) noexcept;

class Directory {
public:
    Directory() = default;
    // Validates the entries and sorts them by name.
    static Result<Directory, DirectoryError> make(std::vector<DirectoryEntry> entries);

    const std::vector<DirectoryEntry>& entries() const noexcept { return m_entries; }
    const DirectoryEntry* find(std::string_view name) const;
    Hash32 hash() const;

    // "FLKD" | version u8 = 1 | count u32 | entries: kind u8, name (u32 length + bytes), then a
    // 32-byte hash (file, directory) or a target (u32 length + bytes). Canonical: entries sorted.
    Bytes encode() const;
    static Result<Directory, DirectoryError> decode(ByteSpan bytes);

    friend bool operator==(const Directory&, const Directory&) = default;

private:
    std::vector<DirectoryEntry> m_entries;
};

bool is_valid_entry_name(std::string_view name);

}  // namespace fleek::content
