// flk balance [--client-key KEY] | account | transfer | stake | stake-lock | unstake | withdraw-unstaked |
// approve-client-key | tx: the ledger over a node's JSON-RPC API (docs/rpc.md). Transactions are
// signed locally with an account key file (--key FILE) and sent with flk_send_txn; the nonce
// (flk_get_pending_nonce: after the account's transactions still pending on the node) and chain
// id come from the node; by default the command waits for the receipt (--no-wait,
// --wait-timeout). Each command's --help lists the JSON-RPC methods it calls, from the method
// registry (rpc::Registry::help_text).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

namespace fleek::flk {

struct LedgerCommands;

// Declares the commands on `app`; the returned state must outlive parsing and running.
std::shared_ptr<LedgerCommands> add_ledger_commands(CLI::App& app);
// The node's JSON-RPC URL (--rpc), for other commands that call the API.
const std::string& rpc_url(const LedgerCommands& commands);
// Runs the command that was selected, if it is one of these.
std::optional<int> run_ledger_command(LedgerCommands& commands);

}  // namespace fleek::flk
