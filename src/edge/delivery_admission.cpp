#include "edge/delivery_admission.h"

namespace fleek::edge {

namespace {

constexpr uint64_t million = 1'000'000;

// a + b, nullopt when either is nullopt or the sum does not fit.
std::optional<U256> add(const std::optional<U256>& a, const std::optional<U256>& b) {
    if (!a || !b) return std::nullopt;
    return checked_add(*a, *b);
}

}  // namespace

const char* to_string(AdmissionRefusal refusal) {
    switch (refusal) {
        case AdmissionRefusal::client_key_not_approved: return "client_key_not_approved";
        case AdmissionRefusal::unknown_service: return "unknown_service";
        case AdmissionRefusal::insufficient_funds: return "insufficient_funds";
    }
    return "unknown";
}

std::optional<U256> cost_bound(uint64_t units, const U256& price_per_million_units) {
    const auto floor = checked_mul_div(U256(units), price_per_million_units, U256(million));
    if (!floor) return std::nullopt;
    // units × price mod 10^6, from the factors' residues (each < 10^6, so the product fits 64 bits).
    const uint64_t price_residue = static_cast<uint64_t>(price_per_million_units % million);
    const bool exact = (units % million) * price_residue % million == 0;
    return exact ? floor : checked_add(*floor, U256(1));
}

bool client_can_cover(const U256& stables, const U256& price_per_million_units, uint64_t unexecuted_units, uint64_t window_units) {
    const auto due = add(cost_bound(unexecuted_units, price_per_million_units), cost_bound(window_units, price_per_million_units));
    return due && *due <= stables;
}

Result<void, AdmissionRefusal> check_client_admission(const ClientFundsView& ledger, const ledger::ClientKeyBytes& client_key,
                                                      ledger::ServiceId service,
                                                      const std::map<ledger::ServiceId, uint64_t>& unexecuted_units,
                                                      uint64_t window_units) {
    const std::optional<U256> stables = ledger.approved_client_stables(client_key);
    if (!stables) return fail(AdmissionRefusal::client_key_not_approved);
    const std::optional<U256> price = ledger.service_price(service);
    if (!price) return fail(AdmissionRefusal::unknown_service);
    std::optional<U256> due = cost_bound(window_units, *price);
    for (const auto& [used_service, units] : unexecuted_units) {
        const std::optional<U256> used_price = used_service == service ? price : ledger.service_price(used_service);
        if (!used_price) continue;  // a removed service: the ledger refuses its receipts, nothing is charged
        due = add(due, cost_bound(units, *used_price));
    }
    if (!due || *due > *stables) return fail(AdmissionRefusal::insufficient_funds);
    return {};
}

}  // namespace fleek::edge
