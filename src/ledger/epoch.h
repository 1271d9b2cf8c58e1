// Epoch change, committee selection and stake penalties (internal to the ledger module).
#pragma once

#include "ledger/typed_state.h"

#include <vector>

namespace fleek::ledger {

struct RevealedValue {
    NodeIndex node = 0;
    Hash32 reveal{};
};

// object_digest("beacon-output", epoch ‖ round ‖ count ‖ (node ‖ reveal)* in node order).
Hash32 beacon_output(Epoch epoch, uint64_t round, const std::vector<RevealedValue>& reveals);

// The seed when every committee member failed to reveal (no beacon is possible):
// object_digest("beacon-fallback", epoch ‖ round ‖ previous seed ‖ parent state root ‖ block digest).
Hash32 beacon_fallback_seed(Epoch epoch, uint64_t round, const Hash32& previous_seed, const Hash32& parent_state_root,
                            const Hash32& block_digest);

// Moves the ledger to the next epoch (docs/formats/ledger-state.md §Epoch change): reputation,
// participation, rewards, content registry, pruning, the new active set and committee.
void change_epoch(TypedState& state, const Hash32& seed, uint64_t timestamp_ms);

// The nodes that may join the next active set, best first: participation active and staked at
// least min_stake, ordered by stake (high first), reputation (high first), index.
std::vector<NodeIndex> rank_candidates(TypedState& state, const ProtocolParams& params);

// Takes up to `amount` from the node's stake (staked first, then locked) and credits it to the
// protocol fund. A node left below min_stake stops participating and leaves the current
// committee and active set (the epoch era advances). Returns the amount taken.
U256 penalize_node(TypedState& state, NodeIndex index, const U256& amount, bool& committee_changed);

// Participating: staked at least min_stake and participation active or opted_out.
bool is_participating(const NodeInfo& node, const ProtocolParams& params);

}  // namespace fleek::ledger
