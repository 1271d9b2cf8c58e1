#include "apps/flk/ledger_commands.h"

#include "apps/common/cli.h"
#include "apps/flk/amount.h"
#include "apps/flk/rpc_client.h"
#include "crypto/key_file.h"
#include "ledger/transaction.h"
#include "rpc/registry.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace fleek::flk {

using Json = nlohmann::json;

struct LedgerCommands {
    rpc::Registry registry = rpc::standard_registry();
    std::string rpc_url = "http://127.0.0.1:4230";
    std::string key_file;
    std::string address;
    std::string to;
    std::string amount;
    std::string token = "flk";
    bool base_units = false;
    std::string node;
    uint64_t epochs = 0;
    std::string recipient;
    std::string client_key;
    std::string digest;
    bool json_output = false;
    bool wait = true;
    uint64_t wait_timeout_s = 60;

    CLI::App* balance = nullptr;
    CLI::App* account = nullptr;
    CLI::App* transfer = nullptr;
    CLI::App* stake = nullptr;
    CLI::App* stake_lock = nullptr;
    CLI::App* unstake = nullptr;
    CLI::App* withdraw_unstaked = nullptr;
    CLI::App* approve_client_key = nullptr;
    CLI::App* tx = nullptr;
};

namespace {

// ---- input -----------------------------------------------------------------------------------

Result<ledger::Token, std::string> parse_token(std::string_view name) {
    if (name == "flk") return ledger::Token::flk;
    if (name == "stables") return ledger::Token::stables;
    if (name == "bandwidth") return ledger::Token::bandwidth;
    return fail(fmt::format("unknown token `{}` (flk, stables or bandwidth)", name));
}

unsigned decimals_of(ledger::Token token) {
    switch (token) {
        case ledger::Token::flk: return 18;
        case ledger::Token::stables: return 6;
        case ledger::Token::bandwidth: return 0;
    }
    return 0;
}

Result<crypto::AccountSecretKey, std::string> load_key(const LedgerCommands& commands) {
    if (commands.key_file.empty()) return fail(std::string("--key FILE is required: the account key that signs (flk keys generate --account)"));
    auto key = crypto::load_account_key(commands.key_file);
    if (!key) return fail(key.error().message);
    return std::move(*key);
}

// The address to read: the argument, else the --key file's.
Result<std::string, std::string> target_address(const LedgerCommands& commands) {
    if (!commands.address.empty()) {
        auto address = crypto::AccountAddress::parse(commands.address);
        if (!address) return fail(fmt::format("`{}` is not an account address (0x and 40 hex digits, EIP-55)", commands.address));
        return address->to_string();
    }
    if (commands.key_file.empty()) return fail(std::string("give an ADDRESS or --key FILE"));
    auto key = load_key(commands);
    if (!key) return fail(key.error());
    return key->address().to_string();
}

Result<crypto::NodePublicKey, std::string> parse_node(std::string_view text) {
    auto key = crypto::NodePublicKey::from_base58(text);
    if (!key) return fail(fmt::format("`{}` is not a node public key (base58 Ed25519)", text));
    return *key;
}

// The node's index in the registry (the ledger methods on a stake name the node by index).
Result<ledger::NodeIndex, std::string> node_index(RpcClient& client, const crypto::NodePublicKey& key) {
    auto info = client.call("flk_get_node_info", Json::array({key.to_string()}));
    if (!info) return fail(info.error());
    if (info->is_null()) return fail(fmt::format("no registered node has the key {}", key.to_string()));
    return info->at("index").get<ledger::NodeIndex>();
}

// Polls the receipt of `digest` until it appears or `timeout_s` passes.
Result<Json, std::string> wait_for_receipt(RpcClient& client, const std::string& digest, uint64_t timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
        auto receipt = client.call("flk_get_transaction_receipt", Json::array({digest}));
        if (!receipt) return fail(receipt.error());
        if (!receipt->is_null()) return std::move(*receipt);
        if (std::chrono::steady_clock::now() >= deadline) return Json(nullptr);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

// Signs `method` with the key's next nonce (after its transactions pending on the node,
// flk_get_pending_nonce) and the node's chain id, and sends it. With --wait (the default) it
// waits for the receipt and reports it: exit 0 only when the transaction executed successfully.
int sign_and_send(LedgerCommands& commands, RpcClient& client, const crypto::AccountSecretKey& key, ledger::Method method) {
    auto chain = client.call("flk_get_chain_info", nullptr);
    if (!chain) return cli::report_error(chain.error());
    auto nonces = client.call("flk_get_pending_nonce", Json::array({key.address().to_string()}));
    if (!nonces) return cli::report_error(nonces.error());
    const uint64_t nonce = nonces->at("pending_nonce").get<uint64_t>() + 1;
    const std::string method_name(ledger::method_name(method));
    const ledger::SignedTransaction signed_transaction =
        ledger::sign_transaction(ledger::Transaction{{}, nonce, chain->at("chain_id").get<uint64_t>(), std::move(method)}, key);
    auto sent = client.call("flk_send_txn", Json::array({hex_encode(signed_transaction.to_bytes())}));
    if (!sent) return cli::report_error(sent.error());
    const std::string digest = sent->get<std::string>();
    if (!commands.wait) {
        if (commands.json_output) {
            std::printf("%s\n", Json{{"digest", digest}, {"nonce", nonce}, {"method", method_name}}.dump().c_str());
        } else {
            std::printf("sent %s (nonce %llu)\ndigest: %s\nreceipt: flk tx %s\n", method_name.c_str(),
                        static_cast<unsigned long long>(nonce), digest.c_str(), digest.c_str());
        }
        return cli::exit_ok;
    }
    if (!commands.json_output) {
        std::printf("sent %s (nonce %llu)\ndigest: %s\n", method_name.c_str(), static_cast<unsigned long long>(nonce), digest.c_str());
        std::fflush(stdout);
    }
    auto receipt = wait_for_receipt(client, digest, commands.wait_timeout_s);
    if (!receipt) return cli::report_error(receipt.error());
    if (commands.json_output) {
        std::printf("%s\n", Json{{"digest", digest}, {"nonce", nonce}, {"method", method_name}, {"receipt", *receipt}}.dump().c_str());
    }
    if (receipt->is_null()) {
        return cli::report_error(fmt::format("no receipt for {} after {} s: it has not executed (yet); check later with `flk tx {}`",
                                             digest, commands.wait_timeout_s, digest));
    }
    const std::string status = receipt->at("status").get<std::string>();
    if (!commands.json_output) {
        std::printf("%s in block %llu\n", status == "success" ? "executed" : status.c_str(),
                    static_cast<unsigned long long>(receipt->at("height").get<uint64_t>()));
    }
    if (status != "success") {
        const std::string error = receipt->at("error").is_null() ? std::string() : receipt->at("error").get<std::string>();
        return cli::report_error(fmt::format("{} {} ({}): {}", method_name, status, digest, error.empty() ? status : error));
    }
    return cli::exit_ok;
}

// ---- commands --------------------------------------------------------------------------------

// The account the command names (--address, else the wallet's): its address and
// flk_get_account_info's answer (null for an account that holds nothing).
struct TargetAccount {
    std::string address;
    Json info;
};

Result<TargetAccount, std::string> fetch_target_account(const LedgerCommands& commands) {
    auto address = target_address(commands);
    if (!address) return fail(address.error());
    RpcClient client(commands.rpc_url);
    auto info = client.call("flk_get_account_info", Json::array({*address}));
    if (!info) return fail(info.error());
    return TargetAccount{std::move(*address), std::move(*info)};
}

// The client key --client-key names: base58, else a client key file.
Result<crypto::ClientPublicKey, std::string> client_public_key(const std::string& text) {
    if (auto key = crypto::ClientPublicKey::from_base58(text)) return *key;
    auto secret = crypto::load_client_key(text);
    if (!secret) {
        return fail(fmt::format("--client-key `{}` is neither a base58 client public key nor a client key file: {}", text,
                                secret.error().message));
    }
    return secret->public_key();
}

// balance --client-key: the account the key's deliveries are charged to (flk_get_client_key_owner).
Result<std::string, std::string> client_key_account(const LedgerCommands& commands, const crypto::ClientPublicKey& key) {
    RpcClient client(commands.rpc_url);
    auto owner = client.call("flk_get_client_key_owner", Json::array({key.to_string()}));
    if (!owner) return fail(owner.error());
    if (owner->is_null()) return fail(fmt::format("no account approved the client key {} (flk approve-client-key)", key.to_string()));
    return owner->get<std::string>();
}

int run_balance(LedgerCommands& commands) {
    std::optional<crypto::ClientPublicKey> client_key;
    if (!commands.client_key.empty()) {
        if (!commands.address.empty() || !commands.key_file.empty()) {
            return cli::report_error("--client-key names the account itself: give no ADDRESS or --key with it");
        }
        auto key = client_public_key(commands.client_key);
        if (!key) return cli::report_error(key.error());
        auto owner = client_key_account(commands, *key);
        if (!owner) return cli::report_error(owner.error());
        client_key = *key;
        commands.address = std::move(*owner);
    }
    auto target = fetch_target_account(commands);
    if (!target) return cli::report_error(target.error());
    const std::string* address = &target->address;
    const Json* account = &target->info;
    const Json zero = "0";
    const Json flk = account->is_null() ? zero : account->at("flk");
    const Json stables = account->is_null() ? zero : account->at("stables");
    const Json bandwidth = account->is_null() ? zero : account->at("bandwidth");
    if (commands.json_output) {
        Json out{{"address", *address}, {"flk", flk}, {"stables", stables}, {"bandwidth", bandwidth}};
        if (client_key) out["client_key"] = client_key->to_string();
        std::printf("%s\n", out.dump().c_str());
        return cli::exit_ok;
    }
    if (client_key) {
        std::printf("client key: %s\n(deliveries it acknowledges are charged to this account's stables)\n", client_key->to_string().c_str());
    }
    std::printf("address: %s\nFLK: %s\nstables: %s\nbandwidth: %s\n", address->c_str(),
                format_amount(flk.get<std::string>(), 18).c_str(), format_amount(stables.get<std::string>(), 6).c_str(),
                bandwidth.get<std::string>().c_str());
    return cli::exit_ok;
}

int run_account(LedgerCommands& commands) {
    auto target = fetch_target_account(commands);
    if (!target) return cli::report_error(target.error());
    const std::string* address = &target->address;
    const Json* account = &target->info;
    if (account->is_null()) {
        std::printf("%s\n", commands.json_output ? "null" : fmt::format("{}: no such account (it holds nothing)", *address).c_str());
        return cli::exit_ok;
    }
    std::printf("%s\n", account->dump(commands.json_output ? -1 : 2).c_str());
    return cli::exit_ok;
}

int run_transfer(LedgerCommands& commands) {
    auto key = load_key(commands);
    if (!key) return cli::report_error(key.error());
    auto token = parse_token(commands.token);
    if (!token) return cli::report_error(token.error());
    auto to = crypto::AccountAddress::parse(commands.to);
    if (!to) return cli::report_error(fmt::format("--to `{}` is not an account address (0x and 40 hex digits, EIP-55)", commands.to));
    auto amount = parse_amount(commands.amount, decimals_of(*token), commands.base_units);
    if (!amount) return cli::report_error(amount.error());
    RpcClient client(commands.rpc_url);
    return sign_and_send(commands, client, *key, ledger::Transfer{*token, to->bytes(), *amount});
}

int run_stake(LedgerCommands& commands) {
    auto key = load_key(commands);
    if (!key) return cli::report_error(key.error());
    auto node = parse_node(commands.node);
    if (!node) return cli::report_error(node.error());
    auto amount = parse_amount(commands.amount, 18, commands.base_units);
    if (!amount) return cli::report_error(amount.error());
    RpcClient client(commands.rpc_url);
    // Only a registered node: registering a new one needs its node and consensus keys to sign
    // (fleek-node does that).
    auto index = node_index(client, *node);
    if (!index) return cli::report_error(index.error() + " (a new node registers with its own keys through fleek-node)");
    return sign_and_send(commands, client, *key, ledger::Stake{*amount, node->bytes(), std::nullopt});
}

int run_stake_lock(LedgerCommands& commands) {
    auto key = load_key(commands);
    if (!key) return cli::report_error(key.error());
    auto node = parse_node(commands.node);
    if (!node) return cli::report_error(node.error());
    RpcClient client(commands.rpc_url);
    auto index = node_index(client, *node);
    if (!index) return cli::report_error(index.error());
    return sign_and_send(commands, client, *key, ledger::StakeLock{*index, commands.epochs});
}

int run_unstake(LedgerCommands& commands) {
    auto key = load_key(commands);
    if (!key) return cli::report_error(key.error());
    auto node = parse_node(commands.node);
    if (!node) return cli::report_error(node.error());
    auto amount = parse_amount(commands.amount, 18, commands.base_units);
    if (!amount) return cli::report_error(amount.error());
    RpcClient client(commands.rpc_url);
    auto index = node_index(client, *node);
    if (!index) return cli::report_error(index.error());
    return sign_and_send(commands, client, *key, ledger::Unstake{*index, *amount});
}

int run_withdraw_unstaked(LedgerCommands& commands) {
    auto key = load_key(commands);
    if (!key) return cli::report_error(key.error());
    auto node = parse_node(commands.node);
    if (!node) return cli::report_error(node.error());
    std::optional<ledger::AddressBytes> recipient;
    if (!commands.recipient.empty()) {
        auto address = crypto::AccountAddress::parse(commands.recipient);
        if (!address) return cli::report_error(fmt::format("--recipient `{}` is not an account address", commands.recipient));
        recipient = address->bytes();
    }
    RpcClient client(commands.rpc_url);
    auto index = node_index(client, *node);
    if (!index) return cli::report_error(index.error());
    return sign_and_send(commands, client, *key, ledger::WithdrawUnstaked{*index, recipient});
}

int run_approve_client_key(LedgerCommands& commands) {
    auto key = load_key(commands);
    if (!key) return cli::report_error(key.error());
    auto client_key = crypto::ClientPublicKey::from_base58(commands.client_key);
    if (!client_key) return cli::report_error(fmt::format("`{}` is not a client public key (base58 Ed25519)", commands.client_key));
    RpcClient client(commands.rpc_url);
    return sign_and_send(commands, client, *key, ledger::ApproveClientKey{client_key->bytes()});
}

int run_tx(LedgerCommands& commands) {
    const rpc::MethodSpec* method = commands.registry.find("flk_get_transaction_receipt");
    if (auto checked = rpc::parse_param(method->params.front(), Json(commands.digest)); !checked) {
        return cli::report_error(fmt::format("`{}` {}", commands.digest, checked.error()));
    }
    RpcClient client(commands.rpc_url);
    auto receipt = client.call("flk_get_transaction_receipt", Json::array({commands.digest}));
    if (!receipt) return cli::report_error(receipt.error());
    if (receipt->is_null()) {
        if (commands.json_output) std::printf("null\n");
        std::fprintf(stderr, "transaction %s has not executed (yet), or this node does not know it\n", commands.digest.c_str());
        return cli::exit_failure;
    }
    if (commands.json_output) {
        std::printf("%s\n", receipt->dump().c_str());
    } else {
        std::printf("status: %s\n", receipt->at("status").get<std::string>().c_str());
        if (!receipt->at("error").is_null()) std::printf("error: %s\n", receipt->at("error").get<std::string>().c_str());
        std::printf("block: %llu (transaction %llu)\noutput: %s\n",
                    static_cast<unsigned long long>(receipt->at("height").get<uint64_t>()),
                    static_cast<unsigned long long>(receipt->at("index").get<uint64_t>()), receipt->at("output").dump().c_str());
    }
    return receipt->at("status") == "success" ? cli::exit_ok : cli::exit_failure;
}

}  // namespace

std::shared_ptr<LedgerCommands> add_ledger_commands(CLI::App& app) {
    auto commands = std::make_shared<LedgerCommands>();
    LedgerCommands& c = *commands;
    const rpc::Registry& registry = c.registry;
    // On the top-level app: with fallthrough (main.cpp) it is taken before or after the command.
    app.add_option("--rpc", c.rpc_url, "The node's JSON-RPC URL")->default_str(c.rpc_url)->envname("FLK_RPC");
    const auto command = [&](const char* name, const char* summary, std::vector<std::string_view> methods) {
        CLI::App* sub = app.add_subcommand(name, summary);
        sub->footer("\n" + registry.help_text(methods));
        sub->add_flag("--json", c.json_output, "Print JSON");
        return sub;
    };
    // Sending commands wait for the receipt unless told not to.
    const auto sending = [&](const char* name, const char* summary, std::vector<std::string_view> methods) {
        methods.push_back("flk_get_transaction_receipt");
        CLI::App* sub = command(name, summary, std::move(methods));
        sub->add_flag("--wait,!--no-wait", c.wait,
                      "Wait for the receipt and exit 1 unless the transaction executed successfully (default); "
                      "--no-wait prints the digest and returns");
        sub->add_option("--wait-timeout", c.wait_timeout_s, "Seconds to wait for the receipt")->default_str("60")->check(CLI::PositiveNumber);
        return sub;
    };
    const auto key_option = [&](CLI::App* sub, bool required) {
        auto* option = sub->add_option("--key", c.key_file, "Account key file (secp256k1 PEM, flk keys generate --account)")
                           ->envname("FLK_KEY");
        if (required) option->required();
    };
    const auto amount_option = [&](CLI::App* sub, const char* what) {
        sub->add_option("--amount", c.amount, what)->required();
        sub->add_flag("--base-units", c.base_units, "--amount is in base units (10^-18 FLK, 10^-6 stables)");
    };
    const auto node_option = [&](CLI::App* sub) {
        sub->add_option("--node-key", c.node, registry.param_description("flk_get_node_info", "public_key"))->required();
    };
    const std::vector<std::string_view> send = {"flk_get_chain_info", "flk_get_pending_nonce", "flk_send_txn"};
    const auto plus = [&](std::vector<std::string_view> methods) {
        methods.insert(methods.begin(), "flk_get_node_info");
        methods.insert(methods.end(), send.begin(), send.end());
        return methods;
    };

    c.balance = command("balance", "FLK, stables and bandwidth balances of an account", {"flk_get_client_key_owner", "flk_get_account_info"});
    c.balance->add_option("address", c.address, registry.param_description("flk_get_account_info", "address") + " (default: --key's)");
    key_option(c.balance, false);
    c.balance->add_option("--client-key", c.client_key,
                          "Client key (base58 public key or key file): the balances of the account that approved it, "
                          "whose stables pay for its deliveries");

    c.account = command("account", "An account's balances, nonce and approved client keys", {"flk_get_account_info"});
    c.account->add_option("address", c.address, registry.param_description("flk_get_account_info", "address") + " (default: --key's)");
    key_option(c.account, false);

    c.transfer = sending("transfer", "Send tokens to another account", send);
    key_option(c.transfer, true);
    c.transfer->add_option("--to", c.to, "Receiving account address")->required();
    amount_option(c.transfer, "Amount in tokens, e.g. 12.5 (FLK has 18 decimals, stables 6, bandwidth 0)");
    c.transfer->add_option("--token", c.token, "flk, stables or bandwidth")->default_str("flk")->check(
        CLI::IsMember({"flk", "stables", "bandwidth"}));

    c.stake = sending("stake", "Add FLK to a registered node's stake", plus({}));
    key_option(c.stake, true);
    node_option(c.stake);
    amount_option(c.stake, "FLK to stake, e.g. 1000");

    c.stake_lock = sending("stake-lock", "Lock a node's stake for more epochs (reward boost)", plus({}));
    key_option(c.stake_lock, true);
    node_option(c.stake_lock);
    c.stake_lock->add_option("--epochs", c.epochs, "Epochs to lock the stake for")->required()->check(CLI::PositiveNumber);

    c.unstake = sending("unstake", "Move FLK from a node's stake to its locked amount", plus({}));
    key_option(c.unstake, true);
    node_option(c.unstake);
    amount_option(c.unstake, "FLK to unstake");

    c.withdraw_unstaked = sending("withdraw-unstaked", "Withdraw a node's unlocked FLK to an account", plus({}));
    key_option(c.withdraw_unstaked, true);
    node_option(c.withdraw_unstaked);
    c.withdraw_unstaked->add_option("--recipient", c.recipient, "Receiving account (default: the node's owner)");

    c.approve_client_key = sending("approve-client-key", "Let a client key spend this account's bandwidth", send);
    key_option(c.approve_client_key, true);
    c.approve_client_key->add_option("client_key", c.client_key, "Client public key (base58 Ed25519)")->required();

    c.tx = command("tx", "The receipt of a transaction (exit 1 until it executed, or when it reverted)",
                   {"flk_get_transaction_receipt"});
    c.tx->add_option("digest", c.digest, registry.param_description("flk_get_transaction_receipt", "digest"))->required();
    return commands;
}

const std::string& rpc_url(const LedgerCommands& commands) { return commands.rpc_url; }

std::optional<int> run_ledger_command(LedgerCommands& c) {
    if (*c.balance) return run_balance(c);
    if (*c.account) return run_account(c);
    if (*c.transfer) return run_transfer(c);
    if (*c.stake) return run_stake(c);
    if (*c.stake_lock) return run_stake_lock(c);
    if (*c.unstake) return run_unstake(c);
    if (*c.withdraw_unstaked) return run_withdraw_unstaked(c);
    if (*c.approve_client_key) return run_approve_client_key(c);
    if (*c.tx) return run_tx(c);
    return std::nullopt;
}

}  // namespace fleek::flk
