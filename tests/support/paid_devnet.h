// Paid delivery on a LocalDevnet (issue 13): what the paid-session end-to-end tests share —
// approving a client key from the funded devnet account, the node's receipt batch interval,
// and the ledger readings the tests assert on (an account's stables, a node's served bytes).
#pragma once

#include "crypto/keys.h"
#include "ledger/transaction.h"
#include "node/config.h"
#include "tests/support/devnet.h"

#include <nlohmann/json.hpp>

#include <string>

namespace fleek::testing {

// A JSON-RPC result (or one of its fields) as text: strings as they are, "?" for an error.
inline std::string json_text(const Result<nlohmann::json, std::string>& result, const char* field = nullptr) {
    if (!result) return "?";
    const nlohmann::json& value =
        field ? (result->is_object() && result->contains(field) ? (*result)[field] : nlohmann::json()) : *result;
    return value.is_string() ? value.get<std::string>() : value.dump();
}

// Writes [gateway] batch_interval_ms into node `i`'s config (read when the node starts).
inline void set_batch_interval_ms(LocalDevnet& devnet, size_t i, uint64_t batch_interval_ms) {
    const auto path = devnet.home(i) / "config.toml";
    auto config = node::load_config_file(path);
    EXPECT_TRUE(config.has_value()) << config.error().message;
    if (!config) return;
    config->gateway.batch_interval_ms = batch_interval_ms;
    write_text(path, node::render_config(*config));
}

// The funded devnet account approves `client` (sent to node `via`); waits until node `via` shows it.
inline void approve_client_key(LocalDevnet& devnet, size_t via, const crypto::ClientPublicKey& client) {
    ledger::Transaction approve{{}, ++devnet.nonce, LocalDevnet::chain_id, ledger::ApproveClientKey{client.bytes()}};
    ASSERT_TRUE(devnet.send(via, ledger::sign_transaction(std::move(approve), devnet.account).to_bytes()));
    const std::string client_text = client.to_string();
    ASSERT_TRUE(devnet.eventually([&] {
        auto info = devnet.call(via, "flk_get_account_info", nlohmann::json::array({devnet.account.address().to_string()}));
        return info && info->is_object() && info->dump().find(client_text) != std::string::npos;
    })) << "the client key was not approved";
}

inline std::string stables_of(LocalDevnet& devnet, size_t via, const crypto::AccountAddress& address) {
    return json_text(devnet.call(via, "flk_get_stables_balance", nlohmann::json::array({address.to_string()})));
}

// Node `i`'s public key (base58), from its own JSON-RPC.
inline std::string node_public_key(LocalDevnet& devnet, size_t i) {
    return json_text(devnet.call(i, "flk_get_public_keys"), "public_key");
}

// The bandwidth `node` (base58) served in the current epoch, as node `via` reports it.
inline std::string served_of(LocalDevnet& devnet, size_t via, const std::string& node) {
    return json_text(devnet.call(via, "flk_get_node_served", nlohmann::json::array({node})), "served_bandwidth");
}

}  // namespace fleek::testing
