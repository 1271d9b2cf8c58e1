#include "rpc/methods_services.h"
#include "rpc/schema.h"

#include "ledger/reader.h"
#include "rpc/views.h"

#include <fmt/format.h>

#include <limits>

namespace fleek::rpc {

namespace {


RpcError unknown_service(uint64_t id) {
    return RpcError::make(ErrorCode::not_found, fmt::format("no service has the id {}", id), Json{{"reason", "unknown_service"}});
}

}  // namespace

void add_service_methods(Registry& r) {
    r.add_schema("Service",
                 Json{{"type", "object"},
                      {"description", "A service registered on the ledger: who is paid, for what commodity, at what price"},
                      {"properties",
                       {{"id", ref_schema("U64")},
                        {"owner", ref_schema("Address")},
                        {"commodity", Json{{"type", "string"}, {"enum", Json::array({"bandwidth", "compute", "gpu"})}}},
                        {"price_per_million_units",
                         Json{{"$ref", "#/components/schemas/Amount"},
                              {"description",
                               "Stables base units (10^-6) a client pays for 10^6 units of the commodity; a delivery of n "
                               "units costs floor(n × price / 10^6) (docs/formats/delivery-receipts.md)"}}}}},
                      {"required", Json::array({"id", "owner", "commodity", "price_per_million_units"})},
                      {"additionalProperties", false}});
    r.add({.name = "flk_get_service",
           .summary = "A service's owner, commodity and price",
           .description = "What clients pay for the service's commodity, from the committed state. An id no service "
                          "has is error -32003 with data.reason unknown_service.",
           .params = {{"service_id", ParamType::u64, true, "Service id (the genesis [[services]] id, e.g. 0 for bandwidth)", {}}},
           .result = {"service", "The service", ref_schema("Service")},
           .examples = {},
           .errors = {ErrorCode::not_found},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const std::shared_ptr<const ledger::LedgerSnapshot> snapshot = context.backend.ledger_snapshot();
               if (!snapshot) return fail(RpcError::make(ErrorCode::internal_error, "the node did not provide its ledger"));
               const uint64_t id = params.required<uint64_t>("service_id");
               if (id > std::numeric_limits<ledger::ServiceId>::max()) return fail(unknown_service(id));
               const auto service = snapshot->service(static_cast<ledger::ServiceId>(id));
               if (!service) return fail(unknown_service(id));
               return Json{{"id", id},
                           {"owner", address_text(service->owner)},
                           {"commodity", ledger::to_string(service->commodity)},
                           {"price_per_million_units", amount_text(service->price_per_million_units)}};
           }});
    r.add({.name = "flk_get_client_key_owner",
           .summary = "The account that approved a client key",
           .description = "Deliveries acknowledged with the client key are charged to this account's stables "
                          "(ApproveClientKey). Null when no account approved the key.",
           .params = {{"client_key", ParamType::client_key, true, "Client public key (base58 Ed25519)", {}}},
           .result = {"address", "The approving account, or null", Json{{"oneOf", Json::array({ref_schema("Address"), Json{{"type", "null"}}})}}},
           .examples = {},
           .errors = {},
           .handler = [](Context& context, const Params& params) -> Result<Json, RpcError> {
               const std::shared_ptr<const ledger::LedgerSnapshot> snapshot = context.backend.ledger_snapshot();
               if (!snapshot) return fail(RpcError::make(ErrorCode::internal_error, "the node did not provide its ledger"));
               const auto owner = snapshot->client_key_owner(params.required<crypto::ClientPublicKey>("client_key"));
               return owner ? Json(owner->to_string()) : Json(nullptr);
           }});
}

}  // namespace fleek::rpc
