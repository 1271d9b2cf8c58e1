// flk hash | put | get | ls (brief §8): content addressed by BLAKE3, verified block by block.
#pragma once

#include "util/result.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace fleek::flk {

struct ContentOptions {
    std::string node_url = "http://127.0.0.1:4220";
    unsigned threads = 1;
    unsigned stall_timeout_s = 30;  // a transfer that receives nothing for this long fails
    std::string token;              // the node's operator token (put), if any
    bool force = false;             // get: replace existing files
    bool unsafe_links = false;      // get: create links that point outside the output
};

// Whether anything (a link included, not followed) has this name.
bool exists_no_follow(const std::filesystem::path& path);
// Moves a finished download into place; without `force` never over an existing name.
Result<void, std::string> move_into_place(const std::filesystem::path& partial, const std::filesystem::path& output, bool force);

int command_hash(const std::vector<std::string>& paths, const ContentOptions& options);
int command_put(const std::string& path, const ContentOptions& options);
int command_get(const std::string& hash, const std::optional<std::string>& output, const ContentOptions& options);
int command_ls(const std::string& hash, const ContentOptions& options);

}  // namespace fleek::flk
