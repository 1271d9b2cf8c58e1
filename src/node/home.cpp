#include "node/home.h"

#include <cstdlib>

namespace fleek::node {

Result<std::filesystem::path, std::string> resolve_home(const std::optional<std::string>& flag) {
    if (flag && !flag->empty()) return std::filesystem::absolute(*flag).lexically_normal();
    if (const char* env = std::getenv("FLEEK_HOME"); env != nullptr && env[0] != '\0') {
        return std::filesystem::absolute(env).lexically_normal();
    }
    if (const char* user_home = std::getenv("HOME"); user_home != nullptr && user_home[0] != '\0') {
        return (std::filesystem::path(user_home) / ".fleek").lexically_normal();
    }
    return fail(std::string("cannot find a home directory: pass --home DIR or set FLEEK_HOME"));
}

std::filesystem::path resolve_in_home(const std::filesystem::path& home, const std::string& path) {
    const std::filesystem::path given(path);
    if (given.is_absolute()) return given;
    return (home / given).lexically_normal();
}

}  // namespace fleek::node
