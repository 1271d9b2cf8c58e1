// The records of the ledger state (docs/formats/ledger-state.md). Every record is encoded with
// the canonical codec through its field list (serial.h); the table a record lives in and its key
// are in tables.h.
#pragma once

#include "crypto/bls.h"
#include "crypto/ed25519.h"
#include "crypto/ethereum.h"
#include "crypto/hash.h"
#include "ledger/serial.h"
#include "util/quorum.h"
#include "util/u256.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::ledger {

using NodeIndex = uint32_t;
using Epoch = uint64_t;
using ServiceId = uint32_t;
using Hash32 = crypto::Hash32;
using AddressBytes = ByteArray<crypto::ethereum::address_size>;
using NodeKeyBytes = ByteArray<crypto::ed25519::public_key_size>;
using ClientKeyBytes = ByteArray<crypto::ed25519::public_key_size>;
using ConsensusKeyBytes = ByteArray<crypto::bls::public_key_size>;
using Ed25519SignatureBytes = ByteArray<crypto::ed25519::signature_size>;
using BlsSignatureBytes = ByteArray<crypto::bls::signature_size>;
using SessionId = ByteArray<16>;

// Tokens an account holds. FLK has 18 decimals, stables 6; bandwidth credits are whole units.
enum class Token : uint8_t { flk = 0, stables = 1, bandwidth = 2 };
inline constexpr uint8_t token_count = 3;
std::string_view to_string(Token token) noexcept;

enum class CommodityType : uint8_t { bandwidth = 0, compute = 1, gpu = 2 };
inline constexpr uint8_t commodity_type_count = 3;
std::string_view to_string(CommodityType type) noexcept;

// A node's participation in the active set:
//   inactive   not in the next active set
//   active     participating now and next epoch
//   opted_in   asked to join: becomes active at the next epoch change
//   opted_out  participating now, becomes inactive at the next epoch change
enum class Participation : uint8_t { inactive = 0, active = 1, opted_in = 2, opted_out = 3 };
inline constexpr uint8_t participation_count = 4;
std::string_view to_string(Participation participation) noexcept;

// The ports a node listens on (brief §5 defaults).
struct NodePorts {
    uint16_t pool = 4200;
    uint16_t pool_quic = 4300;
    uint16_t handshake_http = 4220;
    uint16_t handshake_tcp = 4221;
    uint16_t rpc = 4230;
    uint16_t dht = 4340;
    uint16_t pinger = 4350;

    template <class V>
    void fields(V& v) {
        v(pool), v(pool_quic), v(handshake_http), v(handshake_tcp), v(rpc), v(dht), v(pinger);
    }
    FLEEK_LEDGER_CODEC(NodePorts)
    friend bool operator==(const NodePorts&, const NodePorts&) = default;
    // No port is 0 and no two are equal (each is a separate listener).
    bool valid() const;
};

inline constexpr uint32_t client_keys_per_account_max = 16;
inline constexpr uint32_t domain_size_max = 253;

struct AccountInfo {
    U256 flk = 0;
    U256 stables = 0;
    U256 bandwidth = 0;
    uint64_t nonce = 0;
    std::vector<ClientKeyBytes> client_keys;  // sorted, unique

    template <class V>
    void fields(V& v) {
        v(flk), v(stables), v(bandwidth), v(nonce), v.seq(client_keys, client_keys_per_account_max);
    }
    FLEEK_LEDGER_CODEC(AccountInfo)
    friend bool operator==(const AccountInfo&, const AccountInfo&) = default;

    U256& balance(Token token);
    const U256& balance(Token token) const;
};

struct NodeInfo {
    AddressBytes owner{};
    NodeKeyBytes node_key{};
    ConsensusKeyBytes consensus_key{};
    std::string domain;  // host name or IP address literal
    NodePorts ports;
    U256 staked = 0;
    U256 locked = 0;                  // unstaked: Σ of the node's unlock entries (tables::unlock)
    Epoch stake_locked_until = 0;     // staked FLK cannot be unstaked before this epoch
    Epoch locked_until = 0;           // all locked FLK can be withdrawn from this epoch on (the
                                      // latest unlock entry); each entry matures on its own
    Epoch staked_since = 0;
    Participation participation = Participation::inactive;
    uint64_t nonce = 0;

    template <class V>
    void fields(V& v) {
        v(owner), v(node_key), v(consensus_key), v.str(domain, domain_size_max), v(ports), v(staked), v(locked);
        v(stake_locked_until), v(locked_until), v(staked_since), v.tag(participation, participation_count), v(nonce);
    }
    FLEEK_LEDGER_CODEC(NodeInfo)
    friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

// A host name (letters, digits, '-', '.') or an IP address literal (digits, hex, '.', ':').
bool valid_domain(std::string_view domain);

struct Service {
    AddressBytes owner{};
    CommodityType commodity = CommodityType::bandwidth;
    // What a client pays, in stables base units (10^-6), for 10^6 units of the commodity.
    U256 price_per_million_units = 0;

    template <class V>
    void fields(V& v) {
        v(owner), v.tag(commodity, commodity_type_count), v(price_per_million_units);
    }
    FLEEK_LEDGER_CODEC(Service)
    friend bool operator==(const Service&, const Service&) = default;
};

// Committee-selection beacon phase of an epoch.
enum class BeaconPhaseKind : uint8_t { none = 0, commit = 1, reveal = 2 };
inline constexpr uint8_t beacon_phase_kind_count = 3;

struct BeaconPhase {
    BeaconPhaseKind kind = BeaconPhaseKind::none;
    uint64_t round = 0;
    uint64_t start_ms = 0;  // block timestamp at which the phase began

    template <class V>
    void fields(V& v) {
        v.tag(kind, beacon_phase_kind_count), v(round), v(start_ms);
    }
    friend bool operator==(const BeaconPhase&, const BeaconPhase&) = default;
};

inline constexpr uint32_t committee_size_max = 1024;
inline constexpr uint32_t active_set_size_max = 65536;

// The committee record of one epoch.
struct CommitteeInfo {
    std::vector<NodeIndex> members;     // sorted
    std::vector<NodeIndex> active_set;  // sorted
    uint64_t start_ms = 0;
    uint64_t end_ms = 0;
    Hash32 beacon_seed{};  // beacon output that chose this committee (zero at genesis)
    std::vector<NodeIndex> ready_to_change;  // sorted: members that sent ChangeEpoch
    BeaconPhase phase;
    std::vector<NodeIndex> commit_timeout_signals;  // sorted, for phase.round
    std::vector<NodeIndex> reveal_timeout_signals;  // sorted, for phase.round

    template <class V>
    void fields(V& v) {
        v.seq(members, committee_size_max), v.seq(active_set, active_set_size_max), v(start_ms), v(end_ms);
        v(beacon_seed), v.seq(ready_to_change, committee_size_max), v(phase);
        v.seq(commit_timeout_signals, committee_size_max), v.seq(reveal_timeout_signals, committee_size_max);
    }
    FLEEK_LEDGER_CODEC(CommitteeInfo)
    friend bool operator==(const CommitteeInfo&, const CommitteeInfo&) = default;

    bool is_member(NodeIndex index) const;
    // Members weigh one each: ⌊2n/3⌋ + 1 of them (util/quorum.h).
    size_t quorum() const { return static_cast<size_t>(quorum_weight(members.size())); }
};

// A committee member's beacon contribution in the current epoch.
struct BeaconEntry {
    uint64_t round = 0;
    Hash32 commit{};
    std::optional<Hash32> reveal;

    template <class V>
    void fields(V& v) {
        v(round), v(commit), v.opt(reveal);
    }
    FLEEK_LEDGER_CODEC(BeaconEntry)
    friend bool operator==(const BeaconEntry&, const BeaconEntry&) = default;
};

// The commitment a beacon participant publishes for its 32 secret bytes.
Hash32 beacon_commitment(Epoch epoch, uint64_t round, NodeIndex node, const Hash32& reveal);

// Chain-wide metadata, one record.
struct ChainInfo {
    uint64_t chain_id = 0;
    Hash32 genesis_digest{};
    Epoch epoch = 0;
    uint64_t epoch_era = 0;  // bumps when the committee changes inside an epoch
    uint64_t block_height = 0;
    uint64_t block_timestamp_ms = 0;
    Hash32 last_block_digest{};
    U256 flk_supply = 0;
    U256 flk_supply_year_start = 0;
    U256 stables_supply = 0;
    NodeIndex next_node_index = 0;
    uint64_t next_withdraw_id = 0;
    AddressBytes governance{};
    AddressBytes protocol_fund{};
    std::vector<NodeIndex> genesis_committee;  // EigenTrust's pre-trusted nodes
    // Per-epoch records of earlier epochs are pruned and slash evidence from them is refused.
    // Never decreases, so raising record_retention_epochs cannot re-admit pruned evidence.
    Epoch oldest_record_epoch = 0;

    template <class V>
    void fields(V& v) {
        v(chain_id), v(genesis_digest), v(epoch), v(epoch_era), v(block_height), v(block_timestamp_ms);
        v(last_block_digest), v(flk_supply), v(flk_supply_year_start), v(stables_supply), v(next_node_index);
        v(next_withdraw_id), v(governance), v(protocol_fund), v.seq(genesis_committee, committee_size_max);
        v(oldest_record_epoch);
    }
    FLEEK_LEDGER_CODEC(ChainInfo)
    friend bool operator==(const ChainInfo&, const ChainInfo&) = default;
};

// ---- protocol parameters ---------------------------------------------------------------------

enum class ParamId : uint8_t {
    epoch_time_ms = 0,
    committee_size = 1,
    node_count = 2,
    min_stake = 3,
    lock_time_epochs = 4,
    node_share_percent = 5,
    service_builder_share_percent = 6,
    max_inflation_bps = 7,
    max_boost = 8,
    max_stake_lock_time_epochs = 9,
    min_num_measurements = 10,
    epochs_per_year = 11,
    beacon_commit_phase_ms = 12,
    beacon_reveal_phase_ms = 13,
    non_reveal_slash_amount = 14,
    equivocation_slash_bps = 15,
    trust_weight_percent = 16,
    max_measurement_submissions = 17,
    record_retention_epochs = 18,
};
inline constexpr uint8_t param_id_count = 19;
std::string_view to_string(ParamId id) noexcept;

struct ProtocolParams {
    uint64_t epoch_time_ms = 120'000;
    uint32_t committee_size = 4;
    uint32_t node_count = 100;
    U256 min_stake = U256(1000) * U256(1'000'000'000'000'000'000ull);  // 1,000 FLK
    uint64_t lock_time_epochs = 5;
    uint8_t node_share_percent = 80;
    uint8_t service_builder_share_percent = 10;  // the protocol fund gets the rest
    uint16_t max_inflation_bps = 1000;           // 10 % a year
    uint16_t max_boost = 4;
    uint64_t max_stake_lock_time_epochs = 1460;
    uint32_t min_num_measurements = 2;
    uint64_t epochs_per_year = 365;
    uint64_t beacon_commit_phase_ms = 10'000;
    uint64_t beacon_reveal_phase_ms = 10'000;
    U256 non_reveal_slash_amount = U256(100) * U256(1'000'000'000'000'000'000ull);  // 100 FLK
    uint16_t equivocation_slash_bps = 1000;  // 10 % of staked + locked
    uint8_t trust_weight_percent = 30;
    uint8_t max_measurement_submissions = 2;
    // Per-epoch records (served work, totals, revenue, committees, withdrawals, slashes) of the
    // last this-many epochs are kept; older ones are pruned at the epoch change (≥ 2). A week
    // of the default 2-minute epochs.
    uint64_t record_retention_epochs = 5040;

    template <class V>
    void fields(V& v) {
        v(epoch_time_ms), v(committee_size), v(node_count), v(min_stake), v(lock_time_epochs), v(node_share_percent);
        v(service_builder_share_percent), v(max_inflation_bps), v(max_boost), v(max_stake_lock_time_epochs);
        v(min_num_measurements), v(epochs_per_year), v(beacon_commit_phase_ms), v(beacon_reveal_phase_ms);
        v(non_reveal_slash_amount), v(equivocation_slash_bps), v(trust_weight_percent), v(max_measurement_submissions);
        v(record_retention_epochs);
    }
    FLEEK_LEDGER_CODEC(ProtocolParams)
    friend bool operator==(const ProtocolParams&, const ProtocolParams&) = default;

    U256 get(ParamId id) const;
    // Assigns one parameter if the value fits its type; no cross-parameter check.
    bool assign(ParamId id, const U256& value);
    // Sets one parameter if the value is in its range and the set stays consistent.
    bool set(ParamId id, const U256& value);
    // Every range and cross-parameter rule (docs/formats/ledger-state.md).
    bool valid() const;
};

// ---- reputation ------------------------------------------------------------------------------

// What one node measured about a peer during an epoch. Every field is optional.
struct Measurements {
    static constexpr uint32_t latency_ms_max = 20'000;
    static constexpr int64_t interactions_abs_max = int64_t{1} << 31;
    static constexpr uint64_t bandwidth_max = 12'500'000'000ull;  // bytes per second (100 Gbit/s)
    static constexpr uint64_t bytes_max = uint64_t{1} << 50;

    std::optional<uint32_t> latency_ms;
    std::optional<uint64_t> interactions;  // two's complement int64 (signed sum of outcomes)
    std::optional<uint64_t> inbound_bandwidth;
    std::optional<uint64_t> outbound_bandwidth;
    std::optional<uint64_t> bytes_received;
    std::optional<uint64_t> bytes_sent;
    std::optional<uint8_t> uptime_percent;

    template <class V>
    void fields(V& v) {
        v.opt(latency_ms), v.opt(interactions), v.opt(inbound_bandwidth), v.opt(outbound_bandwidth);
        v.opt(bytes_received), v.opt(bytes_sent), v.opt(uptime_percent);
    }
    FLEEK_LEDGER_CODEC(Measurements)
    friend bool operator==(const Measurements&, const Measurements&) = default;

    std::optional<int64_t> interactions_value() const {
        if (!interactions) return std::nullopt;
        return static_cast<int64_t>(*interactions);
    }
    bool within_bounds() const;
    bool empty() const;
};

struct ReputationScore {
    uint8_t score = 0;                      // 0–100, what weights a node's reports
    std::optional<uint8_t> uptime_percent;  // last epoch's aggregated uptime
    uint64_t trust = 0;                     // EigenTrust global trust, fixed point 10^9 = 1
    Epoch updated_epoch = 0;

    template <class V>
    void fields(V& v) {
        v(score), v.opt(uptime_percent), v(trust), v(updated_epoch);
    }
    FLEEK_LEDGER_CODEC(ReputationScore)
    friend bool operator==(const ReputationScore&, const ReputationScore&) = default;
};

// ---- served work and payments ----------------------------------------------------------------

struct NodeServed {
    U256 served_bandwidth = 0;
    U256 served_compute = 0;
    U256 served_gpu = 0;
    U256 revenue = 0;    // stables paid by clients for this node's work
    U256 shortfall = 0;  // stables clients owed but could not pay

    template <class V>
    void fields(V& v) {
        v(served_bandwidth), v(served_compute), v(served_gpu), v(revenue), v(shortfall);
    }
    FLEEK_LEDGER_CODEC(NodeServed)
    friend bool operator==(const NodeServed&, const NodeServed&) = default;
    U256& served(CommodityType type);
};

struct EpochTotals {
    U256 served_bandwidth = 0;
    U256 served_compute = 0;
    U256 served_gpu = 0;
    U256 reward_pool = 0;  // stables collected in the epoch, paid out at its end
    U256 shortfall = 0;
    U256 flk_minted = 0;  // FLK emitted as rewards for this epoch

    template <class V>
    void fields(V& v) {
        v(served_bandwidth), v(served_compute), v(served_gpu), v(reward_pool), v(shortfall), v(flk_minted);
    }
    FLEEK_LEDGER_CODEC(EpochTotals)
    friend bool operator==(const EpochTotals&, const EpochTotals&) = default;
    U256& served(CommodityType type);
};

// What has been claimed of one delivery session (client key, session id) in one epoch.
struct SessionClaim {
    NodeIndex node = 0;
    ServiceId service = 0;
    uint64_t claimed = 0;  // cumulative commodity units already counted
    U256 paid = 0;
    U256 shortfall = 0;

    template <class V>
    void fields(V& v) {
        v(node), v(service), v(claimed), v(paid), v(shortfall);
    }
    FLEEK_LEDGER_CODEC(SessionClaim)
    friend bool operator==(const SessionClaim&, const SessionClaim&) = default;
};

// ---- bridge and slashing records ---------------------------------------------------------------

struct WithdrawRecord {
    Epoch epoch = 0;
    AddressBytes account{};
    Token token = Token::flk;
    AddressBytes receiver{};
    U256 amount = 0;

    template <class V>
    void fields(V& v) {
        v(epoch), v(account), v.tag(token, token_count), v(receiver), v(amount);
    }
    FLEEK_LEDGER_CODEC(WithdrawRecord)
    friend bool operator==(const WithdrawRecord&, const WithdrawRecord&) = default;
};

struct MintRecord {
    AddressBytes receiver{};
    Token token = Token::flk;
    U256 amount = 0;
    uint64_t block_height = 0;

    template <class V>
    void fields(V& v) {
        v(receiver), v.tag(token, token_count), v(amount), v(block_height);
    }
    FLEEK_LEDGER_CODEC(MintRecord)
    friend bool operator==(const MintRecord&, const MintRecord&) = default;
};

struct SlashRecord {
    NodeIndex node = 0;
    U256 amount = 0;
    uint64_t block_height = 0;

    template <class V>
    void fields(V& v) {
        v(node), v(amount), v(block_height);
    }
    FLEEK_LEDGER_CODEC(SlashRecord)
    friend bool operator==(const SlashRecord&, const SlashRecord&) = default;
};

// One FLK in base units (10^18).
inline U256 flk_unit() { return U256(1'000'000'000'000'000'000ull); }

}  // namespace fleek::ledger
