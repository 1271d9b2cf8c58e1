// flk cost BYTES|HASH [--service ID]: what delivering that many bytes (or the content of a
// BLAKE3 hash, its length from the node's gateway) costs a client at the service's on-chain
// price, computed as the ledger charges it (docs/formats/delivery-receipts.md).
#pragma once

#include "apps/flk/content_commands.h"
#include "apps/flk/rpc_client.h"
#include "util/u256.h"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace fleek::flk {

struct CostCommand {
    std::string what;         // BYTES (decimal) or a BLAKE3 hash (64 hex digits)
    uint64_t service_id = 0;  // the genesis bandwidth service
    bool json_output = false;
    CLI::App* command = nullptr;
};

// The stables base units the ledger charges for `units` delivered at `price_per_million_units`:
// ⌊units × price / 10^6⌋, with the function the executor uses (ledger/executor.cpp,
// SubmitDeliveryAcknowledgments). nullopt when it does not fit 256 bits.
std::optional<U256> delivery_cost(uint64_t units, const U256& price_per_million_units);

struct ServicePrice {
    U256 price_per_million_units;
    std::string commodity;
};
// A service's on-chain price (flk_get_service), checked.
Result<ServicePrice, std::string> fetch_service_price(RpcClient& client, uint64_t service_id);

// Declares `cost` on `app`; the returned state must outlive parsing and running.
std::shared_ptr<CostCommand> add_cost_command(CLI::App& app);
// Runs `cost` if it was selected: prices from the JSON-RPC API at `rpc_url`, content lengths
// from the gateway of `content.node_url`.
std::optional<int> run_cost_command(const CostCommand& cost, const std::string& rpc_url, const ContentOptions& content);

}  // namespace fleek::flk
