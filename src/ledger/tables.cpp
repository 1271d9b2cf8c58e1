#include "ledger/tables.h"

#include <algorithm>

namespace fleek::ledger {

namespace tables {

std::string_view to_string(Table table) noexcept {
    switch (table) {
        case Table::chain: return "chain";
        case Table::params: return "params";
        case Table::account: return "account";
        case Table::client_key: return "client_key";
        case Table::node: return "node";
        case Table::node_key_index: return "node_key_index";
        case Table::consensus_key_index: return "consensus_key_index";
        case Table::committee: return "committee";
        case Table::service: return "service";
        case Table::beacon: return "beacon";
        case Table::non_revealer: return "non_revealer";
        case Table::measurement: return "measurement";
        case Table::measurement_count: return "measurement_count";
        case Table::reputation: return "reputation";
        case Table::node_served: return "node_served";
        case Table::epoch_totals: return "epoch_totals";
        case Table::service_revenue: return "service_revenue";
        case Table::session: return "session";
        case Table::content_by_hash: return "content_by_hash";
        case Table::content_by_node: return "content_by_node";
        case Table::executed: return "executed";
        case Table::withdraw: return "withdraw";
        case Table::mint: return "mint";
        case Table::slash: return "slash";
        case Table::unlock: return "unlock";
    }
    return "unknown";
}

}  // namespace tables

namespace {

template <class T>
bool decodes(ByteSpan value) {
    return codec::decode<T>(value).has_value();
}

}  // namespace

bool valid_state_entry(ByteSpan key, ByteSpan value) {
    using tables::Table;
    if (key.empty()) return false;
    const size_t size = key.size();
    switch (static_cast<Table>(key[0])) {
        case Table::chain: return size == 1 && decodes<ChainInfo>(value);
        case Table::params: return size == 1 && decodes<ProtocolParams>(value) && codec::decode<ProtocolParams>(value)->valid();
        case Table::account: return size == 21 && decodes<AccountInfo>(value);
        case Table::client_key: return size == 33 && value.size() == 20;
        case Table::node: return size == 5 && decodes<NodeInfo>(value);
        case Table::node_key_index: return size == 33 && value.size() == 4;
        case Table::consensus_key_index: return size == 97 && value.size() == 4;
        case Table::committee: return size == 9 && decodes<CommitteeInfo>(value);
        case Table::service: return size == 5 && decodes<Service>(value);
        case Table::beacon: return size == 5 && decodes<BeaconEntry>(value);
        case Table::non_revealer: return size == 5 && value.size() == 8;
        case Table::measurement: return size == 9 && decodes<Measurements>(value);
        case Table::measurement_count: return size == 5 && value.size() == 1;
        case Table::reputation: return size == 5 && decodes<ReputationScore>(value);
        case Table::node_served: return size == 13 && decodes<NodeServed>(value);
        case Table::epoch_totals: return size == 9 && decodes<EpochTotals>(value);
        case Table::service_revenue: return size == 13 && value.size() == 32;
        case Table::session: return size == 1 + 8 + 32 + 16 && decodes<SessionClaim>(value);
        case Table::content_by_hash:
        case Table::content_by_node: return size == 1 + 32 + 4 && value.empty();
        case Table::executed: return size == 1 + 8 + 32 && value.size() == 8;
        case Table::withdraw: return size == 9 && decodes<WithdrawRecord>(value);
        case Table::mint: return size == 33 && decodes<MintRecord>(value);
        case Table::slash: return size == 1 + 8 + 32 && decodes<SlashRecord>(value);
        case Table::unlock:
            return size == 1 + 4 + 8 && value.size() == 32 && std::any_of(value.begin(), value.end(), [](uint8_t b) { return b != 0; });
    }
    return false;
}

}  // namespace fleek::ledger
