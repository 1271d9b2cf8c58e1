// Runs a program to completion and captures its exit code and output, for end-to-end tests of
// the command-line binaries.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace fleek::testing {

struct ProcessResult {
    int exit_code = -1;  // -signal if killed by a signal
    std::string out;
    std::string err;
};

inline std::string read_fd(int fd) {
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::read(fd, buffer, sizeof(buffer));
        if (got <= 0) break;
        text.append(buffer, static_cast<size_t>(got));
    }
    return text;
}

// Runs argv[0] (a path) with extra environment variables ("<unset>" removes one), a working
// directory and a text on stdin.
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env_overrides = {},
                                 const std::string& working_directory = "", const std::string& stdin_text = "") {
    char out_template[] = "/tmp/fleek-out-XXXXXX";
    char err_template[] = "/tmp/fleek-err-XXXXXX";
    const int out_fd = ::mkstemp(out_template);
    const int err_fd = ::mkstemp(err_template);
    ::unlink(out_template);
    ::unlink(err_template);

    std::vector<std::string> env_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string item(*entry);
        const std::string name = item.substr(0, item.find('='));
        if (env_overrides.count(name) == 0) env_strings.push_back(item);
    }
    for (const auto& [name, value] : env_overrides) {
        if (value != "<unset>") env_strings.push_back(name + "=" + value);
    }
    std::vector<char*> env_pointers;
    for (auto& item : env_strings) env_pointers.push_back(item.data());
    env_pointers.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> arg_pointers;
    for (auto& arg : args) arg_pointers.push_back(arg.data());
    arg_pointers.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    char in_template[] = "/tmp/fleek-in-XXXXXX";
    const int in_fd = ::mkstemp(in_template);
    ::unlink(in_template);
    if (::write(in_fd, stdin_text.data(), stdin_text.size()) != static_cast<ssize_t>(stdin_text.size())) {
        ADD_FAILURE() << "cannot write stdin";
    }
    ::lseek(in_fd, 0, SEEK_SET);
    posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    if (!working_directory.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_directory.c_str());
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, arg_pointers.data(), env_pointers.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_fd);
    ProcessResult result;
    if (spawned != 0) {
        ADD_FAILURE() << "cannot start " << args[0];
        return result;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    ::lseek(out_fd, 0, SEEK_SET);
    ::lseek(err_fd, 0, SEEK_SET);
    result.out = read_fd(out_fd);
    result.err = read_fd(err_fd);
    ::close(out_fd);
    ::close(err_fd);
    return result;
}


}  // namespace fleek::testing
