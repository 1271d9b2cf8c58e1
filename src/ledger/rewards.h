// Epoch rewards (lightning.md §3.8, in integer arithmetic; docs/formats/ledger-state.md §Rewards).
//
// The stables that clients paid during the epoch (the reward pool) are paid out, and FLK is
// emitted, only when the pool is not empty:
//
//   E          = supply_year_start × max_inflation_bps / 10000 / epochs_per_year   (FLK minted)
//   boost_i    = 1000 + (max_boost − 1) × 1000 × min(lock_i, max_lock) / max_lock   (milli)
//                where lock_i = epochs left of the node's stake lock
//   w_i        = revenue_i × boost_i
//   node i     FLK  E × node_share / 100 × w_i / Σw
//              stables revenue_i × node_share / 100
//   service s  FLK  E × service_share / 100 × revenue_s / pool
//              stables revenue_s × service_share / 100
//   protocol   FLK  E − everything above;  stables  pool − everything above
//
// Every division truncates and the protocol fund takes what truncation leaves, so exactly E FLK
// is minted and exactly the pool is paid out. Products are exact (computed in 512 or 768 bits,
// never wrapping); every quotient is at most the amount it is a share of, so it fits 256 bits.
// E is capped at 2^256 − 1 − supply, so the FLK supply itself never overflows.
#pragma once

#include "ledger/types.h"

#include <vector>

namespace fleek::ledger {

struct NodeRevenue {
    NodeIndex node = 0;
    AddressBytes owner{};
    U256 revenue = 0;
    Epoch stake_locked_until = 0;
};

struct ServiceRevenueEntry {
    ServiceId service = 0;
    std::optional<AddressBytes> owner;  // nullopt: the service was removed; its share goes to the fund
    U256 revenue = 0;
};

struct Payout {
    AddressBytes to{};
    U256 flk = 0;
    U256 stables = 0;
};

struct RewardPlan {
    std::vector<Payout> payouts;  // nodes by index, services by id, then the protocol fund
    U256 flk_minted = 0;
    U256 stables_paid = 0;
};

// E for an epoch, given the supply at the start of the year and the current supply (the cap).
U256 epoch_emission(const ProtocolParams& params, const U256& supply_year_start, const U256& supply);

// `nodes` sorted by index, `services` by id; Σ node revenue and Σ service revenue both equal pool.
RewardPlan plan_rewards(const ProtocolParams& params, Epoch epoch, const U256& supply_year_start, const U256& supply,
                        const U256& pool, const std::vector<NodeRevenue>& nodes,
                        const std::vector<ServiceRevenueEntry>& services, const AddressBytes& protocol_fund);

// The reward boost of a stake locked until `stake_locked_until`, in thousandths.
uint64_t stake_boost_milli(const ProtocolParams& params, Epoch epoch, Epoch stake_locked_until);

}  // namespace fleek::ledger
