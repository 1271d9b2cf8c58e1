// The client admission check: approval, service, and stables against the node's unexecuted
// receipts plus one window, with costs bounded above by what the ledger will charge.
#include "edge/delivery_admission.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

// What SubmitDeliveryAcknowledgments charges for `units` more after `claimed` (executor.cpp):
// ⌊(claimed + units) × price / 10^6⌋ − ⌊claimed × price / 10^6⌋.
U256 ledger_due(uint64_t claimed, uint64_t units, const U256& price) {
    const U256 million(1'000'000);
    return *checked_mul_div(U256(claimed) + units, price, million) - *checked_mul_div(U256(claimed), price, million);
}

TEST(DeliveryAdmission, CostBoundIsTheLedgersChargeRoundedUp) {
    EXPECT_EQ(cost_bound(0, 100), U256(0));
    EXPECT_EQ(cost_bound(1'000'000, 100), U256(100));
    EXPECT_EQ(cost_bound(1, 100), U256(1));          // 0.0001 rounds up
    EXPECT_EQ(cost_bound(4 << 20, 100), U256(420));  // 419.4304
    EXPECT_EQ(cost_bound(2'000'000, ~U256(0)), std::nullopt);
    EXPECT_EQ(cost_bound(1'000'000, ~U256(0)), ~U256(0));
    // Whatever the session claimed before, the ledger charges at most the bound, and at most one
    // base unit less.
    const U256 prices[] = {1, 7, 100, 999'999, 1'000'001, U256(123'456'789) * 1'000'003};
    const uint64_t amounts[] = {0, 1, 999'999, 1'000'000, 4'194'304, 123'456'789'012};
    for (const U256& price : prices) {
        for (const uint64_t claimed : amounts) {
            for (const uint64_t units : amounts) {
                const U256 bound = cost_bound(units, price).value();
                const U256 due = ledger_due(claimed, units, price);
                EXPECT_LE(due, bound) << claimed << " + " << units << " at " << price;
                EXPECT_LE(bound - due, U256(1)) << claimed << " + " << units << " at " << price;
            }
        }
    }
}

TEST(DeliveryAdmission, ClientCanCoverCountsUnexecutedReceiptsAndOneWindow) {
    // 100 per 10^6 units: 3 M unexecuted (300) and a 1 M window (100) need 400.
    EXPECT_TRUE(client_can_cover(400, 100, 3'000'000, 1'000'000));
    EXPECT_FALSE(client_can_cover(399, 100, 3'000'000, 1'000'000));
    EXPECT_TRUE(client_can_cover(100, 100, 0, 1'000'000));
    EXPECT_FALSE(client_can_cover(0, 100, 0, 1));
    EXPECT_TRUE(client_can_cover(0, 0, 5'000'000, 1'000'000));  // a free service
    EXPECT_FALSE(client_can_cover(~U256(0), ~U256(0), 1'000'000, 1'000'000));  // the sum does not fit
}

class FundsView final : public ClientFundsView {
public:
    std::optional<U256> approved_client_stables(const ledger::ClientKeyBytes& key) const override {
        auto it = stables.find(key);
        if (it == stables.end()) return std::nullopt;
        return it->second;
    }
    std::optional<U256> service_price(ledger::ServiceId service) const override {
        auto it = prices.find(service);
        if (it == prices.end()) return std::nullopt;
        return it->second;
    }
    std::map<ledger::ClientKeyBytes, U256> stables;
    std::map<ledger::ServiceId, U256> prices{{0, 100}, {1, 5'000'000}};
};

TEST(DeliveryAdmission, RefusesWithTheReason) {
    FundsView view;
    ledger::ClientKeyBytes client{};
    client.fill(7);
    constexpr uint64_t window = 4 << 20;  // 420 at service 0
    EXPECT_EQ(check_client_admission(view, client, 0, {}, window).error(), AdmissionRefusal::client_key_not_approved);
    view.stables[client] = 1'000;
    EXPECT_EQ(check_client_admission(view, client, 9, {}, window).error(), AdmissionRefusal::unknown_service);
    EXPECT_TRUE(check_client_admission(view, client, 0, {}, window).has_value());
    // Unexecuted receipts of every service count at their own price: 100 units of service 1
    // cost 500, so 420 + 500 + 81 (800,001 units of service 0 round up) = 1,001 > 1,000.
    EXPECT_TRUE(check_client_admission(view, client, 0, {{1, 100}}, window).has_value());
    EXPECT_EQ(check_client_admission(view, client, 0, {{0, 800'001}, {1, 100}}, window).error(), AdmissionRefusal::insufficient_funds);
    EXPECT_TRUE(check_client_admission(view, client, 0, {{0, 800'000}, {1, 100}}, window).has_value());
    // Receipts of a removed service are refused by the ledger, so they cost nothing.
    EXPECT_TRUE(check_client_admission(view, client, 0, {{3, 1'000'000'000}}, window).has_value());
    // A client that moved its funds away is refused the next window.
    view.stables[client] = 419;
    EXPECT_EQ(check_client_admission(view, client, 0, {}, window).error(), AdmissionRefusal::insufficient_funds);
}

}  // namespace
}  // namespace fleek::edge
