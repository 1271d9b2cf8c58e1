// Every method of the node's JSON-RPC API, declared once (registry.h). Handlers only read
// validated parameters, call the Backend and build views (views.h).
#include "ledger/tables.h"
#include "rpc/schema.h"
#include "rpc/methods_services.h"
#include "rpc/registry.h"
#include "rpc/views.h"
#include "util/encoding.h"

#include <fmt/format.h>

namespace fleek::rpc {

namespace {

using ledger::LedgerReader;

// ---- shared declarations ---------------------------------------------------------------------

ParamSpec address_param() {
    return {"address", ParamType::address, true, "Account address: 0x and 40 hex digits (EIP-55 checksum checked when mixed case)", {}};
}
ParamSpec node_param() { return {"public_key", ParamType::node_key, true, "Node public key (Ed25519, base58)", {}}; }
// For reads of the current state: other epochs are not kept (no archive).
ParamSpec current_epoch_param() {
    return {"epoch", ParamType::u64, false,
            "Epoch whose state to read. This node keeps the current epoch's state only: another epoch is "
            "error -32002. Default: the current epoch",
            {}};
}
// For records the ledger keeps per epoch.
ParamSpec epoch_param(std::string_view what) {
    return {"epoch", ParamType::u64, false, fmt::format("Epoch {} (default: the current epoch)", what), {}};
}
ParamSpec height_param() { return {"height", ParamType::u64, true, "Block height (the first block is 1)", {}}; }


RpcError missing_ledger() { return RpcError::make(ErrorCode::internal_error, "the node did not provide its ledger"); }

// Runs `read` on the committed state of the node's last block (a snapshot: it never waits for
// a block that executes, nor delays one) and returns what it returns.
template <class Read>
Result<Json, RpcError> with_ledger(Context& context, Read&& read) {
    const std::shared_ptr<const ledger::LedgerSnapshot> snapshot = context.backend.ledger_snapshot();
    if (!snapshot) return fail(missing_ledger());
    return read(*snapshot);
}

// Runs `read` on the summary the node published after its last block: never waits for a block
// that executes.
template <class Read>
Result<Json, RpcError> with_summary(Context& context, Read&& read) {
    const std::shared_ptr<const ChainSummary> summary = context.backend.chain_summary();
    if (!summary) return fail(RpcError::make(ErrorCode::internal_error, "the node did not provide its chain summary"));
    return read(*summary);
}

// An explicit epoch other than the current one, for methods that read the current state.
std::optional<RpcError> other_epoch(const Params& params, ledger::Epoch current) {
    const uint64_t* epoch = params.get<uint64_t>("epoch");
    if (epoch == nullptr || *epoch == current) return std::nullopt;
    return RpcError::make(ErrorCode::epoch_unavailable,
                          fmt::format("epoch {}: this node keeps the state of the current epoch ({}) only", *epoch, current),
                          Json{{"current_epoch", current}});
}
std::optional<RpcError> other_epoch(const Params& params, const LedgerReader& ledger) { return other_epoch(params, ledger.epoch()); }

ledger::Epoch epoch_or_current(const Params& params, const LedgerReader& ledger) {
    const uint64_t* epoch = params.get<uint64_t>("epoch");
    return epoch != nullptr ? *epoch : ledger.epoch();
}

struct FoundNode {
    ledger::NodeIndex index;
    ledger::NodeInfo info;
};
std::optional<FoundNode> find_node(const LedgerReader& ledger, const Params& params) {
    const auto index = ledger.node_index(params.required<crypto::NodePublicKey>("public_key"));
    if (!index) return std::nullopt;
    auto info = ledger.node(*index);
    if (!info) return std::nullopt;
    return FoundNode{*index, std::move(*info)};
}

// A method that reads one node field of the current state (null for an unknown node).
template <class Field>
Handler node_field(Field&& field) {
    return [field](Context& context, const Params& params) {
        return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
            if (auto error = other_epoch(params, ledger)) return fail(*error);
            const auto node = find_node(ledger, params);
            if (!node) return Json(nullptr);
            return field(ledger, *node);
        });
    };
}

Handler balance_of(ledger::Token token) {
    return [token](Context& context, const Params& params) {
        return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
            if (auto error = other_epoch(params, ledger)) return fail(*error);
            return Json(amount_text(ledger.balance(params.required<crypto::AccountAddress>("address"), token)));
        });
    };
}

std::vector<std::string> protocol_param_names() {
    std::vector<std::string> names;
    for (uint8_t i = 0; i < ledger::param_id_count; ++i) names.emplace_back(ledger::to_string(static_cast<ledger::ParamId>(i)));
    return names;
}

// The nodes of the registry from paging.start on, filtered by stake unless ignore_stake.
std::vector<std::pair<ledger::NodeIndex, ledger::NodeInfo>> registry_page(const LedgerReader& ledger, const Paging& paging) {
    const U256 min_stake = ledger.params().min_stake;
    std::vector<std::pair<ledger::NodeIndex, ledger::NodeInfo>> page;
    for (auto& [index, info] : ledger.nodes()) {
        if (index < paging.start) continue;
        if (!paging.ignore_stake && info.staked < min_stake) continue;
        if (page.size() >= paging.limit) break;
        page.emplace_back(index, std::move(info));
    }
    return page;
}

Paging paging_or_default(const Params& params) {
    const Paging* paging = params.get<Paging>("paging");
    return paging != nullptr ? *paging : Paging{};
}

ParamSpec paging_param(std::string_view what) {
    return {"paging", ParamType::paging, false, std::string(what), {}};
}

// ---- declarations ----------------------------------------------------------------------------

void add_basic(Registry& r) {
    r.add({.name = "rpc.discover",
           .summary = "The OpenRPC document of this API",
           .description = "Every method with its parameters, result schema, errors and examples (OpenRPC 1.2.6).",
           .params = {},
           .result = {"document", "OpenRPC document", Json{{"type", "object"}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) -> Result<Json, RpcError> { return context.registry.openrpc(); }});
    r.add({.name = "flk_ping",
           .summary = "Liveness check",
           .description = "",
           .params = {},
           .result = {"pong", "Always \"pong\"", Json{{"type", "string"}, {"enum", Json::array({"pong"})}}},
           .examples = {},
           .errors = {},
           .handler = [](Context&, const Params&) -> Result<Json, RpcError> { return Json("pong"); }});
    r.add({.name = "flk_health",
           .summary = "Health check",
           .description = "Answers \"OK\" when the node does its job, as GET /health does: its runtime runs, blocks "
                          "execute while transactions wait or peers move on, and it is not far behind its peers. "
                          "Otherwise error -32001 with data.reason \"unhealthy\" and the cause in the message.",
           .params = {},
           .result = {"health", "\"OK\"", Json{{"type", "string"}, {"enum", Json::array({"OK"})}}},
           .examples = {},
           .errors = {ErrorCode::unavailable},
           .handler = [](Context& context, const Params&) -> Result<Json, RpcError> {
               const Health health = context.backend.health();
               if (health.healthy) return Json("OK");
               return fail(RpcError::make(ErrorCode::unavailable, "unhealthy: " + health.reason, Json{{"reason", "unhealthy"}}));
           }});
    r.add({.name = "flk_metrics",
           .summary = "Prometheus text of the node's metrics",
           .description = "The same text as GET /metrics: the RPC server's counters and the node's own metrics.",
           .params = {},
           .result = {"metrics", "Prometheus text exposition format 0.0.4", Json{{"type", "string"}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) -> Result<Json, RpcError> {
               std::string text = context.server_metrics ? context.server_metrics() : std::string();
               text += context.backend.metrics_text();
               return Json(std::move(text));
           }});
    r.add({.name = "flk_get_public_keys",
           .summary = "This node's public keys",
           .description = "",
           .params = {},
           .result = {"keys", "The node key and the consensus key",
                      Json{{"type", "object"},
                           {"properties", {{"public_key", ref_schema("NodePublicKey")}, {"consensus_key", ref_schema("ConsensusPublicKey")}}},
                           {"required", Json::array({"public_key", "consensus_key"})},
                           {"additionalProperties", false}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) -> Result<Json, RpcError> {
               return Json{{"public_key", context.backend.node_key().to_string()},
                           {"consensus_key", context.backend.consensus_key().to_base58()}};
           }});
}

void add_accounts(Registry& r) {
    const auto balance = [&](std::string name, std::string summary, ledger::Token token, std::string unit) {
        r.add({.name = std::move(name),
               .summary = std::move(summary),
               .description = "An account that does not exist has a balance of \"0\".",
               .params = {address_param(), current_epoch_param()},
               .result = {"balance", std::move(unit), ref_schema("Amount")},
               .examples = {},
               .errors = {ErrorCode::epoch_unavailable},
               .handler = balance_of(token)});
    };
    balance("flk_get_flk_balance", "FLK balance of an account", ledger::Token::flk, "FLK in base units (10^-18 FLK)");
    balance("flk_get_stables_balance", "Stables balance of an account", ledger::Token::stables,
            "Stables in base units (10^-6)");
    balance("flk_get_bandwidth_balance", "Bandwidth credits of an account", ledger::Token::bandwidth, "Bandwidth credits");
    r.add({.name = "flk_get_account_info",
           .summary = "An account's balances, nonce and approved client keys",
           .description = "Null when the account does not exist. The nonce is that of the account's last transaction: "
                          "the next one must carry nonce + 1.",
           .params = {address_param(), current_epoch_param()},
           .result = {"account", "The account, or null", nullable(ref_schema("AccountInfo"))},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   if (auto error = other_epoch(params, ledger)) return fail(*error);
                   const auto& address = params.required<crypto::AccountAddress>("address");
                   const auto account = ledger.account(address);
                   return account ? account_json(address, *account) : Json(nullptr);
               });
           }});
    r.add({.name = "flk_get_pending_nonce",
           .summary = "An account's last used nonce, counting its transactions waiting on this node",
           .description = "Sign the next transaction with pending_nonce + 1. `nonce` is the last nonce of an executed "
                          "transaction; `pending_nonce` follows it through the transactions this node took "
                          "(flk_send_txn) and has not seen execute, as long as their nonces leave no gap; `pending` "
                          "counts them all. flk_send_txn refuses a second transaction with a pending nonce "
                          "(reason nonce_pending) and a nonce more than 64 past `nonce` (nonce_too_far_ahead). Only "
                          "this node's pending transactions count: send one account's transactions through one node.",
           .params = {address_param()},
           .result = {"nonces", "Last used and last pending nonce, and the pending count",
                      Json{{"type", "object"},
                           {"properties", {{"nonce", ref_schema("U64")}, {"pending_nonce", ref_schema("U64")}, {"pending", ref_schema("U64")}}},
                           {"required", Json::array({"nonce", "pending_nonce", "pending"})},
                           {"additionalProperties", false}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const PendingNonce nonces = context.backend.pending_nonce(params.required<crypto::AccountAddress>("address"));
               return Json{{"nonce", nonces.nonce}, {"pending_nonce", nonces.pending_nonce}, {"pending", nonces.pending}};
           }});
    r.add({.name = "flk_get_withdraws",
           .summary = "Withdrawals waiting for the bridge, by id",
           .description = "Ids run from 0 in the order the withdrawals executed.",
           .params = {paging_param("start: first withdraw id (default 0); limit: at most this many (default 100, at most 1000)")},
           .result = {"withdraws", "Withdraw records from paging.start on", array_of(ref_schema("Withdraw"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const Paging paging = paging_or_default(params);
                   const uint64_t end = ledger.chain_info().next_withdraw_id;
                   Json out = Json::array();
                   for (uint64_t id = paging.start; id < end && out.size() < paging.limit; ++id) {
                       if (auto record = ledger.withdraw(id)) out.push_back(withdraw_json(id, *record));
                   }
                   return out;
               });
           }});
    r.add({.name = "flk_has_minted",
           .summary = "Whether a bridge transaction has been minted",
           .description = "Mint transactions credit each bridge transaction hash once.",
           .params = {{"bridge_tx", ParamType::hash, true, "Hash of the bridge (Ethereum) transaction", {}}},
           .result = {"minted", "True when a Mint with this hash executed", Json{{"type", "boolean"}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   return Json(ledger.state_value(ledger::tables::mint(params.required<crypto::Hash32>("bridge_tx"))).has_value());
               });
           }});
}

void add_nodes(Registry& r) {
    const auto amount_field = [&](std::string name, std::string summary, std::string description, auto field) {
        r.add({.name = std::move(name),
               .summary = std::move(summary),
               .description = "Null when no node has this key.",
               .params = {node_param(), current_epoch_param()},
               .result = {"amount", std::move(description), nullable(ref_schema("Amount"))},
               .examples = {},
               .errors = {ErrorCode::epoch_unavailable},
               .handler = node_field([field](const LedgerReader&, const FoundNode& node) { return Json(amount_text(field(node.info))); })});
    };
    amount_field("flk_get_staked", "FLK a node has staked", "Staked FLK, base units",
                 [](const ledger::NodeInfo& info) { return info.staked; });
    amount_field("flk_get_locked", "FLK a node unstaked that is still locked",
                 "Locked FLK, base units (withdrawable from locked_until on)",
                 [](const ledger::NodeInfo& info) { return info.locked; });
    const auto epoch_field = [&](std::string name, std::string summary, std::string description, auto field) {
        r.add({.name = std::move(name),
               .summary = std::move(summary),
               .description = "Null when no node has this key.",
               .params = {node_param(), current_epoch_param()},
               .result = {"epoch", std::move(description), nullable(ref_schema("U64"))},
               .examples = {},
               .errors = {ErrorCode::epoch_unavailable},
               .handler = node_field([field](const LedgerReader&, const FoundNode& node) { return Json(field(node.info)); })});
    };
    epoch_field("flk_get_stake_locked_until", "Epoch until which a node's stake is locked (reward boost)",
                "The node's staked FLK cannot be unstaked before this epoch",
                [](const ledger::NodeInfo& info) { return info.stake_locked_until; });
    epoch_field("flk_get_locked_time", "Epoch from which a node's unstaked FLK can be withdrawn",
                "locked_until of the node", [](const ledger::NodeInfo& info) { return info.locked_until; });
    r.add({.name = "flk_get_node_info",
           .summary = "A registered node",
           .description = "Null when no node has this key.",
           .params = {node_param(), current_epoch_param()},
           .result = {"node", "The node, or null", nullable(ref_schema("NodeInfo"))},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = node_field([](const LedgerReader&, const FoundNode& node) { return node_json(node.index, node.info); })});
    r.add({.name = "flk_get_node_info_epoch",
           .summary = "A registered node and the current epoch, read together",
           .description = "What `fleek-node opt status` asks: the node (null when no node has this key) and the epoch "
                          "of the same state.",
           .params = {node_param()},
           .result = {"node_epoch", "The node and the epoch",
                      Json{{"type", "object"},
                           {"properties", {{"node", nullable(ref_schema("NodeInfo"))}, {"epoch", ref_schema("U64")}}},
                           {"required", Json::array({"node", "epoch"})},
                           {"additionalProperties", false}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const auto node = find_node(ledger, params);
                   return Json{{"node", node ? node_json(node->index, node->info) : Json(nullptr)}, {"epoch", ledger.epoch()}};
               });
           }});
    r.add({.name = "flk_node_has_sufficient_stake",
           .summary = "Whether a node has staked at least the minimum stake",
           .description = "False when no node has this key.",
           .params = {node_param()},
           .result = {"sufficient", "staked >= min_stake", Json{{"type", "boolean"}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const auto node = find_node(ledger, params);
                   return Json(node.has_value() && node->info.staked >= ledger.params().min_stake);
               });
           }});
    r.add({.name = "flk_get_staking_amount",
           .summary = "The minimum stake of a node",
           .description = "",
           .params = {},
           .result = {"min_stake", "Minimum stake in FLK base units", ref_schema("Amount")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_summary(context, [](const ChainSummary& summary) -> Result<Json, RpcError> {
                   return Json(amount_text(summary.params.min_stake));
               });
           }});
    r.add({.name = "flk_get_node_registry",
           .summary = "Registered nodes, by index",
           .description = "Without ignore_stake, nodes below the minimum stake are left out.",
           .params = {paging_param("start: first node index (default 0); limit: at most this many (default 100, at most "
                                   "1000); ignore_stake: include nodes below the minimum stake (default false)")},
           .result = {"nodes", "Nodes from index paging.start on", array_of(ref_schema("NodeInfo"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   Json out = Json::array();
                   for (const auto& [index, info] : registry_page(ledger, paging_or_default(params))) out.push_back(node_json(index, info));
                   return out;
               });
           }});
    r.add({.name = "flk_get_node_registry_index",
           .summary = "Registered nodes with their indices",
           .description = "As flk_get_node_registry, each entry as {index, info}.",
           .params = {paging_param("As for flk_get_node_registry")},
           .result = {"nodes", "Nodes from index paging.start on",
                      array_of(Json{{"type", "object"},
                                    {"properties", {{"index", ref_schema("U64")}, {"info", ref_schema("NodeInfo")}}},
                                    {"required", Json::array({"index", "info"})},
                                    {"additionalProperties", false}})},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   Json out = Json::array();
                   for (const auto& [index, info] : registry_page(ledger, paging_or_default(params))) {
                       out.push_back(Json{{"index", index}, {"info", node_json(index, info)}});
                   }
                   return out;
               });
           }});
    r.add({.name = "flk_get_reputation",
           .summary = "A node's reputation score (0 to 100)",
           .description = "Computed at each epoch change from the peers' measurements. Null for an unknown node or one "
                          "without a score yet.",
           .params = {node_param(), current_epoch_param()},
           .result = {"score", "Reputation score, or null", nullable(Json{{"type", "integer"}, {"minimum", 0}, {"maximum", 100}})},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = node_field([](const LedgerReader& ledger, const FoundNode& node) {
               const auto score = ledger.reputation(node.index);
               return score ? Json(score->score) : Json(nullptr);
           })});
    r.add({.name = "flk_get_node_uptime",
           .summary = "A node's uptime in the last epoch, in percent",
           .description = "Aggregated from the peers' measurements at the last epoch change. Null when unknown.",
           .params = {node_param()},
           .result = {"uptime", "Uptime percent, or null", nullable(Json{{"type", "integer"}, {"minimum", 0}, {"maximum", 100}})},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const auto node = find_node(ledger, params);
                   if (!node) return Json(nullptr);
                   const auto score = ledger.reputation(node->index);
                   return score && score->uptime_percent ? Json(*score->uptime_percent) : Json(nullptr);
               });
           }});
    r.add({.name = "flk_get_reputation_measurements",
           .summary = "What peers reported about a node this epoch",
           .description = "One entry per reporting node, in index order. Reports are cleared at each epoch change.",
           .params = {node_param()},
           .result = {"reports", "Reports about the node (empty for an unknown node)", array_of(ref_schema("MeasurementReport"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   Json out = Json::array();
                   const auto node = find_node(ledger, params);
                   if (!node) return out;
                   for (const auto& [reporter, info] : ledger.nodes()) {
                       const auto value = ledger.state_value(ledger::tables::measurement(node->index, reporter));
                       if (!value) continue;
                       auto measurements = codec::decode<ledger::Measurements>(*value);
                       if (!measurements) {
                           return fail(RpcError::make(ErrorCode::internal_error,
                                                      fmt::format("a stored measurement by node {} does not decode", reporter)));
                       }
                       out.push_back(Json{{"reporter", reporter},
                                          {"reporter_key", base58_encode(info.node_key)},
                                          {"measurements", measurements_json(*measurements)}});
                   }
                   return out;
               });
           }});
    r.add({.name = "flk_get_node_served",
           .summary = "Work a node served in an epoch",
           .description = "Zeros when the node served nothing in that epoch; null when no node has this key.",
           .params = {node_param(), epoch_param("whose work to read")},
           .result = {"served", "Served work and revenue, or null", nullable(ref_schema("NodeServed"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const auto node = find_node(ledger, params);
                   if (!node) return Json(nullptr);
                   const ledger::Epoch epoch = epoch_or_current(params, ledger);
                   return node_served_json(epoch, ledger.served(epoch, node->index).value_or(ledger::NodeServed{}));
               });
           }});
}

void add_epochs(Registry& r) {
    r.add({.name = "flk_get_epoch",
           .summary = "The current epoch",
           .description = "",
           .params = {},
           .result = {"epoch", "Epoch number", ref_schema("U64")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_summary(context, [](const ChainSummary& summary) -> Result<Json, RpcError> { return Json(summary.chain.epoch); });
           }});
    r.add({.name = "flk_get_epoch_info",
           .summary = "The current epoch: times, beacon phase and committee",
           .description = "",
           .params = {},
           .result = {"epoch_info", "Epoch, its start, end and transition times, and its committee", ref_schema("EpochInfo")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_summary(context, [](const ChainSummary& summary) -> Result<Json, RpcError> {
                   return epoch_info_json(summary.epoch_info, summary.committee);
               });
           }});
    r.add({.name = "flk_get_committee_members",
           .summary = "Node keys of an epoch's committee",
           .description = "The ledger keeps the committee of every epoch since genesis, and the next epoch's once chosen.",
           .params = {epoch_param("whose committee to list")},
           .result = {"members", "Committee members' node keys, by index", array_of(ref_schema("NodePublicKey"))},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const uint64_t* asked = params.get<uint64_t>("epoch");
               if (auto summary = context.backend.chain_summary(); summary && (asked == nullptr || *asked == summary->chain.epoch)) {
                   Json out = Json::array();
                   for (const auto& member : summary->committee) out.push_back(member.node_key.to_string());
                   return out;
               }
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const ledger::Epoch epoch = epoch_or_current(params, ledger);
                   if (!ledger.committee(epoch)) {
                       return fail(RpcError::make(ErrorCode::epoch_unavailable, fmt::format("no committee recorded for epoch {}", epoch),
                                                  Json{{"current_epoch", ledger.epoch()}}));
                   }
                   Json out = Json::array();
                   for (const auto& member : ledger.committee_members(epoch)) out.push_back(member.node_key.to_string());
                   return out;
               });
           }});
    r.add({.name = "flk_get_genesis_committee",
           .summary = "The nodes of the genesis committee",
           .description = "They bootstrap the network and are the pre-trusted nodes of the reputation algorithm.",
           .params = {},
           .result = {"nodes", "Genesis committee nodes, by index", array_of(ref_schema("NodeInfo"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_ledger(context, [](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   Json out = Json::array();
                   for (const ledger::NodeIndex index : ledger.chain_info().genesis_committee) {
                       if (auto info = ledger.node(index)) out.push_back(node_json(index, *info));
                   }
                   return out;
               });
           }});
    r.add({.name = "flk_get_total_served",
           .summary = "Work served and rewards in an epoch",
           .description = "Null when nothing was recorded for that epoch.",
           .params = {epoch_param("to read")},
           .result = {"totals", "The epoch's totals, or null", nullable(ref_schema("EpochTotals"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   const ledger::Epoch epoch = epoch_or_current(params, ledger);
                   const auto totals = ledger.epoch_totals(epoch);
                   return totals ? epoch_totals_json(epoch, *totals) : Json(nullptr);
               });
           }});
}

void add_chain(Registry& r) {
    r.add({.name = "flk_get_chain_info",
           .summary = "Chain id, height, epoch, state root and supply",
           .description = "What a client needs to sign transactions (chain_id) and to follow the chain.",
           .params = {},
           .result = {"chain", "Chain metadata of the last executed block", ref_schema("ChainInfo")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_summary(context, [](const ChainSummary& summary) -> Result<Json, RpcError> { return chain_json(summary); });
           }});
    r.add({.name = "flk_get_block_number",
           .summary = "Height of the last executed block",
           .description = "0 before the first block.",
           .params = {},
           .result = {"height", "Block height", ref_schema("U64")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_summary(context, [](const ChainSummary& summary) -> Result<Json, RpcError> { return Json(summary.height); });
           }});
    r.add({.name = "flk_get_total_supply",
           .summary = "FLK supply",
           .description = "Balances, stakes and locked stakes together.",
           .params = {current_epoch_param()},
           .result = {"supply", "FLK, base units", ref_schema("Amount")},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = [](Context& context, const Params& params) {
               return with_summary(context, [&](const ChainSummary& summary) -> Result<Json, RpcError> {
                   if (auto error = other_epoch(params, summary.chain.epoch)) return fail(*error);
                   return Json(amount_text(summary.chain.flk_supply));
               });
           }});
    r.add({.name = "flk_get_year_start_supply",
           .summary = "FLK supply at the start of the current year of epochs",
           .description = "Inflation of the year is relative to it.",
           .params = {current_epoch_param()},
           .result = {"supply", "FLK, base units", ref_schema("Amount")},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = [](Context& context, const Params& params) {
               return with_summary(context, [&](const ChainSummary& summary) -> Result<Json, RpcError> {
                   if (auto error = other_epoch(params, summary.chain.epoch)) return fail(*error);
                   return Json(amount_text(summary.chain.flk_supply_year_start));
               });
           }});
    r.add({.name = "flk_get_protocol_fund_address",
           .summary = "Address of the protocol fund",
           .description = "",
           .params = {},
           .result = {"address", "The fund's account address", ref_schema("Address")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params&) {
               return with_summary(context, [](const ChainSummary& summary) -> Result<Json, RpcError> {
                   return Json(address_text(summary.chain.protocol_fund));
               });
           }});
    r.add({.name = "flk_get_protocol_params",
           .summary = "Protocol parameters",
           .description = "All of them, or the one `key` names, as an object of decimal strings.",
           .params = {{"key", ParamType::name, false, "A parameter name (default: all parameters)", protocol_param_names()}},
           .result = {"params", "Parameter name to value", ref_schema("ProtocolParams")},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) {
               return with_summary(context, [&](const ChainSummary& summary) -> Result<Json, RpcError> {
                   Json all = protocol_params_json(summary.params);
                   const std::string* key = params.get<std::string>("key");
                   if (key == nullptr) return all;
                   return Json{{*key, all[*key]}};
               });
           }});
    r.add({.name = "flk_get_state_root",
           .summary = "Root of the state tree after the last executed block",
           .description = "",
           .params = {current_epoch_param()},
           .result = {"root", "State root", ref_schema("Hash")},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = [](Context& context, const Params& params) {
               return with_summary(context, [&](const ChainSummary& summary) -> Result<Json, RpcError> {
                   if (auto error = other_epoch(params, summary.chain.epoch)) return fail(*error);
                   return Json(hex_encode(summary.state_root));
               });
           }});
    r.add({.name = "flk_get_state_proof",
           .summary = "A state key's value and its Merkle proof",
           .description = "Proves inclusion (value set) or exclusion (value null) against the state root. Keys are the "
                          "table byte then the table's key (docs/formats/ledger-state.md §Tables), e.g. 03 ‖ address "
                          "for an account.",
           .params = {{"key", ParamType::state_key, true, "Raw state key, hex", {}}, current_epoch_param()},
           .result = {"proof", "Value and proof", ref_schema("StateProof")},
           .examples = {},
           .errors = {ErrorCode::epoch_unavailable},
           .handler = [](Context& context, const Params& params) {
               return with_ledger(context, [&](const LedgerReader& ledger) -> Result<Json, RpcError> {
                   if (auto error = other_epoch(params, ledger)) return fail(*error);
                   const Bytes& key = params.required<Bytes>("key");
                   auto proof = ledger.prove(key);
                   if (!proof) return fail(RpcError::make(ErrorCode::internal_error, "state proof: " + proof.error().message));
                   return state_proof_json(key, *proof);
               });
           }});
}

void add_blocks(Registry& r) {
    r.add({.name = "flk_get_block",
           .summary = "An executed block",
           .description = "Null for a height this node has not executed or no longer keeps.",
           .params = {height_param()},
           .result = {"block", "The block, or null", nullable(ref_schema("Block"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const auto block = context.backend.block(params.required<uint64_t>("height"));
               return block ? block_json(*block) : Json(nullptr);
           }});
    r.add({.name = "flk_get_block_certificate",
           .summary = "The certificate of an executed block",
           .description = "Null until 2f+1 committee members have signed the block (or for an unknown height).",
           .params = {height_param()},
           .result = {"certificate", "The certificate, or null", nullable(ref_schema("BlockCertificate"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const auto certificate = context.backend.block_certificate(params.required<uint64_t>("height"));
               return certificate ? certificate_json(*certificate) : Json(nullptr);
           }});
    r.add({.name = "flk_get_transaction_receipt",
           .summary = "The receipt of an executed transaction",
           .description = "Null while the transaction has not executed (or for an unknown digest).",
           .params = {{"digest", ParamType::hash, true, "Transaction digest (what flk_send_txn returned)", {}}},
           .result = {"receipt", "Block, position, status and output, or null", nullable(ref_schema("TransactionReceipt"))},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const auto location = context.backend.transaction(params.required<crypto::Hash32>("digest"));
               return location ? receipt_json(*location) : Json(nullptr);
           }});
    r.add({.name = "flk_send_txn",
           .summary = "Submit a signed transaction",
           .description = "Checks it (encoding, chain id, sender, nonce, signature) and relays it to the committee. The "
                          "digest it returns names the transaction in flk_get_transaction_receipt; a relayed "
                          "transaction can still be reverted when it executes. The node keeps it as pending until it "
                          "executes (flk_get_pending_nonce): another transaction with the same nonce is refused "
                          "(-32000, reason nonce_pending), the same one again returns its digest. A node whose "
                          "runtime is not running refuses everything (-32001, reason stopped).",
           .params = {{"transaction", ParamType::transaction, true,
                       "Canonical encoding of the SignedTransaction, hex (docs/formats/ledger-transactions.md)", {}}},
           .result = {"digest", "Transaction digest", ref_schema("Hash")},
           .examples = {},
           .errors = {ErrorCode::transaction_rejected, ErrorCode::unavailable},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               auto submitted = context.backend.submit_transaction(params.required<Bytes>("transaction"));
               if (submitted) return Json(hex_encode(*submitted));
               const SubmitError error = submitted.error();
               const Json data{{"reason", to_string(error)}};
               if (error == SubmitError::unavailable || error == SubmitError::stopped) {
                   return fail(RpcError::make(ErrorCode::unavailable, std::string(describe(error)), data));
               }
               return fail(RpcError::make(ErrorCode::transaction_rejected,
                                          fmt::format("transaction rejected: {}", describe(error)), data));
           }});
}

}  // namespace

Registry standard_registry() {
    Registry registry;
    add_view_schemas(registry);
    registry.add_schema("MeasurementReport",
                        Json{{"type", "object"},
                             {"properties",
                              {{"reporter", ref_schema("U64")}, {"reporter_key", ref_schema("NodePublicKey")}, {"measurements", ref_schema("Measurements")}}},
                             {"required", Json::array({"reporter", "reporter_key", "measurements"})},
                             {"additionalProperties", false}});
    add_basic(registry);
    add_accounts(registry);
    add_nodes(registry);
    add_epochs(registry);
    add_chain(registry);
    add_blocks(registry);
    add_service_methods(registry);
    return registry;
}

}  // namespace fleek::rpc
