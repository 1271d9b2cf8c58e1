// The home directory (brief §1): --home DIR, else $FLEEK_HOME, else ~/.fleek. It holds
// config.toml, keystore/, data/ (RocksDB stores), blockstore/ and ipc/.
#pragma once

#include "util/result.h"

#include <filesystem>
#include <optional>
#include <string>

namespace fleek::node {

Result<std::filesystem::path, std::string> resolve_home(const std::optional<std::string>& flag);

// A path from the config: absolute as given, relative to the home directory otherwise.
std::filesystem::path resolve_in_home(const std::filesystem::path& home, const std::string& path);

inline std::filesystem::path config_path(const std::filesystem::path& home) { return home / "config.toml"; }

}  // namespace fleek::node
