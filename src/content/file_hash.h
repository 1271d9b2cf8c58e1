// The hash tree of a file on disk, memory-mapped and hashed in place (optionally by several
// threads), as `flk hash` and `flk put` compute it.
#pragma once

#include "content/tree.h"

#include <filesystem>
#include <string>

namespace fleek::content {

Result<HashTree, std::string> hash_file(const std::filesystem::path& path, unsigned threads = 1);

}  // namespace fleek::content
