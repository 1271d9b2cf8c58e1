// A fleek-node process serving a scratch home for end-to-end tests of the content engine, and
// the helpers those tests share (random content, flk runs).
#pragma once

#include "crypto/hash.h"
#include "node/config.h"
#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/random_bytes.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace fleek::testing {


inline void write_bytes(const std::filesystem::path& path, ByteSpan bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::string hex(ByteSpan bytes) { return hex_encode(crypto::blake3(bytes)); }

inline ProcessResult flk(std::vector<std::string> args, const std::string& cwd = "") {
    args.insert(args.begin(), FLK_BINARY);
    return run_process(args, {}, cwd);
}


// A fleek-node serving a scratch home on a free loopback port.
class RunningNode {
public:
    explicit RunningNode(const std::filesystem::path& home, bool upload_enabled = true, std::map<std::string, std::string> env = {})
        : RunningNode(home, [upload_enabled](node::Config& config) { config.gateway.upload_enabled = upload_enabled; }, std::move(env)) {}
    // `configure` changes the `init --dev` configuration before the first start.
    template <class F>
        requires std::invocable<F&, node::Config&>
    RunningNode(const std::filesystem::path& home, F configure, std::map<std::string, std::string> env = {}) : m_home(home) {
        if (!std::filesystem::exists(home / "config.toml")) {
            const auto init = run_process({FLEEK_NODE_BINARY, "init", "--dev", "--home", home.string()});
            EXPECT_EQ(init.exit_code, 0) << init.err;
            auto config = node::load_config_file(home / "config.toml").value();
            config.gateway.http_address.port = 0;
            configure(config);
            write_text(home / "config.toml", node::render_config(config));
        }
        start(std::move(env));
    }
    // The operator token the node created in its home (gateway.token_path).
    std::string token() const {
        const std::string text = read_text(m_home / "keystore/gateway-tokens");
        std::string last;
        size_t start = 0;
        while (start < text.size()) {
            const size_t end = text.find('\n', start);
            const std::string line = text.substr(start, end - start);
            if (!line.empty() && line[0] != '#') last = line;
            start = end == std::string::npos ? text.size() : end + 1;
        }
        return last;
    }

    void start(std::map<std::string, std::string> env = {}) {
        m_process = std::make_unique<BackgroundProcess>(
            std::vector<std::string>{FLEEK_NODE_BINARY, "run", "--home", m_home.string()}, env);
        const auto out = m_process->wait_for_output("gateway: http://127.0.0.1:");
        ASSERT_TRUE(out.has_value()) << "node did not start: " << m_process->stderr_text();
        const size_t at = out->find("gateway: http://127.0.0.1:") + std::string("gateway: http://127.0.0.1:").size();
        m_port = static_cast<uint16_t>(std::stoi(out->substr(at)));
    }

    void kill9() {
        m_process->send(SIGKILL);
        EXPECT_EQ(m_process->wait(), -SIGKILL);
    }
    int stop() {
        m_process->send(SIGTERM);
        return m_process->wait();
    }
    uint16_t port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    BackgroundProcess& process() { return *m_process; }
    std::filesystem::path store() const { return m_home / "blockstore"; }
    std::filesystem::path data_file(const std::string& hash_hex) const {
        return store() / "objects" / hash_hex.substr(0, 2) / (hash_hex + ".data");
    }

private:
    std::filesystem::path m_home;
    std::unique_ptr<BackgroundProcess> m_process;
    uint16_t m_port = 0;
};

}  // namespace fleek::testing
