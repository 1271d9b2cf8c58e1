#include "rpc/views.h"
#include "rpc/schema.h"

#include "ledger/transaction.h"
#include "util/encoding.h"

namespace fleek::rpc {

namespace {

Json integer_schema(std::string description) {
    return Json{{"$ref", schema_ref_path("U64")}, {"description", std::move(description)}};
}
Json amount_schema(std::string description) { return Json{{"$ref", schema_ref_path("Amount")}, {"description", std::move(description)}}; }
Json string_schema(std::string description) { return Json{{"type", "string"}, {"description", std::move(description)}}; }

// An object schema whose properties are all required and no others allowed.
Json object_schema(std::string description, Json properties) {
    Json required = Json::array();
    for (const auto& [name, schema] : properties.items()) required.push_back(name);
    return Json{{"type", "object"},
                {"description", std::move(description)},
                {"properties", std::move(properties)},
                {"required", std::move(required)},
                {"additionalProperties", false}};
}

std::string_view phase_name(ledger::BeaconPhaseKind kind) {
    switch (kind) {
        case ledger::BeaconPhaseKind::none: return "none";
        case ledger::BeaconPhaseKind::commit: return "commit";
        case ledger::BeaconPhaseKind::reveal: return "reveal";
    }
    return "unknown";
}

std::string_view status_name(ledger::ReceiptStatus status) {
    switch (status) {
        case ledger::ReceiptStatus::success: return "success";
        case ledger::ReceiptStatus::reverted: return "reverted";
        case ledger::ReceiptStatus::rejected: return "rejected";
    }
    return "unknown";
}

Json sender_json(const ledger::Sender& sender) {
    if (const auto* node = std::get_if<ledger::NodeSender>(&sender)) {
        return Json{{"kind", "node"}, {"public_key", base58_encode(node->key)}};
    }
    if (const auto* consensus = std::get_if<ledger::ConsensusSender>(&sender)) {
        return Json{{"kind", "consensus"}, {"public_key", base58_encode(consensus->key)}};
    }
    return Json{{"kind", "account"}, {"address", address_text(std::get<ledger::AccountSender>(sender).address)}};
}

Json output_json(const ledger::TxOutput& output) {
    if (const auto* node = std::get_if<ledger::NodeIndexOutput>(&output)) return Json{{"kind", "node_index"}, {"node", node->node}};
    if (const auto* withdraw = std::get_if<ledger::WithdrawOutput>(&output)) {
        return Json{{"kind", "withdraw"}, {"withdraw_id", withdraw->withdraw_id}};
    }
    if (const auto* delivery = std::get_if<ledger::DeliveryOutput>(&output)) {
        Json results = Json::array();
        for (const ledger::DeliveryReceiptResult& result : delivery->results) results.push_back(ledger::to_string(result.status));
        return Json{{"kind", "delivery"},
                    {"units", delivery->units},
                    {"paid", amount_text(delivery->paid)},
                    {"shortfall", amount_text(delivery->shortfall)},
                    {"results", std::move(results)}};
    }
    if (const auto* epoch = std::get_if<ledger::EpochChangeOutput>(&output)) return Json{{"kind", "epoch_change"}, {"epoch", epoch->epoch}};
    if (const auto* slash = std::get_if<ledger::SlashOutput>(&output)) {
        return Json{{"kind", "slash"}, {"amount", amount_text(slash->amount)}};
    }
    return nullptr;
}

}  // namespace

std::string amount_text(const U256& amount) { return u256_to_decimal(amount); }

std::string address_text(const ledger::AddressBytes& address) { return crypto::AccountAddress::from_bytes(address).to_string(); }

Json ports_json(const ledger::NodePorts& ports) {
    return Json{{"pool", ports.pool}, {"pool_quic", ports.pool_quic}, {"handshake_http", ports.handshake_http},
                {"handshake_tcp", ports.handshake_tcp}, {"rpc", ports.rpc}, {"dht", ports.dht}, {"pinger", ports.pinger}};
}

Json node_json(ledger::NodeIndex index, const ledger::NodeInfo& node) {
    return Json{{"index", index},
                {"owner", address_text(node.owner)},
                {"public_key", base58_encode(node.node_key)},
                {"consensus_key", base58_encode(node.consensus_key)},
                {"domain", node.domain},
                {"ports", ports_json(node.ports)},
                {"staked", amount_text(node.staked)},
                {"locked", amount_text(node.locked)},
                {"stake_locked_until", node.stake_locked_until},
                {"locked_until", node.locked_until},
                {"staked_since", node.staked_since},
                {"participation", ledger::to_string(node.participation)},
                {"nonce", node.nonce}};
}

Json account_json(const crypto::AccountAddress& address, const ledger::AccountInfo& account) {
    Json client_keys = Json::array();
    for (const auto& key : account.client_keys) client_keys.push_back(base58_encode(key));
    return Json{{"address", address.to_string()},
                {"flk", amount_text(account.flk)},
                {"stables", amount_text(account.stables)},
                {"bandwidth", amount_text(account.bandwidth)},
                {"nonce", account.nonce},
                {"client_keys", std::move(client_keys)}};
}

Json committee_member_json(const ledger::CommitteeMember& member) {
    return Json{{"index", member.index},
                {"public_key", member.node_key.to_string()},
                {"consensus_key", member.consensus_key.to_base58()},
                {"domain", member.domain},
                {"ports", ports_json(member.ports)}};
}

Json epoch_info_json(const ledger::EpochInfo& info, const std::vector<ledger::CommitteeMember>& committee) {
    Json members = Json::array();
    for (const auto& member : committee) members.push_back(committee_member_json(member));
    return Json{{"epoch", info.epoch},
                {"epoch_era", info.epoch_era},
                {"start_ms", info.start_ms},
                {"end_ms", info.end_ms},
                {"transition_ms", info.transition_ms},
                {"phase", Json{{"kind", phase_name(info.phase.kind)}, {"round", info.phase.round}, {"start_ms", info.phase.start_ms}}},
                {"committee", std::move(members)}};
}

Json chain_json(const ChainSummary& summary) {
    const ledger::ChainInfo& chain = summary.chain;
    return Json{{"chain_id", chain.chain_id},
                {"genesis_digest", hex_encode(chain.genesis_digest)},
                {"epoch", chain.epoch},
                {"epoch_era", chain.epoch_era},
                {"height", summary.height},
                {"block_timestamp_ms", chain.block_timestamp_ms},
                {"last_block_digest", hex_encode(chain.last_block_digest)},
                {"state_root", hex_encode(summary.state_root)},
                {"flk_supply", amount_text(chain.flk_supply)},
                {"stables_supply", amount_text(chain.stables_supply)},
                {"governance", address_text(chain.governance)},
                {"protocol_fund", address_text(chain.protocol_fund)},
                {"next_node_index", chain.next_node_index}};
}

Json block_json(const ledger::Block& block) {
    Json transactions = Json::array();
    for (const Bytes& bytes : block.transactions) {
        auto decoded = codec::decode<ledger::SignedTransaction>(bytes);
        Json entry = Json::object();
        if (decoded) {
            entry["digest"] = hex_encode(decoded->transaction.digest());
            entry["sender"] = sender_json(decoded->transaction.sender);
            entry["nonce"] = decoded->transaction.nonce;
            entry["method"] = ledger::method_name(decoded->transaction.method);
        } else {
            entry["digest"] = hex_encode(crypto::blake3(bytes));  // as the receipt names it
            entry["sender"] = nullptr;
            entry["nonce"] = nullptr;
            entry["method"] = nullptr;
        }
        entry["encoding"] = hex_encode(bytes);
        transactions.push_back(std::move(entry));
    }
    return Json{{"height", block.height},
                {"epoch", block.epoch ? Json(*block.epoch) : Json(nullptr)},
                {"timestamp_ms", block.timestamp_ms},
                {"digest", hex_encode(block.digest())},
                {"transactions", std::move(transactions)}};
}

Json certificate_json(const ledger::BlockCertificate& certificate) {
    Json signers = Json::array();
    for (size_t i = 0; i < certificate.signers.size(); ++i) {
        if (certificate.signers[i] != 0) signers.push_back(i);
    }
    return Json{{"epoch", certificate.epoch},
                {"height", certificate.height},
                {"block_digest", hex_encode(certificate.block_digest)},
                {"state_root", hex_encode(certificate.state_root)},
                {"committee_size", certificate.signers.size()},
                {"signers", std::move(signers)},
                {"signature", hex_encode(certificate.signature)},
                {"encoding", hex_encode(codec::encode(certificate))}};
}

Json receipt_json(const TransactionLocation& location) {
    const ledger::TransactionReceipt& receipt = location.receipt;
    const bool failed = receipt.status != ledger::ReceiptStatus::success;
    return Json{{"digest", hex_encode(receipt.digest)},
                {"height", location.height},
                {"index", location.index},
                {"status", status_name(receipt.status)},
                {"error", failed ? Json(std::string(ledger::to_string(receipt.error))) : Json(nullptr)},
                {"error_code", static_cast<uint16_t>(receipt.error)},
                {"output", output_json(receipt.output)}};
}

Json state_proof_json(ByteSpan key, const ledger::StateProofResponse& response) {
    Json siblings = Json::array();
    for (const auto& sibling : response.proof.siblings) siblings.push_back(hex_encode(sibling));
    Json terminal = Json{{"kind", "empty"}};
    if (const auto* leaf = std::get_if<ledger::ProofLeaf>(&response.proof.terminal)) {
        terminal = Json{{"kind", "leaf"}, {"path", hex_encode(leaf->path)}, {"value_hash", hex_encode(leaf->value_hash)}};
    }
    return Json{{"root", hex_encode(response.root)},
                {"height", response.height},
                {"key", hex_encode(key)},
                {"value", response.value ? Json(hex_encode(*response.value)) : Json(nullptr)},
                {"proof", Json{{"siblings", std::move(siblings)}, {"terminal", std::move(terminal)}}},
                {"encoding", hex_encode(codec::encode(response.proof))}};
}

Json epoch_totals_json(ledger::Epoch epoch, const ledger::EpochTotals& totals) {
    return Json{{"epoch", epoch},
                {"served_bandwidth", amount_text(totals.served_bandwidth)},
                {"served_compute", amount_text(totals.served_compute)},
                {"served_gpu", amount_text(totals.served_gpu)},
                {"reward_pool", amount_text(totals.reward_pool)},
                {"shortfall", amount_text(totals.shortfall)},
                {"flk_minted", amount_text(totals.flk_minted)}};
}

Json node_served_json(ledger::Epoch epoch, const ledger::NodeServed& served) {
    return Json{{"epoch", epoch},
                {"served_bandwidth", amount_text(served.served_bandwidth)},
                {"served_compute", amount_text(served.served_compute)},
                {"served_gpu", amount_text(served.served_gpu)},
                {"revenue", amount_text(served.revenue)},
                {"shortfall", amount_text(served.shortfall)}};
}

Json measurements_json(const ledger::Measurements& m) {
    const auto optional = [](const auto& value) { return value ? Json(*value) : Json(nullptr); };
    return Json{{"latency_ms", optional(m.latency_ms)},
                {"interactions", m.interactions_value() ? Json(*m.interactions_value()) : Json(nullptr)},
                {"inbound_bandwidth", optional(m.inbound_bandwidth)},
                {"outbound_bandwidth", optional(m.outbound_bandwidth)},
                {"bytes_received", optional(m.bytes_received)},
                {"bytes_sent", optional(m.bytes_sent)},
                {"uptime_percent", optional(m.uptime_percent)}};
}

Json withdraw_json(uint64_t id, const ledger::WithdrawRecord& record) {
    return Json{{"id", id},
                {"epoch", record.epoch},
                {"account", address_text(record.account)},
                {"token", ledger::to_string(record.token)},
                {"receiver", address_text(record.receiver)},
                {"amount", amount_text(record.amount)}};
}

Json protocol_params_json(const ledger::ProtocolParams& params) {
    Json out = Json::object();
    for (uint8_t i = 0; i < ledger::param_id_count; ++i) {
        const auto id = static_cast<ledger::ParamId>(i);
        out[std::string(ledger::to_string(id))] = amount_text(params.get(id));
    }
    return out;
}

void add_view_schemas(Registry& registry) {
    registry.add_schema("Amount", Json{{"type", "string"},
                                       {"pattern", "^(0|[1-9][0-9]*)$"},
                                       {"description",
                                        "Decimal string of base units: FLK 10^-18, stables 10^-6, bandwidth whole units"}});
    registry.add_schema("ConsensusPublicKey",
                        Json{{"type", "string"}, {"pattern", "^[1-9A-HJ-NP-Za-km-z]{100,140}$"}, {"description", "BLS12-381 public key, base58"}});
    registry.add_schema("HexString", Json{{"type", "string"}, {"pattern", "^([0-9a-f]{2})*$"}, {"description", "Bytes, lower-case hex"}});
    registry.add_schema("Participation", Json{{"type", "string"},
                                              {"enum", Json::array({"inactive", "active", "opted_in", "opted_out"})},
                                              {"description",
                                               "active: participating now and next epoch; opted_in: joins at the next "
                                               "epoch change; opted_out: leaves at the next epoch change"}});
    Json port = Json{{"type", "integer"}, {"minimum", 0}, {"maximum", 65535}};
    registry.add_schema("NodePorts", object_schema("The ports a node listens on",
                                                   Json{{"pool", port}, {"pool_quic", port}, {"handshake_http", port},
                                                        {"handshake_tcp", port}, {"rpc", port}, {"dht", port}, {"pinger", port}}));
    registry.add_schema(
        "NodeInfo",
        object_schema("A registered node",
                      Json{{"index", integer_schema("Node index (registration order)")},
                           {"owner", ref_schema("Address")},
                           {"public_key", ref_schema("NodePublicKey")},
                           {"consensus_key", ref_schema("ConsensusPublicKey")},
                           {"domain", string_schema("Host name or IP address")},
                           {"ports", ref_schema("NodePorts")},
                           {"staked", amount_schema("Staked FLK, base units")},
                           {"locked", amount_schema("Unstaked FLK waiting for locked_until, base units")},
                           {"stake_locked_until", integer_schema("Staked FLK cannot be unstaked before this epoch")},
                           {"locked_until", integer_schema("Locked FLK can be withdrawn from this epoch on")},
                           {"staked_since", integer_schema("Epoch of the first stake")},
                           {"participation", ref_schema("Participation")},
                           {"nonce", integer_schema("Nonce of the node's last transaction")}}));
    registry.add_schema("AccountInfo",
                        object_schema("An account",
                                      Json{{"address", ref_schema("Address")},
                                           {"flk", amount_schema("FLK, base units (10^-18)")},
                                           {"stables", amount_schema("Stables, base units (10^-6)")},
                                           {"bandwidth", amount_schema("Bandwidth credits")},
                                           {"nonce", integer_schema("Nonce of the account's last transaction")},
                                           {"client_keys", array_of(Json{{"type", "string"}, {"description", "Approved Ed25519 client key, base58"}})}}));
    registry.add_schema("CommitteeMember", object_schema("A committee member",
                                                         Json{{"index", integer_schema("Node index")},
                                                              {"public_key", ref_schema("NodePublicKey")},
                                                              {"consensus_key", ref_schema("ConsensusPublicKey")},
                                                              {"domain", string_schema("Host name or IP address")},
                                                              {"ports", ref_schema("NodePorts")}}));
    registry.add_schema(
        "EpochInfo",
        object_schema("The current epoch",
                      Json{{"epoch", integer_schema("Epoch number")},
                           {"epoch_era", integer_schema("Bumps when the committee changes inside the epoch")},
                           {"start_ms", integer_schema("Start, Unix milliseconds (block time)")},
                           {"end_ms", integer_schema("Planned end, Unix milliseconds")},
                           {"transition_ms", integer_schema("From here on the committee may signal the epoch change")},
                           {"phase", object_schema("Committee-selection beacon phase",
                                                   Json{{"kind", Json{{"type", "string"}, {"enum", Json::array({"none", "commit", "reveal"})}}},
                                                        {"round", integer_schema("Beacon round")},
                                                        {"start_ms", integer_schema("Block time the phase began")}})},
                           {"committee", array_of(ref_schema("CommitteeMember"))}}));
    registry.add_schema(
        "ChainInfo",
        object_schema("Chain metadata",
                      Json{{"chain_id", integer_schema("Chain id that every transaction names")},
                           {"genesis_digest", ref_schema("Hash")},
                           {"epoch", integer_schema("Current epoch")},
                           {"epoch_era", integer_schema("Committee changes inside the epoch")},
                           {"height", integer_schema("Height of the last executed block")},
                           {"block_timestamp_ms", integer_schema("Time of the last block, Unix milliseconds")},
                           {"last_block_digest", ref_schema("Hash")},
                           {"state_root", ref_schema("Hash")},
                           {"flk_supply", amount_schema("FLK supply, base units")},
                           {"stables_supply", amount_schema("Stables supply, base units")},
                           {"governance", ref_schema("Address")},
                           {"protocol_fund", ref_schema("Address")},
                           {"next_node_index", integer_schema("Index the next registered node gets")}}));
    registry.add_schema(
        "BlockTransaction",
        object_schema("A transaction of a block",
                      Json{{"digest", ref_schema("Hash")},
                           {"sender", nullable(Json{{"type", "object"}, {"description", "{kind: account, address} or {kind: node|consensus, public_key}"}})},
                           {"nonce", nullable(ref_schema("U64"))},
                           {"method", nullable(string_schema("Method name, e.g. Transfer"))},
                           {"encoding", ref_schema("HexString")}}));
    registry.add_schema("Block", object_schema("An executed block",
                                               Json{{"height", integer_schema("Block height")},
                                                    {"epoch", nullable(ref_schema("U64"))},
                                                    {"timestamp_ms", integer_schema("Consensus time, Unix milliseconds")},
                                                    {"digest", ref_schema("Hash")},
                                                    {"transactions", array_of(ref_schema("BlockTransaction"))}}));
    registry.add_schema(
        "BlockCertificate",
        object_schema("2f+1 committee signatures on (epoch, height, block digest, state root), aggregated "
                      "(docs/formats/block-certificate.md)",
                      Json{{"epoch", integer_schema("Epoch of the committee that signed")},
                           {"height", integer_schema("Block height")},
                           {"block_digest", ref_schema("Hash")},
                           {"state_root", ref_schema("Hash")},
                           {"committee_size", integer_schema("Members of the epoch's committee")},
                           {"signers", array_of(integer_schema("Position in the committee of a member that signed"))},
                           {"signature", ref_schema("HexString")},
                           {"encoding", ref_schema("HexString")}}));
    registry.add_schema(
        "TransactionReceipt",
        object_schema("Outcome of an executed transaction",
                      Json{{"digest", ref_schema("Hash")},
                           {"height", integer_schema("Block that executed it")},
                           {"index", integer_schema("Position in the block")},
                           {"status", Json{{"type", "string"},
                                           {"enum", Json::array({"success", "reverted", "rejected"})},
                                           {"description",
                                            "reverted: the nonce was used, nothing else changed; rejected: nothing changed"}}},
                           {"error", nullable(string_schema("Why it reverted or was rejected (ledger TxError name)"))},
                           {"error_code", integer_schema("TxError code (0 on success)")},
                           {"output", nullable(Json{{"type", "object"},
                                                    {"description", "{kind: node_index, node} | {kind: withdraw, withdraw_id} | "
                                                                    "{kind: delivery, units, paid, shortfall, results: [per receipt, in batch order: counted | "
                                                                    "already_claimed | wrong_chain | wrong_node | wrong_epoch | unknown_service | "
                                                                    "client_key_not_approved | bad_signature | session_mismatch | amount_overflow]} | "
                                                                    "{kind: epoch_change, epoch} | {kind: slash, amount}"}})}}));
    registry.add_schema(
        "StateProof",
        object_schema("A state key's value and its proof against the state root (docs/formats/state-tree.md)",
                      Json{{"root", ref_schema("Hash")},
                           {"height", integer_schema("Height of the state")},
                           {"key", ref_schema("HexString")},
                           {"value", nullable(ref_schema("HexString"))},
                           {"proof", object_schema("Sibling hashes from the root down and what was found",
                                                   Json{{"siblings", array_of(ref_schema("Hash"))},
                                                        {"terminal", Json{{"type", "object"}}}})},
                           {"encoding", ref_schema("HexString")}}));
    registry.add_schema("EpochTotals", object_schema("Work served and rewards of one epoch",
                                                     Json{{"epoch", integer_schema("Epoch")},
                                                          {"served_bandwidth", amount_schema("Bandwidth units served")},
                                                          {"served_compute", amount_schema("Compute units served")},
                                                          {"served_gpu", amount_schema("GPU units served")},
                                                          {"reward_pool", amount_schema("Stables collected, paid at the epoch end")},
                                                          {"shortfall", amount_schema("Stables clients owed but could not pay")},
                                                          {"flk_minted", amount_schema("FLK emitted as rewards")}}));
    registry.add_schema("NodeServed", object_schema("Work one node served in one epoch",
                                                    Json{{"epoch", integer_schema("Epoch")},
                                                         {"served_bandwidth", amount_schema("Bandwidth units served")},
                                                         {"served_compute", amount_schema("Compute units served")},
                                                         {"served_gpu", amount_schema("GPU units served")},
                                                         {"revenue", amount_schema("Stables paid by clients for this work")},
                                                         {"shortfall", amount_schema("Stables clients owed but could not pay")}}));
    const Json optional_integer = nullable(ref_schema("U64"));
    registry.add_schema("Measurements",
                        object_schema("What one node measured about a peer this epoch; null: not measured",
                                      Json{{"latency_ms", optional_integer},
                                           {"interactions", nullable(Json{{"type", "integer"}})},
                                           {"inbound_bandwidth", optional_integer},
                                           {"outbound_bandwidth", optional_integer},
                                           {"bytes_received", optional_integer},
                                           {"bytes_sent", optional_integer},
                                           {"uptime_percent", optional_integer}}));
    registry.add_schema("Withdraw", object_schema("A withdrawal waiting for the bridge",
                                                  Json{{"id", integer_schema("Withdraw id")},
                                                       {"epoch", integer_schema("Epoch of the withdrawal")},
                                                       {"account", ref_schema("Address")},
                                                       {"token", Json{{"type", "string"}, {"enum", Json::array({"flk", "stables"})}}},
                                                       {"receiver", ref_schema("Address")},
                                                       {"amount", amount_schema("Base units")}}));
    Json params = Json::object();
    for (uint8_t i = 0; i < ledger::param_id_count; ++i) {
        params[std::string(ledger::to_string(static_cast<ledger::ParamId>(i)))] = ref_schema("Amount");
    }
    Json protocol = object_schema("Protocol parameters as decimal strings (docs/formats/ledger-state.md)", params);
    protocol.erase("required");  // flk_get_protocol_params with a key answers that one only
    registry.add_schema("ProtocolParams", std::move(protocol));
}

}  // namespace fleek::rpc
