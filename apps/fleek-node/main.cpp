// fleek-node: the operator's binary (brief §8). Commands available so far:
//   run                                       start the node (gateway on the handshake HTTP port)
//   init [--dev] [--genesis FILE] [--force]   write config.toml and generate missing keys
//   keys generate [--force] | keys show       manage the node and consensus keys
//   print-config [--default]                  print the effective configuration
//   devnet --nodes N --dir D [--committee C] [--base-port P] [--epoch-ms T] [--beacon-phase-ms B]
//          [--spare S] [--force]              write a local network: N node homes and one genesis
//   register --owner-key FILE --amount FLK [--domain HOST] [--rpc URL] [--wait S]
//                                             stake to this node's key, registering it (operator_commands.h)
//   opt in|out|status [--rpc URL]             the node's participation (OptIn / OptOut, signed by the node key)
// Global: --home DIR (else $FLEEK_HOME, else ~/.fleek), --config FILE.
#include "apps/common/cli.h"
#include "apps/fleek-node/operator_commands.h"
#include "node/config.h"
#include "node/devnet.h"
#include "node/home.h"
#include "node/keystore.h"
#include "node/node.h"
#include "util/file.h"
#include "util/log.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <pthread.h>
#include <optional>
#include <string>

namespace fleek {
namespace {

struct GlobalOptions {
    std::optional<std::string> home;
    std::optional<std::string> config;
};

struct Paths {
    std::filesystem::path home;
    std::filesystem::path config;
};

Result<Paths, std::string> resolve_paths(const GlobalOptions& options) {
    auto home = node::resolve_home(options.home);
    if (!home) return fail(home.error());
    std::filesystem::path config = options.config ? std::filesystem::absolute(*options.config) : node::config_path(*home);
    return Paths{*home, config};
}

// The configuration in effect: the file if it exists, defaults otherwise. A file that exists but
// does not load is an error, never silently replaced by defaults.
Result<node::Config, std::string> effective_config(const Paths& paths, bool must_exist) {
    std::error_code ignored;
    if (!std::filesystem::exists(paths.config, ignored)) {
        if (must_exist) {
            return fail(fmt::format("no configuration at {} (run `fleek-node init` first, or use --default)",
                                    paths.config.string()));
        }
        return node::Config::defaults();
    }
    auto config = node::load_config_file(paths.config);
    if (!config) return fail(config.error().message);
    return std::move(*config);
}

node::KeystorePaths keystore_paths(const Paths& paths, const node::Config& config) {
    return {node::resolve_in_home(paths.home, config.keystore.node_key_path),
            node::resolve_in_home(paths.home, config.keystore.consensus_key_path)};
}

void print_keys(const node::NodeKeys& keys) {
    std::printf("node key:      %s\n", keys.node.public_key().to_string().c_str());
    std::printf("consensus key: %s\n", keys.consensus.public_key().to_base58().c_str());
}

struct InitOptions {
    bool dev = false;
    bool force = false;
    std::optional<std::string> genesis;
};

int command_init(const GlobalOptions& global, const InitOptions& options) {
    auto paths = resolve_paths(global);
    if (!paths) return cli::report_error(paths.error());

    node::Config config = options.dev ? node::Config::dev_defaults() : node::Config::defaults();
    if (options.genesis) {
        const std::filesystem::path genesis = std::filesystem::absolute(*options.genesis).lexically_normal();
        auto readable = read_file(genesis, {.max_size = 64 << 20});
        if (!readable) return cli::report_error(fmt::format("--genesis: {}", readable.error().message));
        config.ledger.genesis_path = genesis.string();
    }
    if (auto valid = config.validate(); !valid) return cli::report_error(valid.error());

    if (auto made = create_directories(paths->home, 0755); !made) return cli::report_error(made.error().message);
    const std::string text = node::render_config(config);
    auto written = write_file_atomic(paths->config, as_bytes(text), {.mode = 0644, .overwrite = options.force});
    if (!written) return cli::report_error(written.error().message);

    auto keys = node::ensure_node_keys(keystore_paths(*paths, config));
    if (!keys) return cli::report_error(keys.error().message);
    for (const char* directory : {"data", "blockstore", "ipc"}) {
        if (auto made = create_directories(paths->home / directory, 0700); !made) {
            return cli::report_error(made.error().message);
        }
    }

    std::printf("initialized %s node home %s\n", options.dev ? "development" : "a", paths->home.string().c_str());
    std::printf("config:        %s\n", paths->config.string().c_str());
    std::printf("node key:      %s (%s)\n", keys->keys.node.public_key().to_string().c_str(),
                keys->node_key_generated ? "generated" : "existing key kept");
    std::printf("consensus key: %s (%s)\n", keys->keys.consensus.public_key().to_base58().c_str(),
                keys->consensus_key_generated ? "generated" : "existing key kept");
    return cli::exit_ok;
}

int command_keys_generate(const GlobalOptions& global, bool force) {
    auto paths = resolve_paths(global);
    if (!paths) return cli::report_error(paths.error());
    auto config = effective_config(*paths, false);
    if (!config) return cli::report_error(config.error());
    auto keys = node::generate_node_keys(keystore_paths(*paths, *config), force);
    if (!keys) return cli::report_error(keys.error().message);
    print_keys(*keys);
    return cli::exit_ok;
}

int command_keys_show(const GlobalOptions& global) {
    auto paths = resolve_paths(global);
    if (!paths) return cli::report_error(paths.error());
    auto config = effective_config(*paths, false);
    if (!config) return cli::report_error(config.error());
    auto keys = node::load_node_keys(keystore_paths(*paths, *config));
    if (!keys) {
        std::string message = keys.error().message;
        if (keys.error().code == crypto::KeyFileErrorCode::not_found) {
            message += " (run `fleek-node keys generate` or `fleek-node init`)";
        }
        return cli::report_error(message);
    }
    print_keys(*keys);
    return cli::exit_ok;
}

int command_run(const GlobalOptions& global) {
    auto paths = resolve_paths(global);
    if (!paths) return cli::report_error(paths.error());
    auto config = effective_config(*paths, true);
    if (!config) return cli::report_error(config.error());
    log::set_level(log::parse_level(config->log.level).value());

    // Block the shutdown signals before any thread starts, so every thread inherits the mask and
    // only sigwait below receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto node = node::Node::start(paths->home, *config, std::string("fleek-node ") + FLEEK_VERSION);
    if (!node) return cli::report_error(node.error());
    std::printf("fleek-node running, node key %s\ngateway: http://%s:%u\n",
                (*node)->keys().node.public_key().to_string().c_str(), config->gateway.http_address.host.c_str(),
                static_cast<unsigned>((*node)->gateway_port()));
    if ((*node)->runtime() != nullptr) {
        std::printf("rpc: http://%s:%u\npool: %s:%u\n", config->rpc.address.host.c_str(), static_cast<unsigned>((*node)->rpc_port()),
                    config->pool.address.host.c_str(), static_cast<unsigned>((*node)->runtime()->pool_port()));
    }
    std::fflush(stdout);

    // Serve until a shutdown signal, or until the runtime fails: a node whose runtime stopped
    // serves nothing useful, so the process exits non-zero for its supervisor to restart it.
    const timespec poll{0, 200'000'000};
    for (;;) {
        const int received = sigtimedwait(&signals, nullptr, &poll);
        if (received == SIGINT || received == SIGTERM) {
            FLEEK_LOG_INFO("node", "received {}, shutting down", received == SIGINT ? "SIGINT" : "SIGTERM");
            (*node)->stop();
            return cli::exit_ok;
        }
        if ((*node)->runtime() == nullptr) continue;
        if (auto failure = (*node)->runtime()->failure()) {
            (*node)->stop();
            return cli::report_error("the node's runtime failed: " + *failure + " (restart the node)");
        }
    }
}

struct DevnetCommand {
    size_t nodes = 4;
    size_t committee = 0;
    std::string dir;
    uint16_t base_port = 14000;
    uint64_t epoch_ms = 600'000;
    uint64_t beacon_phase_ms = 0;
    size_t spare = 0;
    bool force = false;
};

int command_devnet(const DevnetCommand& command) {
    node::DevnetOptions options;
    options.nodes = command.nodes;
    options.committee = command.committee;
    options.dir = command.dir;
    options.base_port = command.base_port;
    options.epoch_time_ms = command.epoch_ms;
    options.beacon_phase_ms = command.beacon_phase_ms;
    options.spare_nodes = command.spare;
    options.force = command.force;
    options.epoch_start_ms = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    auto devnet = node::write_devnet(options);
    if (!devnet) return cli::report_error(devnet.error());
    std::printf("devnet of %zu node(s) in %s\ngenesis:     %s\naccount key: %s (funded, for flk --key)\n", command.nodes,
                std::filesystem::absolute(command.dir).string().c_str(), devnet->genesis_path.string().c_str(),
                devnet->account_key_path.string().c_str());
    for (size_t i = 0; i < devnet->nodes.size(); ++i) {
        const auto& n = devnet->nodes[i];
        std::printf("node-%zu%s: home %s  pool 127.0.0.1:%u  gateway http://127.0.0.1:%u  rpc http://127.0.0.1:%u\n", i,
                    n.in_genesis ? "" : " (spare, not in genesis)", n.home.string().c_str(), static_cast<unsigned>(n.pool_port),
                    static_cast<unsigned>(n.gateway_port), static_cast<unsigned>(n.rpc_port));
    }
    std::printf("start each with: fleek-node run --home <home>\n");
    return cli::exit_ok;
}

int command_print_config(const GlobalOptions& global, bool defaults) {
    if (defaults) {
        std::fputs(node::render_config(node::Config::defaults()).c_str(), stdout);
        return cli::exit_ok;
    }
    auto paths = resolve_paths(global);
    if (!paths) return cli::report_error(paths.error());
    auto config = effective_config(*paths, true);
    if (!config) return cli::report_error(config.error());
    std::fputs(node::render_config(*config).c_str(), stdout);
    return cli::exit_ok;
}

}  // namespace
}  // namespace fleek

int main(int argc, char** argv) {
    using namespace fleek;
    CLI::App app{"fleek-node: run and manage a Fleek Network node"};
    app.name("fleek-node");
    app.set_version_flag("--version", std::string("fleek-node ") + FLEEK_VERSION);
    app.require_subcommand(1);
    app.fallthrough();

    GlobalOptions global;
    app.add_option("--home", global.home, "Home directory (default: $FLEEK_HOME, else ~/.fleek)");
    app.add_option("--config", global.config, "Configuration file (default: <home>/config.toml)");

    CLI::App* run = app.add_subcommand("run", "Start the node and serve until SIGINT or SIGTERM");

    InitOptions init_options;
    CLI::App* init = app.add_subcommand("init", "Write config.toml and generate the node and consensus keys");
    init->add_flag("--dev", init_options.dev, "Development defaults: loopback addresses, debug logs");
    init->add_option("--genesis", init_options.genesis, "Genesis file of the network to join");
    init->add_flag("--force", init_options.force, "Replace an existing config.toml (existing keys are kept)");

    CLI::App* keys = app.add_subcommand("keys", "Manage the node key (Ed25519) and consensus key (BLS12-381)");
    keys->require_subcommand(1);
    keys->fallthrough();
    bool keys_force = false;
    CLI::App* keys_generate = keys->add_subcommand("generate", "Generate both keys (mode 0600 files in the keystore)");
    keys_generate->add_flag("--force", keys_force, "Replace existing keys: the node gets a new identity");
    CLI::App* keys_show = keys->add_subcommand("show", "Print both public keys in base58");

    bool print_defaults = false;
    CLI::App* print_config = app.add_subcommand("print-config", "Print the effective configuration as TOML");
    print_config->add_flag("--default", print_defaults, "Print the built-in defaults instead");

    DevnetCommand devnet_command;
    CLI::App* devnet = app.add_subcommand("devnet", "Write a local network: N node homes on 127.0.0.1 and one genesis");
    devnet->add_option("--nodes", devnet_command.nodes, "Nodes in the genesis, all staked")->check(CLI::Range(1, 100));
    devnet->add_option("--dir", devnet_command.dir, "Directory to write the devnet to")->required();
    devnet->add_option("--committee", devnet_command.committee, "Committee size (default: every node)");
    devnet->add_option("--base-port", devnet_command.base_port, "Ports of node i: base + 100*i + {0 pool, 20 gateway, 30 rpc}");
    devnet->add_option("--epoch-ms", devnet_command.epoch_ms, "Epoch length in milliseconds");
    devnet->add_option("--beacon-phase-ms", devnet_command.beacon_phase_ms,
                       "Length of each beacon phase (commit, reveal) of an epoch change (default: the protocol's)");
    devnet->add_option("--spare", devnet_command.spare, "Extra node homes outside the genesis (to join by staking)");
    devnet->add_flag("--force", devnet_command.force, "Replace an existing devnet in --dir");

    auto operator_commands = node_cli::add_operator_commands(app);
    const node_cli::NodeHomeLoader load_home = [&]() -> Result<node_cli::NodeHome, std::string> {
        auto paths = resolve_paths(global);
        if (!paths) return fail(paths.error());
        auto config = effective_config(*paths, true);
        if (!config) return fail(config.error());
        return node_cli::NodeHome{paths->home, std::move(*config)};
    };

    return cli::run(app, argc, argv, [&]() -> int {
        if (*devnet) return command_devnet(devnet_command);
        if (*run) return command_run(global);
        if (*init) return command_init(global, init_options);
        if (*keys_generate) return command_keys_generate(global, keys_force);
        if (*keys_show) return command_keys_show(global);
        if (*print_config) return command_print_config(global, print_defaults);
        if (auto code = node_cli::run_operator_command(*operator_commands, load_home)) return *code;
        return cli::report_error("no command given (see --help)");
    });
}
