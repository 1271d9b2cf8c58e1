#include "util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace fleek::log {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
    spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    spdlog::level::level_enum level = spdlog::level::info;
};

Registry& registry() {
    static Registry* instance = new Registry();  // never destroyed: loggers outlive static dtors
    return *instance;
}

spdlog::level::level_enum to_spdlog(Level level) noexcept {
    switch (level) {
        case Level::trace: return spdlog::level::trace;
        case Level::debug: return spdlog::level::debug;
        case Level::info: return spdlog::level::info;
        case Level::warn: return spdlog::level::warn;
        case Level::error: return spdlog::level::err;
        case Level::critical: return spdlog::level::critical;
        case Level::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

}  // namespace

Result<Level, std::string> parse_level(std::string_view name) {
    static constexpr std::pair<std::string_view, Level> names[] = {
        {"trace", Level::trace}, {"debug", Level::debug},       {"info", Level::info},
        {"warn", Level::warn},   {"error", Level::error},       {"critical", Level::critical},
        {"off", Level::off}};
    for (const auto& [candidate, level] : names) {
        if (candidate == name) return level;
    }
    return fail(std::string("unknown log level `") + std::string(name) +
                "` (expected trace, debug, info, warn, error, critical or off)");
}

std::string_view to_string(Level level) noexcept {
    switch (level) {
        case Level::trace: return "trace";
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
        case Level::critical: return "critical";
        case Level::off: return "off";
    }
    return "info";
}

void set_level(Level level) {
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    reg.level = to_spdlog(level);
    for (auto& [name, logger] : reg.loggers) logger->set_level(reg.level);
}

spdlog::logger& logger(std::string_view category) {
    Registry& reg = registry();
    std::lock_guard lock(reg.mutex);
    if (auto it = reg.loggers.find(category); it != reg.loggers.end()) return *it->second;
    auto created = std::make_shared<spdlog::logger>(std::string(category), reg.sink);
    created->set_level(reg.level);
    created->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ [%n] %v", spdlog::pattern_time_type::utc);
    auto [it, inserted] = reg.loggers.emplace(std::string(category), std::move(created));
    return *it->second;
}

}  // namespace fleek::log
