#include "ledger/rewards.h"

#include "util/assert.h"

#include <algorithm>

namespace fleek::ledger {

namespace {

// Node weights are revenue (< 2^256) × boost (≤ 10^6 < 2^20), summed over ≤ 2^32 nodes: < 2^308;
// a weight times the node emission (< 2^256) stays below 2^564.
using U768 = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
    768, 768, boost::multiprecision::unsigned_magnitude, boost::multiprecision::unchecked, void>>;

// ⌊amount × part / whole⌋ with part ≤ whole: at most `amount`, so it fits.
U256 share(const U256& amount, const U256& part, const U256& whole) {
    auto value = checked_mul_div(amount, part, whole);
    FLEEK_ASSERT(value.has_value());
    return *value;
}

U256 percent(const U256& amount, uint64_t percent_value) { return share(amount, percent_value, 100); }

}  // namespace

U256 epoch_emission(const ProtocolParams& params, const U256& supply_year_start, const U256& supply) {
    const U256 yearly = share(supply_year_start, params.max_inflation_bps, 10'000);  // bps ≤ 10,000
    const U256 emission = yearly / params.epochs_per_year;
    const U256 headroom = ~U256(0) - supply;
    return std::min(emission, headroom);
}

uint64_t stake_boost_milli(const ProtocolParams& params, Epoch epoch, Epoch stake_locked_until) {
    const uint64_t remaining = stake_locked_until > epoch ? stake_locked_until - epoch : 0;
    const uint64_t capped = std::min(remaining, params.max_stake_lock_time_epochs);
    const uint64_t extra = static_cast<uint64_t>(params.max_boost - 1) * 1000;
    // extra ≤ 999,000 and capped ≤ max_lock: compute in U256 to rule out overflow.
    const U256 boost = U256(extra) * capped / params.max_stake_lock_time_epochs;
    return 1000 + static_cast<uint64_t>(boost);
}

RewardPlan plan_rewards(const ProtocolParams& params, Epoch epoch, const U256& supply_year_start, const U256& supply,
                        const U256& pool, const std::vector<NodeRevenue>& nodes,
                        const std::vector<ServiceRevenueEntry>& services, const AddressBytes& protocol_fund) {
    RewardPlan plan;
    if (pool == 0) return plan;
    const U256 emission = epoch_emission(params, supply_year_start, supply);
    const U256 node_emission = percent(emission, params.node_share_percent);
    const U256 service_emission = percent(emission, params.service_builder_share_percent);

    const auto weight_of = [&](const NodeRevenue& node) {
        return U768(node.revenue) * stake_boost_milli(params, epoch, node.stake_locked_until);
    };
    U768 total_weight = 0;
    for (const NodeRevenue& node : nodes) total_weight += weight_of(node);
    U256 flk_paid = 0;
    U256 stables_paid = 0;
    for (const NodeRevenue& node : nodes) {
        if (node.revenue == 0) continue;
        Payout payout;
        payout.to = node.owner;
        // weight ≤ total_weight, so the quotient is at most node_emission.
        payout.flk = total_weight == 0 ? U256(0) : static_cast<U256>(U768(node_emission) * weight_of(node) / total_weight);
        payout.stables = percent(node.revenue, params.node_share_percent);
        flk_paid += payout.flk;
        stables_paid += payout.stables;
        plan.payouts.push_back(payout);
    }
    for (const ServiceRevenueEntry& service : services) {
        if (service.revenue == 0 || !service.owner) continue;
        Payout payout;
        payout.to = *service.owner;
        payout.flk = share(service_emission, service.revenue, pool);  // revenue_s ≤ pool
        payout.stables = percent(service.revenue, params.service_builder_share_percent);
        flk_paid += payout.flk;
        stables_paid += payout.stables;
        plan.payouts.push_back(payout);
    }
    // Shares add to at most 100 %, so what was paid never exceeds what there is (and the sums,
    // bounded by emission and pool, do not wrap).
    FLEEK_ASSERT(flk_paid <= emission && stables_paid <= pool);
    plan.payouts.push_back(Payout{protocol_fund, emission - flk_paid, pool - stables_paid});
    plan.flk_minted = emission;
    plan.stables_paid = pool;
    return plan;
}

}  // namespace fleek::ledger
