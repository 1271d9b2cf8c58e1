// Logging through spdlog, with one named logger per category ("config", "keystore", "net.pool").
//
// Use the macros: a disabled level costs one branch and does not evaluate the arguments.
//   FLEEK_LOG_INFO("keystore", "generated node key {}", key.to_base58());
// Output goes to stderr, so command output on stdout stays clean for scripts.
// Anything a peer can trigger must log at debug level or be rate limited.
#pragma once

#include "util/result.h"

#include <spdlog/spdlog.h>

#include <string_view>

namespace fleek::log {

enum class Level : uint8_t { trace, debug, info, warn, error, critical, off };

Result<Level, std::string> parse_level(std::string_view name);
std::string_view to_string(Level level) noexcept;

// Sets the level of every logger, existing and future.
void set_level(Level level);

// The logger of a category, created on first use. The reference stays valid for the process.
spdlog::logger& logger(std::string_view category);

}  // namespace fleek::log

#define FLEEK_LOG_AT(level, category, ...)                                                      \
    do {                                                                                        \
        static ::spdlog::logger& fleek_log_logger_ = ::fleek::log::logger(category);            \
        if (fleek_log_logger_.should_log(level)) fleek_log_logger_.log(level, __VA_ARGS__);     \
    } while (false)

#define FLEEK_LOG_TRACE(category, ...) FLEEK_LOG_AT(::spdlog::level::trace, category, __VA_ARGS__)
#define FLEEK_LOG_DEBUG(category, ...) FLEEK_LOG_AT(::spdlog::level::debug, category, __VA_ARGS__)
#define FLEEK_LOG_INFO(category, ...) FLEEK_LOG_AT(::spdlog::level::info, category, __VA_ARGS__)
#define FLEEK_LOG_WARN(category, ...) FLEEK_LOG_AT(::spdlog::level::warn, category, __VA_ARGS__)
#define FLEEK_LOG_ERROR(category, ...) FLEEK_LOG_AT(::spdlog::level::err, category, __VA_ARGS__)
