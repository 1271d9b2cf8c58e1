// Where a symbolic link of a stored directory tree leads once written to disk, worked out before
// anything is written: the target is resolved inside the tree the way the kernel resolves a path
// (each link met on the way is followed, ".." climbs), so a link that leaves the tree through
// other links ("b" -> ".", "sub/a" -> "../b/..") is caught as well as "/etc/passwd" or "../..".
// `flk get` refuses to create links that do not stay inside what it writes.
#pragma once

#include "content/directory.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::content {

enum class LinkTarget : uint8_t {
    inside,    // resolves to a path inside the tree (existing or not)
    absolute,  // the link, or a link it goes through, names an absolute path
    escapes,   // ".." climbs above the root of the tree
    loop,      // links lead to each other more than 40 times (the kernel's ELOOP)
};
std::string_view to_string(LinkTarget target) noexcept;

// The entry `name` of the directory at `directory` (path components from the root), or null
// when the tree has no such entry or no such directory.
using EntryLookup = std::function<const DirectoryEntry*(const std::vector<std::string>& directory, std::string_view name)>;

// Resolves `target`, the target of a link in `directory`.
LinkTarget resolve_link(const EntryLookup& lookup, const std::vector<std::string>& directory, std::string_view target);

}  // namespace fleek::content
