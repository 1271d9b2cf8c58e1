// A local development network (brief §8, `fleek-node devnet --nodes N --dir D`): N node homes,
// each with its keys and a config on 127.0.0.1 with distinct ports, and one genesis in which all
// N nodes are staked and (up to `committee`) genesis committee members, plus a funded account
// whose key file `flk` can sign with.
//
// Ports of node i: base_port + 100·i + {0 pool, 20 gateway HTTP, 21 gateway TCP, 30 JSON-RPC,
// 50 pinger}. Layout: D/genesis.toml, D/node-<i>/ (a node home), D/accounts/devnet.pem.
#pragma once

#include "ledger/genesis.h"
#include "util/result.h"

#include <filesystem>
#include <string>
#include <vector>

namespace fleek::node {

struct DevnetOptions {
    size_t nodes = 4;
    size_t committee = 0;  // 0: every node
    std::filesystem::path dir;
    uint16_t base_port = 14000;
    uint64_t chain_id = 1337;
    uint64_t epoch_time_ms = 600'000;
    uint64_t epoch_start_ms = 0;  // genesis epoch start (the caller passes the current time)
    uint64_t beacon_phase_ms = 0; // length of each beacon phase (commit, reveal); 0: the protocol default
    // Extra nodes written with homes but not in the genesis (they join later by staking).
    size_t spare_nodes = 0;
    bool force = false;  // replace an existing devnet directory
};

struct DevnetNode {
    std::filesystem::path home;
    uint16_t pool_port = 0;
    uint16_t gateway_port = 0;
    uint16_t rpc_port = 0;
    bool in_genesis = true;
};

struct Devnet {
    std::filesystem::path genesis_path;
    std::filesystem::path account_key_path;  // secp256k1 key of the funded devnet account
    std::vector<DevnetNode> nodes;           // genesis nodes first, then spare nodes
};

Result<Devnet, std::string> write_devnet(const DevnetOptions& options);

}  // namespace fleek::node
