// Runs a program to completion and captures its exit code and output, for end-to-end tests of
// the command-line binaries.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <optional>
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


// A process running while the test goes on (a node). Output goes to files that the test can
// poll. The destructor kills it (SIGKILL) if it is still running.
class BackgroundProcess {
public:
    // With `keep_output_prefix`, stdout and stderr go to `<prefix>.out` and `<prefix>.err`,
    // which outlive the process object (a test keeps them when it fails).
    BackgroundProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env_overrides = {},
                      const std::string& keep_output_prefix = "") {
        if (keep_output_prefix.empty()) {
            char out_template[] = "/tmp/fleek-bg-out-XXXXXX";
            char err_template[] = "/tmp/fleek-bg-err-XXXXXX";
            m_out_fd = ::mkstemp(out_template);
            m_err_fd = ::mkstemp(err_template);
            m_out_path = out_template;
            m_err_path = err_template;
        } else {
            m_keep_output = true;
            m_out_path = keep_output_prefix + ".out";
            m_err_path = keep_output_prefix + ".err";
            m_out_fd = ::open(m_out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            m_err_fd = ::open(m_err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        }
        if (m_out_fd < 0 || m_err_fd < 0) ADD_FAILURE() << "cannot create output files " << m_out_path;
        std::vector<std::string> env_strings;
        for (char** entry = environ; *entry != nullptr; ++entry) {
            const std::string item(*entry);
            if (env_overrides.count(item.substr(0, item.find('='))) == 0) env_strings.push_back(item);
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
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, m_out_fd, 1);
        posix_spawn_file_actions_adddup2(&actions, m_err_fd, 2);
        if (::posix_spawn(&m_pid, args[0].c_str(), &actions, nullptr, arg_pointers.data(), env_pointers.data()) != 0) {
            m_pid = -1;
            ADD_FAILURE() << "cannot start " << args[0];
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;
    ~BackgroundProcess() {
        if (running()) {
            ::kill(m_pid, SIGKILL);
            wait();
        }
        ::close(m_out_fd);
        ::close(m_err_fd);
        if (!m_keep_output) {
            ::unlink(m_out_path.c_str());
            ::unlink(m_err_path.c_str());
        }
    }

    bool running() const { return m_pid > 0 && !m_exit_code; }

    // Waits until stdout holds `needle`; returns all of stdout, or nullopt on timeout or exit.
    std::optional<std::string> wait_for_output(std::string_view needle, int timeout_ms = 20000) {
        for (int waited = 0; waited < timeout_ms; waited += 20) {
            const std::string text = stdout_text();
            if (text.find(needle) != std::string::npos) return text;
            if (poll_exit()) return std::nullopt;
            ::usleep(20 * 1000);
        }
        return std::nullopt;
    }

    // Waits up to `timeout_ms` for the exit; its code (or -signal), or nullopt while it runs.
    std::optional<int> wait_for_exit(int timeout_ms) {
        for (int waited = 0; waited <= timeout_ms; waited += 20) {
            if (poll_exit()) return m_exit_code;
            ::usleep(20 * 1000);
        }
        return std::nullopt;
    }

    void send(int signal_number) {
        if (running()) ::kill(m_pid, signal_number);
    }
    // Waits for the exit; returns the exit code, or -signal.
    int wait() {
        if (m_exit_code) return *m_exit_code;
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return *m_exit_code;
    }
    std::string stdout_text() const { return slurp(m_out_path); }
    std::string stderr_text() const { return slurp(m_err_path); }

private:
    bool poll_exit() {
        if (m_exit_code) return true;
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            return true;
        }
        return false;
    }
    static std::string slurp(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0) return {};
        std::string text = read_fd(fd);
        ::close(fd);
        return text;
    }

    pid_t m_pid = -1;
    int m_out_fd = -1;
    int m_err_fd = -1;
    std::string m_out_path;
    std::string m_err_path;
    std::optional<int> m_exit_code;
    bool m_keep_output = false;
};

}  // namespace fleek::testing
