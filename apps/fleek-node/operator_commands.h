// fleek-node register | opt in | opt out | opt status: the operator's transactions about its own
// node, over a node's JSON-RPC API (docs/rpc.md). `register` stakes to this node's key with a
// NodeRegistration (src/node/operator_transactions.h) signed by the owner's account key file;
// `opt in|out` send OptIn / OptOut signed with the node key from the keystore; `opt status`
// prints the node's registration, stake, participation and committee membership.
#pragma once

#include "node/config.h"
#include "util/result.h"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace fleek::node_cli {

struct OperatorCommands;

// The node home and configuration the commands act for (resolved from --home / --config).
struct NodeHome {
    std::filesystem::path home;
    node::Config config;
};
using NodeHomeLoader = std::function<Result<NodeHome, std::string>()>;

// Declares the commands on `app`; the returned state must outlive parsing and running.
std::shared_ptr<OperatorCommands> add_operator_commands(CLI::App& app);
// Runs the command that was selected, if it is one of these.
std::optional<int> run_operator_command(OperatorCommands& commands, const NodeHomeLoader& load_home);

}  // namespace fleek::node_cli
