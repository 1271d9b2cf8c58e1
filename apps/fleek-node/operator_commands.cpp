#include "apps/fleek-node/operator_commands.h"

#include "apps/common/cli.h"
#include "apps/flk/amount.h"
#include "apps/flk/rpc_client.h"
#include "crypto/key_file.h"
#include "node/home.h"
#include "node/keystore.h"
#include "node/operator_transactions.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <thread>

namespace fleek::node_cli {

using Json = nlohmann::json;

struct OperatorCommands {
    std::string rpc_url;  // empty: the node's own JSON-RPC address from its config
    std::string owner_key;
    std::string amount;
    bool base_units = false;
    std::optional<std::string> domain;
    uint64_t wait_s = 0;
    bool json_output = false;

    CLI::App* register_node = nullptr;
    CLI::App* opt = nullptr;
    CLI::App* opt_in = nullptr;
    CLI::App* opt_out = nullptr;
    CLI::App* opt_status = nullptr;
};

namespace {

// http://host:port of the config's JSON-RPC listener; a wildcard host is reached on loopback.
std::string own_rpc_url(const node::Config& config) {
    std::string host = config.rpc.address.host;
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::" || host == "[::]") host = "[::1]";
    return fmt::format("http://{}:{}", host, config.rpc.address.port);
}

struct Context {
    NodeHome home;
    node::NodeKeys keys;
    std::unique_ptr<flk::RpcClient> client;  // HttpClient does not move
    uint64_t chain_id = 0;
};

Result<Context, std::string> open_context(const OperatorCommands& commands, const NodeHomeLoader& load_home) {
    auto home = load_home();
    if (!home) return fail(home.error());
    auto keys = node::load_node_keys({node::resolve_in_home(home->home, home->config.keystore.node_key_path),
                                      node::resolve_in_home(home->home, home->config.keystore.consensus_key_path)});
    if (!keys) {
        std::string message = keys.error().message;
        if (keys.error().code == crypto::KeyFileErrorCode::not_found) message += " (run `fleek-node init` first)";
        return fail(std::move(message));
    }
    const std::string url = commands.rpc_url.empty() ? own_rpc_url(home->config) : commands.rpc_url;
    Context context{std::move(*home), std::move(*keys), std::make_unique<flk::RpcClient>(url), 0};
    auto chain = context.client->call("flk_get_chain_info", nullptr);
    if (!chain) return fail(chain.error());
    if (!chain->is_object() || !chain->contains("chain_id")) return fail(fmt::format("{}: flk_get_chain_info has no chain_id", url));
    context.chain_id = chain->at("chain_id").get<uint64_t>();
    return context;
}

// The node's registry entry and the epoch of the same state; node is null when unregistered.
Result<Json, std::string> node_and_epoch(Context& context) {
    auto answer = context.client->call("flk_get_node_info_epoch", Json::array({context.keys.node.public_key().to_string()}));
    if (!answer) return fail(answer.error());
    if (!answer->is_object() || !answer->contains("node") || !answer->contains("epoch")) {
        return fail(std::string("flk_get_node_info_epoch: unexpected answer ") + answer->dump());
    }
    return *answer;
}

std::string not_registered(const Context& context) {
    return fmt::format("node {} is not registered on the network behind {} (register it with `fleek-node register "
                       "--owner-key FILE --amount FLK`)",
                       context.keys.node.public_key().to_string(), context.client->url());
}

// Sends the transaction; with --wait, polls its receipt. Prints the digest (and the outcome).
int send_and_report(const OperatorCommands& commands, Context& context, const ledger::SignedTransaction& transaction) {
    const std::string method(ledger::method_name(transaction.transaction.method));
    auto digest = context.client->call("flk_send_txn", Json::array({hex_encode(transaction.to_bytes())}));
    if (!digest) return cli::report_error(digest.error());
    const std::string digest_text = digest->is_string() ? digest->get<std::string>() : digest->dump();
    Json receipt = nullptr;
    if (commands.wait_s > 0) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(commands.wait_s);
        while (true) {
            auto answer = context.client->call("flk_get_transaction_receipt", Json::array({digest_text}));
            if (!answer) return cli::report_error(answer.error());
            if (!answer->is_null()) {
                receipt = *answer;
                break;
            }
            if (std::chrono::steady_clock::now() >= end) {
                return cli::report_error(fmt::format("sent {} (digest {}), but it has not executed after {} s", method, digest_text,
                                                     commands.wait_s));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
    }
    if (commands.json_output) {
        std::printf("%s\n", Json{{"method", method}, {"digest", digest_text}, {"nonce", transaction.transaction.nonce},
                                 {"receipt", receipt}}.dump().c_str());
    } else {
        std::printf("sent %s (nonce %llu)\ndigest: %s\n", method.c_str(),
                    static_cast<unsigned long long>(transaction.transaction.nonce), digest_text.c_str());
        if (receipt.is_object()) {
            std::printf("executed in block %llu: %s%s\n", static_cast<unsigned long long>(receipt.at("height").get<uint64_t>()),
                        receipt.at("status").get<std::string>().c_str(),
                        receipt.at("error").is_string() ? (" (" + receipt.at("error").get<std::string>() + ")").c_str() : "");
        }
    }
    if (receipt.is_object() && receipt.at("status") != "success") return cli::exit_failure;
    return cli::exit_ok;
}

int run_register(const OperatorCommands& commands, const NodeHomeLoader& load_home) {
    auto owner = crypto::load_account_key(commands.owner_key);
    if (!owner) return cli::report_error(fmt::format("--owner-key: {}", owner.error().message));
    auto amount = flk::parse_amount(commands.amount, 18, commands.base_units);
    if (!amount) return cli::report_error(fmt::format("--amount: {}", amount.error()));
    auto context = open_context(commands, load_home);
    if (!context) return cli::report_error(context.error());
    auto ports = node::advertised_ports(context->home.config);
    if (!ports) return cli::report_error(ports.error());
    auto domain = node::advertised_domain(context->home.config, commands.domain);
    if (!domain) return cli::report_error(domain.error());

    auto existing = node_and_epoch(*context);
    if (!existing) return cli::report_error(existing.error());
    if (!existing->at("node").is_null()) {
        return cli::report_error(fmt::format("node {} is already registered (index {}); add stake with `flk stake --node-key {}`",
                                             context->keys.node.public_key().to_string(),
                                             existing->at("node").at("index").get<uint64_t>(),
                                             context->keys.node.public_key().to_string()));
    }
    auto account = context->client->call("flk_get_account_info", Json::array({owner->address().to_string()}));
    if (!account) return cli::report_error(account.error());
    const U256 balance = account->is_null() ? U256(0) : u256_parse_decimal(account->at("flk").get<std::string>()).value_or(U256(0));
    if (balance < *amount) {
        return cli::report_error(fmt::format("the owner {} holds {} FLK, less than --amount {}", owner->address().to_string(),
                                             flk::format_amount(u256_to_decimal(balance), 18), commands.amount));
    }
    auto minimum = context->client->call("flk_get_staking_amount", Json::array());
    if (!minimum) return cli::report_error(minimum.error());
    if (minimum->is_string()) {
        if (auto min_stake = u256_parse_decimal(minimum->get<std::string>()); min_stake && *amount < *min_stake) {
            std::fprintf(stderr, "warning: %s FLK is below the minimum stake of %s FLK: the node cannot opt in until it has that much\n",
                         flk::format_amount(u256_to_decimal(*amount), 18).c_str(),
                         flk::format_amount(minimum->get<std::string>(), 18).c_str());
        }
    }
    // The owner's next nonce after its transactions still pending on the node (docs/rpc.md §Nonces).
    auto nonces = context->client->call("flk_get_pending_nonce", Json::array({owner->address().to_string()}));
    if (!nonces) return cli::report_error(nonces.error());
    node::RegistrationRequest request;
    request.chain_id = context->chain_id;
    request.owner_nonce = nonces->at("pending_nonce").get<uint64_t>() + 1;
    request.amount = *amount;
    request.domain = *domain;
    request.ports = *ports;
    if (!commands.json_output) {
        std::printf("registering node %s owned by %s: %s FLK, %s, pool port %u\n", context->keys.node.public_key().to_string().c_str(),
                    owner->address().to_string().c_str(), flk::format_amount(u256_to_decimal(*amount), 18).c_str(),
                    domain->c_str(), static_cast<unsigned>(ports->pool));
    }
    return send_and_report(commands, *context, node::make_registration_transaction(request, context->keys, *owner));
}

int run_opt(const OperatorCommands& commands, const NodeHomeLoader& load_home, node::ParticipationChange change) {
    auto context = open_context(commands, load_home);
    if (!context) return cli::report_error(context.error());
    auto state = node_and_epoch(*context);
    if (!state) return cli::report_error(state.error());
    const Json& info = state->at("node");
    if (info.is_null()) return cli::report_error(not_registered(*context));
    const std::string participation = info.at("participation").get<std::string>();
    if (change == node::ParticipationChange::opt_in) {
        if (participation == "active" || participation == "opted_in") {
            std::printf("node %s is already %s\n", context->keys.node.public_key().to_string().c_str(), participation.c_str());
            return cli::exit_ok;
        }
        auto minimum = context->client->call("flk_get_staking_amount", Json::array());
        if (!minimum) return cli::report_error(minimum.error());
        const auto staked = u256_parse_decimal(info.at("staked").get<std::string>());
        if (!minimum->is_string()) return cli::report_error("flk_get_staking_amount: not an amount: " + minimum->dump());
        const auto min_stake = u256_parse_decimal(minimum->get<std::string>());
        if (staked && min_stake && *staked < *min_stake) {
            return cli::report_error(fmt::format("node {} has staked {} FLK, less than the minimum stake of {} FLK (add stake with "
                                                 "`flk stake`)",
                                                 context->keys.node.public_key().to_string(),
                                                 flk::format_amount(info.at("staked").get<std::string>(), 18),
                                                 flk::format_amount(minimum->get<std::string>(), 18)));
        }
    } else if (participation == "inactive" || participation == "opted_out") {
        std::printf("node %s is already %s\n", context->keys.node.public_key().to_string().c_str(), participation.c_str());
        return cli::exit_ok;
    }
    const uint64_t nonce = info.at("nonce").get<uint64_t>() + 1;
    return send_and_report(commands, *context,
                           node::make_participation_transaction(context->chain_id, nonce, change, context->keys.node));
}

std::string_view participation_meaning(std::string_view participation) {
    if (participation == "active") return "in the active set's candidates; may be chosen for the committee";
    if (participation == "opted_in") return "opted in: a candidate from the next epoch";
    if (participation == "opted_out") return "opted out: leaves at the next epoch";
    return "not participating (opt in to become a candidate)";
}

int run_status(const OperatorCommands& commands, const NodeHomeLoader& load_home) {
    auto context = open_context(commands, load_home);
    if (!context) return cli::report_error(context.error());
    auto state = node_and_epoch(*context);
    if (!state) return cli::report_error(state.error());
    const std::string key = context->keys.node.public_key().to_string();
    const Json& info = state->at("node");
    const uint64_t epoch = state->at("epoch").get<uint64_t>();
    auto members = context->client->call("flk_get_committee_members", Json::array({epoch}));
    if (!members) return cli::report_error(members.error());
    bool in_committee = false;
    for (const auto& member : *members) in_committee = in_committee || member == key;
    auto minimum = context->client->call("flk_get_staking_amount", Json::array());
    if (!minimum) return cli::report_error(minimum.error());
    if (commands.json_output) {
        std::printf("%s\n", Json{{"public_key", key},
                                 {"registered", !info.is_null()},
                                 {"epoch", epoch},
                                 {"committee_member", in_committee},
                                 {"min_stake", *minimum},
                                 {"node", info}}.dump().c_str());
        return cli::exit_ok;
    }
    std::printf("node:          %s\nepoch:         %llu\n", key.c_str(), static_cast<unsigned long long>(epoch));
    if (info.is_null()) {
        std::printf("registered:    no (fleek-node register --owner-key FILE --amount FLK)\n");
        return cli::exit_ok;
    }
    const std::string participation = info.at("participation").get<std::string>();
    std::printf("registered:    yes, index %llu, owner %s\n", static_cast<unsigned long long>(info.at("index").get<uint64_t>()),
                info.at("owner").get<std::string>().c_str());
    std::printf("address:       %s (pool port %llu)\n", info.at("domain").get<std::string>().c_str(),
                static_cast<unsigned long long>(info.at("ports").at("pool").get<uint64_t>()));
    std::printf("staked:        %s FLK (minimum %s FLK)\n", flk::format_amount(info.at("staked").get<std::string>(), 18).c_str(),
                minimum->is_string() ? flk::format_amount(minimum->get<std::string>(), 18).c_str() : "?");
    std::printf("participation: %s (%s)\n", participation.c_str(), std::string(participation_meaning(participation)).c_str());
    std::printf("committee:     %s\n", in_committee ? "member of the current committee" : "not in the current committee");
    return cli::exit_ok;
}

}  // namespace

std::shared_ptr<OperatorCommands> add_operator_commands(CLI::App& app) {
    auto commands = std::make_shared<OperatorCommands>();
    OperatorCommands& c = *commands;
    const auto common = [&](CLI::App* sub) {
        sub->add_option("--rpc", c.rpc_url, "JSON-RPC URL of a node of the network (default: this node's, from its config)");
        sub->add_flag("--json", c.json_output, "Print JSON");
    };
    const auto waiting = [&](CLI::App* sub) {
        sub->add_option("--wait", c.wait_s, "Wait up to this many seconds for the transaction to execute (exit 1 if it reverts)");
    };

    c.register_node = app.add_subcommand("register", "Register this node: stake to its key with its keys' proofs, signed by the owner");
    c.register_node->add_option("--owner-key", c.owner_key, "Owner account key file (secp256k1 PEM) that pays the stake")->required();
    c.register_node->add_option("--amount", c.amount, "FLK to stake, e.g. 1000")->required();
    c.register_node->add_flag("--base-units", c.base_units, "--amount is in base units (10^-18 FLK)");
    c.register_node->add_option("--domain", c.domain, "Host peers reach this node at (default: the pool's listening host)");
    c.register_node->footer(
        "\nA node that is not registered yet cannot sync: pass --rpc of a running node of the network.\n"
        "Calls flk_get_chain_info, flk_get_node_info_epoch, flk_get_account_info, flk_get_staking_amount, flk_get_pending_nonce, "
        "flk_send_txn.");
    c.register_node->fallthrough();
    common(c.register_node);
    waiting(c.register_node);

    c.opt = app.add_subcommand("opt", "Opt this node in or out of the active set, or show its status");
    c.opt->require_subcommand(1);
    c.opt->fallthrough();
    c.opt_in = c.opt->add_subcommand("in", "Send OptIn signed with the node key: a committee candidate from the next epoch");
    c.opt_out = c.opt->add_subcommand("out", "Send OptOut signed with the node key: leaves the active set at the next epoch");
    c.opt_status = c.opt->add_subcommand("status", "Registration, stake, participation and committee membership of this node");
    for (CLI::App* sub : {c.opt_in, c.opt_out, c.opt_status}) {
        sub->fallthrough();
        common(sub);
    }
    waiting(c.opt_in);
    waiting(c.opt_out);
    return commands;
}

std::optional<int> run_operator_command(OperatorCommands& commands, const NodeHomeLoader& load_home) {
    if (*commands.register_node) return run_register(commands, load_home);
    if (*commands.opt_in) return run_opt(commands, load_home, node::ParticipationChange::opt_in);
    if (*commands.opt_out) return run_opt(commands, load_home, node::ParticipationChange::opt_out);
    if (*commands.opt_status) return run_status(commands, load_home);
    return std::nullopt;
}

}  // namespace fleek::node_cli
