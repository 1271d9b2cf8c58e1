#include "node/devnet.h"

#include "crypto/key_file.h"
#include "node/config.h"
#include "node/keystore.h"
#include "util/file.h"

#include <fmt/format.h>

namespace fleek::node {

namespace {

uint16_t port_of(const DevnetOptions& options, size_t node, uint16_t offset) {
    return static_cast<uint16_t>(options.base_port + 100 * node + offset);
}

}  // namespace

Result<Devnet, std::string> write_devnet(const DevnetOptions& options) {
    const size_t total = options.nodes + options.spare_nodes;
    if (options.nodes == 0) return fail(std::string("a devnet needs at least one node"));
    if (options.committee > options.nodes) return fail(fmt::format("a committee of {} needs at least as many nodes", options.committee));
    if (static_cast<uint64_t>(options.base_port) + 100 * total > 65'000) {
        return fail(fmt::format("{} nodes from port {} do not fit below 65000 (each takes 100 ports)", total, options.base_port));
    }
    std::error_code error;
    if (std::filesystem::exists(options.dir / "genesis.toml", error)) {
        if (!options.force) return fail(fmt::format("{} already holds a devnet (use --force to replace it)", options.dir.string()));
        std::filesystem::remove_all(options.dir, error);
        if (error) return fail(fmt::format("cannot remove {}: {}", options.dir.string(), error.message()));
    }
    std::filesystem::create_directories(options.dir / "accounts", error);
    if (error) return fail(fmt::format("cannot create {}: {}", options.dir.string(), error.message()));
    const std::filesystem::path dir = std::filesystem::absolute(options.dir);

    Devnet devnet;
    devnet.genesis_path = dir / "genesis.toml";
    devnet.account_key_path = dir / "accounts" / "devnet.pem";

    ledger::Genesis genesis;
    genesis.chain_id = options.chain_id;
    genesis.epoch_start_ms = options.epoch_start_ms;
    genesis.params.epoch_time_ms = options.epoch_time_ms;
    genesis.params.committee_size = static_cast<uint32_t>(options.committee == 0 ? options.nodes : options.committee);
    genesis.params.min_num_measurements = 1;
    if (options.beacon_phase_ms != 0) {
        genesis.params.beacon_commit_phase_ms = options.beacon_phase_ms;
        genesis.params.beacon_reveal_phase_ms = options.beacon_phase_ms;
    }
    const auto governance = crypto::AccountSecretKey::generate();
    const auto fund = crypto::AccountSecretKey::generate();
    genesis.governance = governance.address().bytes();
    genesis.protocol_fund = fund.address().bytes();
    if (auto saved = crypto::save_account_key(dir / "accounts" / "governance.pem", governance, false); !saved) {
        return fail(saved.error().message);
    }

    // The funded account flk signs with.
    const auto account = crypto::AccountSecretKey::generate();
    if (auto saved = crypto::save_account_key(devnet.account_key_path, account, false); !saved) return fail(saved.error().message);
    ledger::GenesisAccount funded;
    funded.address = account.address().bytes();
    funded.flk = U256(1'000'000) * ledger::flk_unit();
    funded.stables = U256(1'000'000'000);
    funded.bandwidth = 1'000'000;
    genesis.accounts.push_back(funded);

    for (size_t i = 0; i < total; ++i) {
        DevnetNode node;
        node.home = dir / fmt::format("node-{}", i);
        node.pool_port = port_of(options, i, 0);
        node.gateway_port = port_of(options, i, 20);
        node.rpc_port = port_of(options, i, 30);
        node.in_genesis = i < options.nodes;

        Config config = Config::dev_defaults();
        config.log.level = "info";
        config.ledger.genesis_path = devnet.genesis_path.string();
        config.pool.address.port = node.pool_port;
        config.gateway.http_address.port = node.gateway_port;
        config.gateway.tcp_address.port = port_of(options, i, 21);
        config.rpc.address.port = node.rpc_port;
        config.pinger.address.port = port_of(options, i, 50);
        std::filesystem::create_directories(node.home / "keystore", error);
        if (error) return fail(fmt::format("cannot create {}: {}", node.home.string(), error.message()));
        if (auto written = write_file_atomic(node.home / "config.toml", as_bytes(std::string_view(render_config(config))), FileWriteOptions{}); !written) {
            return fail(fmt::format("cannot write {}", (node.home / "config.toml").string()));
        }
        auto keys = generate_node_keys({node.home / config.keystore.node_key_path, node.home / config.keystore.consensus_key_path}, false);
        if (!keys) return fail(keys.error().message);
        const auto owner = crypto::AccountSecretKey::generate();
        if (auto saved = crypto::save_account_key(node.home / "owner.pem", owner, false); !saved) return fail(saved.error().message);

        if (node.in_genesis) {
            ledger::GenesisNode entry;
            entry.owner = owner.address().bytes();
            entry.node_key = keys->node.public_key().bytes();
            entry.consensus_key = keys->consensus.public_key().bytes();
            entry.consensus_pop = keys->consensus.prove_possession().bytes();
            entry.domain = "127.0.0.1";
            entry.ports.pool = node.pool_port;
            entry.ports.pool_quic = port_of(options, i, 1);
            entry.ports.handshake_http = node.gateway_port;
            entry.ports.handshake_tcp = port_of(options, i, 21);
            entry.ports.rpc = node.rpc_port;
            entry.ports.dht = port_of(options, i, 40);
            entry.ports.pinger = port_of(options, i, 50);
            entry.stake = genesis.params.min_stake;
            entry.genesis_committee = i < genesis.params.committee_size;
            genesis.nodes.push_back(entry);
        } else {
            // A spare node's owner gets FLK to stake with.
            ledger::GenesisAccount spare;
            spare.address = owner.address().bytes();
            spare.flk = U256(10'000) * ledger::flk_unit();
            genesis.accounts.push_back(spare);
        }
        devnet.nodes.push_back(std::move(node));
    }
    genesis.services.push_back(ledger::GenesisService{0, genesis.governance, ledger::CommodityType::bandwidth, 100});
    if (auto valid = ledger::validate_genesis(genesis); !valid) return fail(fmt::format("devnet genesis: {}", valid.error().message));
    if (auto written = write_file_atomic(devnet.genesis_path, as_bytes(std::string_view(ledger::render_genesis(genesis))), FileWriteOptions{}); !written) {
        return fail(fmt::format("cannot write {}", devnet.genesis_path.string()));
    }
    return devnet;
}

}  // namespace fleek::node
