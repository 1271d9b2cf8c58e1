#include "ledger/types.h"

#include <algorithm>
#include <limits>

namespace fleek::ledger {

std::string_view to_string(Token token) noexcept {
    switch (token) {
        case Token::flk: return "flk";
        case Token::stables: return "stables";
        case Token::bandwidth: return "bandwidth";
    }
    return "unknown";
}

std::string_view to_string(CommodityType type) noexcept {
    switch (type) {
        case CommodityType::bandwidth: return "bandwidth";
        case CommodityType::compute: return "compute";
        case CommodityType::gpu: return "gpu";
    }
    return "unknown";
}

std::string_view to_string(Participation participation) noexcept {
    switch (participation) {
        case Participation::inactive: return "inactive";
        case Participation::active: return "active";
        case Participation::opted_in: return "opted_in";
        case Participation::opted_out: return "opted_out";
    }
    return "unknown";
}

bool NodePorts::valid() const {
    const std::array<uint16_t, 7> all{pool, pool_quic, handshake_http, handshake_tcp, rpc, dht, pinger};
    for (size_t i = 0; i < all.size(); ++i) {
        if (all[i] == 0) return false;
        for (size_t j = i + 1; j < all.size(); ++j) {
            if (all[i] == all[j]) return false;
        }
    }
    return true;
}

U256& AccountInfo::balance(Token token) {
    switch (token) {
        case Token::flk: return flk;
        case Token::stables: return stables;
        case Token::bandwidth: return bandwidth;
    }
    FLEEK_ASSERT(false);
    return flk;
}

const U256& AccountInfo::balance(Token token) const { return const_cast<AccountInfo*>(this)->balance(token); }

bool valid_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > domain_size_max) return false;
    for (const char c : domain) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '.' || c == ':';
        if (!ok) return false;
    }
    return domain.front() != '-' && domain.front() != '.';
}

bool CommitteeInfo::is_member(NodeIndex index) const {
    return std::binary_search(members.begin(), members.end(), index);
}

Hash32 beacon_commitment(Epoch epoch, uint64_t round, NodeIndex node, const Hash32& reveal) {
    codec::Writer w;
    w.u64(epoch);
    w.u64(round);
    w.u32(node);
    w.fixed(reveal);
    return crypto::object_digest("beacon-commitment", w.view());
}

std::string_view to_string(ParamId id) noexcept {
    switch (id) {
        case ParamId::epoch_time_ms: return "epoch_time_ms";
        case ParamId::committee_size: return "committee_size";
        case ParamId::node_count: return "node_count";
        case ParamId::min_stake: return "min_stake";
        case ParamId::lock_time_epochs: return "lock_time_epochs";
        case ParamId::node_share_percent: return "node_share_percent";
        case ParamId::service_builder_share_percent: return "service_builder_share_percent";
        case ParamId::max_inflation_bps: return "max_inflation_bps";
        case ParamId::max_boost: return "max_boost";
        case ParamId::max_stake_lock_time_epochs: return "max_stake_lock_time_epochs";
        case ParamId::min_num_measurements: return "min_num_measurements";
        case ParamId::epochs_per_year: return "epochs_per_year";
        case ParamId::beacon_commit_phase_ms: return "beacon_commit_phase_ms";
        case ParamId::beacon_reveal_phase_ms: return "beacon_reveal_phase_ms";
        case ParamId::non_reveal_slash_amount: return "non_reveal_slash_amount";
        case ParamId::equivocation_slash_bps: return "equivocation_slash_bps";
        case ParamId::trust_weight_percent: return "trust_weight_percent";
        case ParamId::max_measurement_submissions: return "max_measurement_submissions";
    }
    return "unknown";
}

namespace {

template <class T>
bool assign_checked(T& field, const U256& value) {
    if (value > U256(std::numeric_limits<T>::max())) return false;
    field = static_cast<T>(value);
    return true;
}

}  // namespace

U256 ProtocolParams::get(ParamId id) const {
    switch (id) {
        case ParamId::epoch_time_ms: return epoch_time_ms;
        case ParamId::committee_size: return committee_size;
        case ParamId::node_count: return node_count;
        case ParamId::min_stake: return min_stake;
        case ParamId::lock_time_epochs: return lock_time_epochs;
        case ParamId::node_share_percent: return node_share_percent;
        case ParamId::service_builder_share_percent: return service_builder_share_percent;
        case ParamId::max_inflation_bps: return max_inflation_bps;
        case ParamId::max_boost: return max_boost;
        case ParamId::max_stake_lock_time_epochs: return max_stake_lock_time_epochs;
        case ParamId::min_num_measurements: return min_num_measurements;
        case ParamId::epochs_per_year: return epochs_per_year;
        case ParamId::beacon_commit_phase_ms: return beacon_commit_phase_ms;
        case ParamId::beacon_reveal_phase_ms: return beacon_reveal_phase_ms;
        case ParamId::non_reveal_slash_amount: return non_reveal_slash_amount;
        case ParamId::equivocation_slash_bps: return equivocation_slash_bps;
        case ParamId::trust_weight_percent: return trust_weight_percent;
        case ParamId::max_measurement_submissions: return max_measurement_submissions;
    }
    return 0;
}

bool ProtocolParams::set(ParamId id, const U256& value) {
    ProtocolParams next = *this;
    if (!next.assign(id, value) || !next.valid()) return false;
    *this = next;
    return true;
}

bool ProtocolParams::assign(ParamId id, const U256& value) {
    ProtocolParams& next = *this;
    bool fits = false;
    switch (id) {
        case ParamId::epoch_time_ms: fits = assign_checked(next.epoch_time_ms, value); break;
        case ParamId::committee_size: fits = assign_checked(next.committee_size, value); break;
        case ParamId::node_count: fits = assign_checked(next.node_count, value); break;
        case ParamId::min_stake:
            next.min_stake = value;
            fits = true;
            break;
        case ParamId::lock_time_epochs: fits = assign_checked(next.lock_time_epochs, value); break;
        case ParamId::node_share_percent: fits = assign_checked(next.node_share_percent, value); break;
        case ParamId::service_builder_share_percent: fits = assign_checked(next.service_builder_share_percent, value); break;
        case ParamId::max_inflation_bps: fits = assign_checked(next.max_inflation_bps, value); break;
        case ParamId::max_boost: fits = assign_checked(next.max_boost, value); break;
        case ParamId::max_stake_lock_time_epochs: fits = assign_checked(next.max_stake_lock_time_epochs, value); break;
        case ParamId::min_num_measurements: fits = assign_checked(next.min_num_measurements, value); break;
        case ParamId::epochs_per_year: fits = assign_checked(next.epochs_per_year, value); break;
        case ParamId::beacon_commit_phase_ms: fits = assign_checked(next.beacon_commit_phase_ms, value); break;
        case ParamId::beacon_reveal_phase_ms: fits = assign_checked(next.beacon_reveal_phase_ms, value); break;
        case ParamId::non_reveal_slash_amount:
            next.non_reveal_slash_amount = value;
            fits = true;
            break;
        case ParamId::equivocation_slash_bps: fits = assign_checked(next.equivocation_slash_bps, value); break;
        case ParamId::trust_weight_percent: fits = assign_checked(next.trust_weight_percent, value); break;
        case ParamId::max_measurement_submissions: fits = assign_checked(next.max_measurement_submissions, value); break;
    }
    return fits;
}

bool ProtocolParams::valid() const {
    if (epoch_time_ms == 0) return false;
    // The beacon's two phases fit in the last third of an epoch (checked without overflow).
    const U256 phases = U256(beacon_commit_phase_ms) + U256(beacon_reveal_phase_ms);
    if (phases * 3 > U256(epoch_time_ms) * 2) return false;
    if (committee_size == 0 || committee_size > committee_size_max) return false;
    if (node_count == 0 || node_count > active_set_size_max) return false;
    if (min_stake == 0) return false;
    if (unsigned{node_share_percent} + unsigned{service_builder_share_percent} > 100) return false;
    if (max_inflation_bps > 10'000) return false;
    if (max_boost == 0 || max_boost > 1000) return false;
    if (max_stake_lock_time_epochs == 0) return false;
    if (min_num_measurements == 0) return false;
    if (epochs_per_year == 0) return false;
    if (equivocation_slash_bps > 10'000) return false;
    if (trust_weight_percent > 100) return false;
    if (max_measurement_submissions == 0) return false;
    return true;
}

bool Measurements::within_bounds() const {
    if (latency_ms && *latency_ms >= latency_ms_max) return false;
    if (auto value = interactions_value(); value && (*value > interactions_abs_max || *value < -interactions_abs_max)) {
        return false;
    }
    if (inbound_bandwidth && *inbound_bandwidth > bandwidth_max) return false;
    if (outbound_bandwidth && *outbound_bandwidth > bandwidth_max) return false;
    if (bytes_received && *bytes_received > bytes_max) return false;
    if (bytes_sent && *bytes_sent > bytes_max) return false;
    if (uptime_percent && *uptime_percent > 100) return false;
    return true;
}

bool Measurements::empty() const {
    return !latency_ms && !interactions && !inbound_bandwidth && !outbound_bandwidth && !bytes_received && !bytes_sent &&
           !uptime_percent;
}

U256& NodeServed::served(CommodityType type) {
    switch (type) {
        case CommodityType::bandwidth: return served_bandwidth;
        case CommodityType::compute: return served_compute;
        case CommodityType::gpu: return served_gpu;
    }
    FLEEK_ASSERT(false);
    return served_bandwidth;
}

U256& EpochTotals::served(CommodityType type) {
    switch (type) {
        case CommodityType::bandwidth: return served_bandwidth;
        case CommodityType::compute: return served_compute;
        case CommodityType::gpu: return served_gpu;
    }
    FLEEK_ASSERT(false);
    return served_bandwidth;
}

}  // namespace fleek::ledger
