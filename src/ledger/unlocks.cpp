#include "ledger/unlocks.h"

#include <algorithm>

namespace fleek::ledger {

namespace {

void put_entry(TypedState& state, NodeIndex index, const UnlockEntry& entry) {
    if (entry.amount == 0) {
        state.erase(tables::unlock(index, entry.until));
    } else {
        state.put_u256(tables::unlock(index, entry.until), entry.amount);
    }
}

// locked_until = the latest remaining entry, 0 without one.
void refresh_locked_until(NodeInfo& node, const std::vector<UnlockEntry>& remaining) {
    node.locked_until = 0;
    for (const UnlockEntry& entry : remaining) {
        if (entry.amount > 0) node.locked_until = std::max(node.locked_until, entry.until);
    }
}

}  // namespace

std::vector<UnlockEntry> unlock_entries(TypedState& state, NodeIndex index) {
    std::vector<UnlockEntry> out;
    state.view().scan(tables::unlock_prefix(index), [&](ByteSpan key, ByteSpan value) {
        if (key.size() != 13 || value.size() != 32) {
            state.view().mark_failed();
            return false;
        }
        out.push_back(UnlockEntry{tables::read_u64_be(key, 5), u256_from_le_bytes(std::span<const uint8_t, 32>(value.data(), 32))});
        return true;
    });
    return out;
}

bool add_unlock(TypedState& state, NodeIndex index, NodeInfo& node, Epoch until, const U256& amount) {
    std::vector<UnlockEntry> entries = unlock_entries(state, index);
    auto it = std::find_if(entries.begin(), entries.end(), [&](const UnlockEntry& e) { return e.until == until; });
    if (it == entries.end()) {
        if (entries.size() >= unlocks_per_node_max) return false;
        entries.push_back(UnlockEntry{until, amount});
        it = entries.end() - 1;
    } else {
        it->amount += amount;  // bounded by the supply, like every stake
    }
    put_entry(state, index, *it);
    node.locked += amount;
    refresh_locked_until(node, entries);
    return true;
}

U256 take_matured(TypedState& state, NodeIndex index, NodeInfo& node, Epoch epoch) {
    std::vector<UnlockEntry> entries = unlock_entries(state, index);
    U256 matured = 0;
    for (UnlockEntry& entry : entries) {
        if (entry.until > epoch) continue;
        matured += entry.amount;
        entry.amount = 0;
        put_entry(state, index, entry);
    }
    if (matured > node.locked) {  // the entries and the aggregate disagree: corrupt state
        state.view().mark_failed();
        return 0;
    }
    node.locked -= matured;
    refresh_locked_until(node, entries);
    return matured;
}

U256 take_locked(TypedState& state, NodeIndex index, NodeInfo& node, const U256& amount) {
    std::vector<UnlockEntry> entries = unlock_entries(state, index);
    U256 taken = 0;
    for (auto it = entries.rbegin(); it != entries.rend() && taken < amount; ++it) {
        const U256 part = std::min(amount - taken, it->amount);
        it->amount -= part;
        taken += part;
        put_entry(state, index, *it);
    }
    if (taken > node.locked) {
        state.view().mark_failed();
        return 0;
    }
    node.locked -= taken;
    refresh_locked_until(node, entries);
    return taken;
}

}  // namespace fleek::ledger
