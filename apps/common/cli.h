// Shared plumbing of the fleek-node and flk command lines: exit codes, error printing, and
// running a CLI11 app without letting exceptions escape main().
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <functional>
#include <string_view>

namespace fleek::cli {

// Exit codes: 0 success, 1 the command failed (bad input, missing file, ...), 2 usage error.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

inline int report_error(std::string_view message) {
    std::fprintf(stderr, "error: %.*s\n", static_cast<int>(message.size()), message.data());
    return exit_failure;
}

// Parses argv and runs the selected command. `dispatch` returns the exit code.
inline int run(CLI::App& app, int argc, char** argv, const std::function<int()>& dispatch) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "error: %s\nRun with --help for usage.\n", error.what());
        return exit_usage;
    }
    try {
        return dispatch();
    } catch (const std::exception& error) {
        // Nothing on our data paths throws; this is the last line of defence for the CLI.
        return report_error(fmt::format("unexpected failure: {}", error.what()));
    }
}

}  // namespace fleek::cli
