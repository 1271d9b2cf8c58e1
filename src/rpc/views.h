// JSON views of ledger records, as the RPC methods return them (docs/rpc.md §Types): amounts
// are decimal strings of base units, hashes lower-case hex without 0x, node and consensus keys
// base58, addresses 0x EIP-55. The shared schemas that describe them are added to a registry by
// add_view_schemas().
#pragma once

#include "ledger/block.h"
#include "ledger/block_certificate.h"
#include "ledger/ledger.h"
#include "rpc/backend.h"
#include "rpc/registry.h"

namespace fleek::rpc {

std::string amount_text(const U256& amount);
std::string address_text(const ledger::AddressBytes& address);

Json ports_json(const ledger::NodePorts& ports);
Json node_json(ledger::NodeIndex index, const ledger::NodeInfo& node);
Json account_json(const crypto::AccountAddress& address, const ledger::AccountInfo& account);
Json committee_member_json(const ledger::CommitteeMember& member);
Json epoch_info_json(const ledger::EpochInfo& info, const std::vector<ledger::CommitteeMember>& committee);
Json chain_json(const ChainSummary& summary);
Json block_json(const ledger::Block& block);
Json certificate_json(const ledger::BlockCertificate& certificate);
Json receipt_json(const TransactionLocation& location);
Json state_proof_json(ByteSpan key, const ledger::StateProofResponse& proof);
Json epoch_totals_json(ledger::Epoch epoch, const ledger::EpochTotals& totals);
Json node_served_json(ledger::Epoch epoch, const ledger::NodeServed& served);
Json measurements_json(const ledger::Measurements& measurements);
Json withdraw_json(uint64_t id, const ledger::WithdrawRecord& record);
Json protocol_params_json(const ledger::ProtocolParams& params);

// The schemas above under their component names (NodeInfo, AccountInfo, Block, ...).
void add_view_schemas(Registry& registry);

}  // namespace fleek::rpc
