#include "ledger/rewards.h"

#include "util/assert.h"

#include <algorithm>

namespace fleek::ledger {

U256 epoch_emission(const ProtocolParams& params, const U256& supply_year_start) {
    return supply_year_start * params.max_inflation_bps / 10'000 / params.epochs_per_year;
}

uint64_t stake_boost_milli(const ProtocolParams& params, Epoch epoch, Epoch stake_locked_until) {
    const uint64_t remaining = stake_locked_until > epoch ? stake_locked_until - epoch : 0;
    const uint64_t capped = std::min(remaining, params.max_stake_lock_time_epochs);
    const uint64_t extra = static_cast<uint64_t>(params.max_boost - 1) * 1000;
    // extra ≤ 999,000 and capped ≤ max_lock: compute in U256 to rule out overflow.
    const U256 boost = U256(extra) * capped / params.max_stake_lock_time_epochs;
    return 1000 + static_cast<uint64_t>(boost);
}

RewardPlan plan_rewards(const ProtocolParams& params, Epoch epoch, const U256& supply_year_start, const U256& pool,
                        const std::vector<NodeRevenue>& nodes, const std::vector<ServiceRevenueEntry>& services,
                        const AddressBytes& protocol_fund) {
    RewardPlan plan;
    if (pool == 0) return plan;
    const U256 emission = epoch_emission(params, supply_year_start);
    const U256 node_emission = emission * params.node_share_percent / 100;
    const U256 service_emission = emission * params.service_builder_share_percent / 100;

    U256 total_weight = 0;
    for (const NodeRevenue& node : nodes) {
        total_weight += node.revenue * stake_boost_milli(params, epoch, node.stake_locked_until);
    }
    U256 flk_paid = 0;
    U256 stables_paid = 0;
    for (const NodeRevenue& node : nodes) {
        if (node.revenue == 0) continue;
        Payout payout;
        payout.to = node.owner;
        const U256 weight = node.revenue * stake_boost_milli(params, epoch, node.stake_locked_until);
        payout.flk = total_weight == 0 ? U256(0) : node_emission * weight / total_weight;
        payout.stables = node.revenue * params.node_share_percent / 100;
        flk_paid += payout.flk;
        stables_paid += payout.stables;
        plan.payouts.push_back(payout);
    }
    for (const ServiceRevenueEntry& service : services) {
        if (service.revenue == 0 || !service.owner) continue;
        Payout payout;
        payout.to = *service.owner;
        payout.flk = service_emission * service.revenue / pool;
        payout.stables = service.revenue * params.service_builder_share_percent / 100;
        flk_paid += payout.flk;
        stables_paid += payout.stables;
        plan.payouts.push_back(payout);
    }
    // Shares add to at most 100 %, so what was paid never exceeds what there is.
    FLEEK_ASSERT(flk_paid <= emission && stables_paid <= pool);
    plan.payouts.push_back(Payout{protocol_fund, emission - flk_paid, pool - stables_paid});
    plan.flk_minted = emission;
    plan.stables_paid = pool;
    return plan;
}

}  // namespace fleek::ledger
