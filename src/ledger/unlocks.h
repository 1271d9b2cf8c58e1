// Unstaked FLK waiting to be withdrawn (internal to the ledger module). Each Unstake locks only
// its own amount until epoch + lock_time_epochs; amounts unstaked in the same epoch share one
// entry (tables::unlock: node ‖ unlock epoch → amount). NodeInfo keeps the aggregate:
// `locked` = Σ entries, `locked_until` = the latest entry's epoch (0 when there is none).
// docs/formats/ledger-state.md §Unstaking.
#pragma once

#include "ledger/typed_state.h"

#include <vector>

namespace fleek::ledger {

// Distinct unlock epochs a node may have waiting: bounds the work of every unlock operation.
inline constexpr size_t unlocks_per_node_max = 64;

struct UnlockEntry {
    Epoch until = 0;
    U256 amount = 0;
};

// The node's entries, earliest unlock first.
std::vector<UnlockEntry> unlock_entries(TypedState& state, NodeIndex index);

// Locks `amount` (moved out of `node.staked` by the caller) until `until`. False, changing
// nothing, when that would need a new entry beyond unlocks_per_node_max.
bool add_unlock(TypedState& state, NodeIndex index, NodeInfo& node, Epoch until, const U256& amount);

// Removes the entries with until ≤ epoch and returns their sum (taken out of `node.locked`).
U256 take_matured(TypedState& state, NodeIndex index, NodeInfo& node, Epoch epoch);

// Takes up to `amount` from the entries, the latest unlock first (amounts that could already be
// withdrawn are taken last); returns what it took (taken out of `node.locked`).
U256 take_locked(TypedState& state, NodeIndex index, NodeInfo& node, const U256& amount);

}  // namespace fleek::ledger
