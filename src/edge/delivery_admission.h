// Whether a client may open (or continue) a paid delivery session: its key is approved and its
// account's stables cover what the node's unexecuted receipts of it will cost plus one more
// receipt window (docs/formats/delivery-receipts.md §Client funds and the node's risk).
//
// A bound of one window, not a reservation: the node serves at most one window beyond what the
// client's stables cover, counting its receipts not yet executed; a client that revokes its key
// or moves its funds after receiving costs the node at most one window (the ledger records the
// shortfall). The session checks again before each window.
#pragma once

#include "ledger/types.h"
#include "util/result.h"

#include <cstdint>
#include <map>
#include <optional>

namespace fleek::edge {

// What admission reads of the ledger (the node wires it to a ledger snapshot).
class ClientFundsView {
public:
    virtual ~ClientFundsView() = default;
    // The stables of the account that approved `client_key`; nullopt when no account did.
    virtual std::optional<U256> approved_client_stables(const ledger::ClientKeyBytes& client_key) const = 0;
    // The service's price_per_million_units; nullopt when the service does not exist.
    virtual std::optional<U256> service_price(ledger::ServiceId service) const = 0;
};

enum class AdmissionRefusal : uint8_t {
    client_key_not_approved,  // no account approved the client key
    unknown_service,          // the session's service does not exist
    insufficient_funds,       // stables do not cover the unexecuted receipts and one window
};
const char* to_string(AdmissionRefusal refusal);

// An upper bound of what `units` more of a service cost on the ledger, whatever the session had
// claimed before: ⌈units × price / 10^6⌉ (the ledger's floors of the cumulative amount differ
// from ⌊units × price / 10^6⌋ by less than one). nullopt when it does not fit 256 bits.
std::optional<U256> cost_bound(uint64_t units, const U256& price_per_million_units);

// True when `stables` cover the cost of `unexecuted_units` already served and `window_units` to
// serve next, at `price_per_million_units`. Pure.
bool client_can_cover(const U256& stables, const U256& price_per_million_units, uint64_t unexecuted_units, uint64_t window_units);

// The admission check of a session of `service` for `client_key`: `unexecuted_units` is
// DeliveryAggregator::unexecuted_units(client_key) (every service the client used with this
// node, each at its own price; a service that no longer exists costs nothing, as the ledger
// refuses its receipts).
Result<void, AdmissionRefusal> check_client_admission(const ClientFundsView& ledger, const ledger::ClientKeyBytes& client_key,
                                                      ledger::ServiceId service,
                                                      const std::map<ledger::ServiceId, uint64_t>& unexecuted_units,
                                                      uint64_t window_units);

}  // namespace fleek::edge
