#include "ledger/epoch.h"

#include "ledger/prng.h"
#include "ledger/reputation.h"
#include "ledger/rewards.h"
#include "ledger/unlocks.h"

#include <algorithm>
#include <map>

namespace fleek::ledger {

namespace {

void erase_sorted(std::vector<NodeIndex>& list, NodeIndex index) {
    auto it = std::lower_bound(list.begin(), list.end(), index);
    if (it != list.end() && *it == index) list.erase(it);
}

// Erases every entry under `prefix`.
void clear_prefix(TypedState& state, const Bytes& prefix) {
    std::vector<Bytes> keys;
    state.view().scan(prefix, [&](ByteSpan key, ByteSpan) {
        keys.emplace_back(key.begin(), key.end());
        return true;
    });
    for (const Bytes& key : keys) state.erase(key);
}

void credit(TypedState& state, const AddressBytes& to, const U256& flk, const U256& stables) {
    if (flk == 0 && stables == 0) return;
    AccountInfo account = state.account(to);
    account.flk += flk;
    account.stables += stables;
    state.set_account(to, account);
}

void update_reputation(TypedState& state, const ChainInfo& chain, const ProtocolParams& params) {
    ReputationInputs inputs;
    inputs.min_num_measurements = params.min_num_measurements;
    inputs.trust_weight_percent = params.trust_weight_percent;
    inputs.pre_trusted = chain.genesis_committee;
    state.view().scan(tables::prefix(tables::Table::measurement), [&](ByteSpan key, ByteSpan value) {
        auto measurements = codec::decode<Measurements>(value);
        if (key.size() != 9 || !measurements) {
            state.view().mark_failed();
            return false;
        }
        inputs.reports.push_back(ReportInput{tables::read_u32_be(key, 1), tables::read_u32_be(key, 5), *measurements});
        return true;
    });
    state.view().scan(tables::prefix(tables::Table::reputation), [&](ByteSpan key, ByteSpan value) {
        auto score = codec::decode<ReputationScore>(value);
        if (key.size() != 5 || !score) {
            state.view().mark_failed();
            return false;
        }
        inputs.old_scores[tables::read_u32_be(key, 1)] = score->score;
        return true;
    });
    for (const ReputationUpdate& update : compute_reputation(inputs)) {
        auto node = state.node(update.node);
        if (!node) continue;  // reports name existing nodes only; nodes are never deleted
        state.put(tables::reputation(update.node),
                  ReputationScore{update.score, update.uptime_percent, update.trust, chain.epoch});
        if (update.uptime_percent && *update.uptime_percent < uptime_participation_min &&
            node->participation != Participation::inactive) {
            node->participation = Participation::inactive;
            state.set_node(update.node, *node);
        }
    }
    clear_prefix(state, tables::prefix(tables::Table::measurement));
    clear_prefix(state, tables::prefix(tables::Table::measurement_count));
}

void apply_participation_changes(TypedState& state) {
    std::vector<std::pair<NodeIndex, NodeInfo>> changed;
    state.view().scan(tables::prefix(tables::Table::node), [&](ByteSpan key, ByteSpan value) {
        auto node = codec::decode<NodeInfo>(value);
        if (key.size() != 5 || !node) {
            state.view().mark_failed();
            return false;
        }
        if (node->participation == Participation::opted_in) {
            node->participation = Participation::active;
            changed.emplace_back(tables::read_u32_be(key, 1), *node);
        } else if (node->participation == Participation::opted_out) {
            node->participation = Participation::inactive;
            changed.emplace_back(tables::read_u32_be(key, 1), *node);
        }
        return true;
    });
    for (const auto& [index, node] : changed) state.set_node(index, node);
}

void distribute_rewards(TypedState& state, ChainInfo& chain, const ProtocolParams& params) {
    const Epoch epoch = chain.epoch;
    EpochTotals totals = state.get<EpochTotals>(tables::epoch_totals(epoch)).value_or(EpochTotals{});
    std::vector<NodeRevenue> nodes;
    state.view().scan(tables::node_served_prefix(epoch), [&](ByteSpan key, ByteSpan value) {
        auto served = codec::decode<NodeServed>(value);
        if (key.size() != 13 || !served) {
            state.view().mark_failed();
            return false;
        }
        nodes.push_back(NodeRevenue{tables::read_u32_be(key, 9), {}, served->revenue, 0});
        return true;
    });
    for (NodeRevenue& entry : nodes) {
        auto node = state.node(entry.node);
        if (!node) {
            state.view().mark_failed();
            return;
        }
        entry.owner = node->owner;
        entry.stake_locked_until = node->stake_locked_until;
    }
    std::vector<ServiceRevenueEntry> services;
    state.view().scan(tables::service_revenue_prefix(epoch), [&](ByteSpan key, ByteSpan value) {
        if (key.size() != 13 || value.size() != 32) {
            state.view().mark_failed();
            return false;
        }
        services.push_back(ServiceRevenueEntry{tables::read_u32_be(key, 9), std::nullopt,
                                               u256_from_le_bytes(std::span<const uint8_t, 32>(value.data(), 32))});
        return true;
    });
    for (ServiceRevenueEntry& entry : services) {
        if (auto service = state.get<Service>(tables::service(entry.service))) entry.owner = service->owner;
    }
    const RewardPlan plan =
        plan_rewards(params, epoch, chain.flk_supply_year_start, chain.flk_supply, totals.reward_pool, nodes, services,
                     chain.protocol_fund);
    for (const Payout& payout : plan.payouts) credit(state, payout.to, payout.flk, payout.stables);
    chain.flk_supply += plan.flk_minted;
    totals.flk_minted = plan.flk_minted;
    totals.reward_pool -= plan.stables_paid;
    state.put(tables::epoch_totals(epoch), totals);
    if ((epoch + 1) % params.epochs_per_year == 0) chain.flk_supply_year_start = chain.flk_supply;
}

void prune_content_of_inactive_nodes(TypedState& state) {
    std::vector<NodeIndex> inactive;
    state.view().scan(tables::prefix(tables::Table::node), [&](ByteSpan key, ByteSpan value) {
        auto node = codec::decode<NodeInfo>(value);
        if (key.size() != 5 || !node) {
            state.view().mark_failed();
            return false;
        }
        if (node->participation == Participation::inactive) inactive.push_back(tables::read_u32_be(key, 1));
        return true;
    });
    for (const NodeIndex index : inactive) {
        std::vector<Hash32> contents;
        state.view().scan(tables::content_by_node_prefix(index), [&](ByteSpan key, ByteSpan) {
            Hash32 content{};
            std::copy_n(key.begin() + 5, 32, content.begin());
            contents.push_back(content);
            return true;
        });
        for (const Hash32& content : contents) {
            state.erase(tables::content_by_node(index, content));
            state.erase(tables::content_by_hash(content, index));
        }
    }
}

// Deletes the entries of a table keyed by epoch first (table ‖ epoch u64 BE ‖ …) whose epoch is
// below `below`. Older epochs went at earlier changes, so the scan stops at the first kept key.
void prune_epoch_keyed(TypedState& state, tables::Table table, Epoch below) {
    std::vector<Bytes> keys;
    state.view().scan(tables::prefix(table), [&](ByteSpan key, ByteSpan) {
        if (key.size() < 9) {
            state.view().mark_failed();
            return false;
        }
        if (tables::read_u64_be(key, 1) >= below) return false;
        keys.emplace_back(key.begin(), key.end());
        return true;
    });
    for (const Bytes& key : keys) state.erase(key);
}

// Withdrawals are keyed by id; ids grow with time, so their epochs never decrease.
void prune_withdraws(TypedState& state, Epoch below) {
    std::vector<Bytes> keys;
    state.view().scan(tables::prefix(tables::Table::withdraw), [&](ByteSpan key, ByteSpan value) {
        auto record = codec::decode<WithdrawRecord>(value);
        if (!record) {
            state.view().mark_failed();
            return false;
        }
        if (record->epoch >= below) return false;
        keys.emplace_back(key.begin(), key.end());
        return true;
    });
    for (const Bytes& key : keys) state.erase(key);
}

// Keeps the per-epoch records of the last record_retention_epochs epochs, counting the one that
// starts (ledger-state.md §Record retention); moves chain.oldest_record_epoch forward.
void prune_old_records(TypedState& state, ChainInfo& chain, const ProtocolParams& params, Epoch starting_epoch) {
    const uint64_t kept = params.record_retention_epochs;
    const Epoch window_start = starting_epoch >= kept ? starting_epoch - kept + 1 : 0;
    if (window_start <= chain.oldest_record_epoch) return;
    for (const tables::Table table : {tables::Table::committee, tables::Table::node_served, tables::Table::epoch_totals,
                                      tables::Table::service_revenue, tables::Table::slash}) {
        prune_epoch_keyed(state, table, window_start);
    }
    prune_withdraws(state, window_start);
    chain.oldest_record_epoch = window_start;
}

}  // namespace

bool is_participating(const NodeInfo& node, const ProtocolParams& params) {
    return node.staked >= params.min_stake &&
           (node.participation == Participation::active || node.participation == Participation::opted_out);
}

Hash32 beacon_output(Epoch epoch, uint64_t round, const std::vector<RevealedValue>& reveals) {
    codec::Writer w;
    w.u64(epoch);
    w.u64(round);
    w.u32(static_cast<uint32_t>(reveals.size()));
    for (const RevealedValue& value : reveals) {
        w.u32(value.node);
        w.fixed(value.reveal);
    }
    return crypto::object_digest("beacon-output", w.view());
}

Hash32 beacon_fallback_seed(Epoch epoch, uint64_t round, const Hash32& previous_seed, const Hash32& parent_state_root,
                            const Hash32& block_digest) {
    codec::Writer w;
    w.u64(epoch);
    w.u64(round);
    w.fixed(previous_seed);
    w.fixed(parent_state_root);
    w.fixed(block_digest);
    return crypto::object_digest("beacon-fallback", w.view());
}

std::vector<NodeIndex> rank_candidates(TypedState& state, const ProtocolParams& params) {
    struct Candidate {
        NodeIndex index;
        U256 staked;
        uint8_t score;
    };
    std::vector<Candidate> candidates;
    state.view().scan(tables::prefix(tables::Table::node), [&](ByteSpan key, ByteSpan value) {
        auto node = codec::decode<NodeInfo>(value);
        if (key.size() != 5 || !node) {
            state.view().mark_failed();
            return false;
        }
        if (node->participation == Participation::active && node->staked >= params.min_stake) {
            candidates.push_back(Candidate{tables::read_u32_be(key, 1), node->staked, 0});
        }
        return true;
    });
    for (Candidate& candidate : candidates) {
        if (auto score = state.get<ReputationScore>(tables::reputation(candidate.index))) candidate.score = score->score;
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.staked != b.staked) return a.staked > b.staked;
        if (a.score != b.score) return a.score > b.score;
        return a.index < b.index;
    });
    std::vector<NodeIndex> out;
    out.reserve(candidates.size());
    for (const Candidate& candidate : candidates) out.push_back(candidate.index);
    return out;
}

void change_epoch(TypedState& state, const Hash32& seed, uint64_t timestamp_ms) {
    ChainInfo chain = state.chain();
    const ProtocolParams params = state.params();
    const Epoch epoch = chain.epoch;
    const std::optional<CommitteeInfo> current = state.committee(epoch);
    if (!current) {
        state.view().mark_failed();
        return;
    }

    update_reputation(state, chain, params);
    apply_participation_changes(state);
    distribute_rewards(state, chain, params);
    prune_content_of_inactive_nodes(state);
    if (epoch >= 1) {
        clear_prefix(state, tables::executed_prefix(epoch - 1));
        clear_prefix(state, tables::session_prefix(epoch - 1));
    }
    clear_prefix(state, tables::prefix(tables::Table::beacon));
    clear_prefix(state, tables::prefix(tables::Table::non_revealer));

    std::vector<NodeIndex> active = rank_candidates(state, params);
    if (active.size() > params.node_count) active.resize(params.node_count);
    std::sort(active.begin(), active.end());
    CommitteeInfo next;
    if (active.empty()) {
        // Nobody can take over: the current committee carries on rather than halting the chain.
        next.active_set = current->active_set;
        next.members = current->members;
    } else {
        next.active_set = active;
        next.members = select_committee(active, params.committee_size, seed);
    }
    next.start_ms = timestamp_ms;
    next.end_ms = timestamp_ms + params.epoch_time_ms;
    next.beacon_seed = seed;
    state.set_committee(epoch + 1, next);
    prune_old_records(state, chain, params, epoch + 1);

    chain.epoch = epoch + 1;
    chain.epoch_era = 0;
    state.set_chain(chain);
}

U256 penalize_node(TypedState& state, NodeIndex index, const U256& amount, bool& committee_changed) {
    auto node = state.node(index);
    if (!node) return 0;
    ChainInfo chain = state.chain();
    const ProtocolParams params = state.params();
    const U256 from_staked = std::min(amount, node->staked);
    node->staked -= from_staked;
    const U256 from_locked = take_locked(state, index, *node, amount - from_staked);
    const U256 taken = from_staked + from_locked;
    if (node->staked < params.min_stake && node->participation != Participation::inactive) {
        node->participation = Participation::inactive;
    }
    state.set_node(index, *node);
    if (taken > 0) credit(state, chain.protocol_fund, taken, 0);

    if (node->staked < params.min_stake) {
        if (auto committee = state.committee(chain.epoch)) {
            const CommitteeInfo before = *committee;
            erase_sorted(committee->active_set, index);
            if (committee->members.size() > 1 && committee->is_member(index)) {
                erase_sorted(committee->members, index);
                erase_sorted(committee->ready_to_change, index);
                erase_sorted(committee->commit_timeout_signals, index);
                erase_sorted(committee->reveal_timeout_signals, index);
                chain = state.chain();
                chain.epoch_era += 1;
                state.set_chain(chain);
                committee_changed = true;
            }
            if (!(before == *committee)) state.set_committee(chain.epoch, *committee);
        }
    }
    return taken;
}

}  // namespace fleek::ledger
