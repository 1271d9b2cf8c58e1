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

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    size_t start = 0;
    while (true) {
        const size_t end = text.find(separator, start);
        out.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

// Dotted quad: four decimal numbers 0–255 without leading zeros.
bool valid_ipv4(std::string_view text) {
    const auto parts = split(text, '.');
    if (parts.size() != 4) return false;
    for (const std::string_view part : parts) {
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        unsigned value = 0;
        for (const char c : part) {
            if (!is_digit(c)) return false;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value > 255) return false;
    }
    return true;
}

// RFC 4291 text form: eight groups of 1–4 hex digits, one "::" for a run of zero groups, the
// last 32 bits optionally as a dotted quad.
bool valid_ipv6(std::string_view text) {
    if (text.size() < 2 || text.size() > 45) return false;
    const size_t gap = text.find("::");
    if (gap != std::string_view::npos && text.find("::", gap + 1) != std::string_view::npos) return false;
    size_t groups = 0;
    const auto count_groups = [&](std::string_view part, bool may_end_in_ipv4) {
        if (part.empty()) return true;
        const auto fields = split(part, ':');
        for (size_t i = 0; i < fields.size(); ++i) {
            const std::string_view field = fields[i];
            if (may_end_in_ipv4 && i + 1 == fields.size() && field.find('.') != std::string_view::npos) {
                if (!valid_ipv4(field)) return false;
                groups += 2;
                continue;
            }
            if (field.empty() || field.size() > 4) return false;
            for (const char c : field) {
                if (!is_hex(c)) return false;
            }
            ++groups;
        }
        return true;
    };
    if (gap == std::string_view::npos) return count_groups(text, true) && groups == 8;
    const std::string_view head = text.substr(0, gap);
    const std::string_view tail = text.substr(gap + 2);
    return count_groups(head, false) && count_groups(tail, true) && groups <= 7;
}

// RFC 1123 host name: labels of 1–63 letters, digits and '-', not starting or ending with '-';
// the last label is not all digits (that would be an IPv4 address).
bool valid_host_name(std::string_view text) {
    const auto labels = split(text, '.');
    for (const std::string_view label : labels) {
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (const char c : label) {
            if (!is_letter(c) && !is_digit(c) && c != '-') return false;
        }
    }
    const std::string_view last = labels.back();
    return !std::all_of(last.begin(), last.end(), is_digit);
}

}  // namespace

bool valid_domain(std::string_view domain) {
    if (domain.empty() || domain.size() > domain_size_max) return false;
    if (domain.find(':') != std::string_view::npos) return valid_ipv6(domain);
    return valid_ipv4(domain) || valid_host_name(domain);
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
        case ParamId::record_retention_epochs: return "record_retention_epochs";
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
        case ParamId::record_retention_epochs: return record_retention_epochs;
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
        case ParamId::record_retention_epochs: fits = assign_checked(next.record_retention_epochs, value); break;
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
    // The previous epoch's records are read at the epoch change (rewards) and by certificates.
    if (record_retention_epochs < 2) return false;
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
