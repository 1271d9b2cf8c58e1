// The genesis of a network (docs/formats/genesis.md): a TOML file with the chain id, the
// protocol parameters, the accounts, the nodes with their keys, stakes, ports and proofs of
// possession, the genesis committee, and the services with their prices.
//
// Loading is strict: unknown keys, wrong types, values out of range, invalid keys and proofs
// of possession, duplicate keys and inconsistent parameters are errors that name the key.
// render_genesis() writes the same format; loading its output gives back an equal Genesis.
#pragma once

#include "ledger/types.h"
#include "util/result.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::ledger {

struct GenesisAccount {
    AddressBytes address{};
    U256 flk = 0;
    U256 stables = 0;
    U256 bandwidth = 0;
    std::vector<ClientKeyBytes> client_keys;  // approved client keys

    template <class V>
    void fields(V& v) {
        v(address), v(flk), v(stables), v(bandwidth), v.seq(client_keys, client_keys_per_account_max);
    }
    friend bool operator==(const GenesisAccount&, const GenesisAccount&) = default;
};

struct GenesisNode {
    AddressBytes owner{};
    NodeKeyBytes node_key{};
    ConsensusKeyBytes consensus_key{};
    BlsSignatureBytes consensus_pop{};
    std::string domain;
    NodePorts ports;
    U256 stake = 0;
    Epoch stake_locked_until = 0;
    bool genesis_committee = false;

    template <class V>
    void fields(V& v) {
        v(owner), v(node_key), v(consensus_key), v(consensus_pop), v.str(domain, domain_size_max), v(ports), v(stake);
        v(stake_locked_until), v(genesis_committee);
    }
    friend bool operator==(const GenesisNode&, const GenesisNode&) = default;
};

struct GenesisService {
    ServiceId id = 0;
    AddressBytes owner{};
    CommodityType commodity = CommodityType::bandwidth;
    U256 price_per_million_units = 0;

    template <class V>
    void fields(V& v) {
        v(id), v(owner), v.tag(commodity, commodity_type_count), v(price_per_million_units);
    }
    friend bool operator==(const GenesisService&, const GenesisService&) = default;
};

inline constexpr uint32_t genesis_entries_max = 1 << 20;

struct Genesis {
    uint64_t chain_id = 0;
    uint64_t epoch_start_ms = 0;
    AddressBytes governance{};
    AddressBytes protocol_fund{};
    ProtocolParams params;
    std::vector<GenesisAccount> accounts;
    std::vector<GenesisNode> nodes;  // node indices follow this order
    std::vector<GenesisService> services;

    template <class V>
    void fields(V& v) {
        v(chain_id), v(epoch_start_ms), v(governance), v(protocol_fund), v(params);
        v.seq(accounts, genesis_entries_max), v.seq(nodes, active_set_size_max), v.seq(services, genesis_entries_max);
    }
    FLEEK_LEDGER_CODEC(Genesis)
    friend bool operator==(const Genesis&, const Genesis&) = default;

    // object_digest("genesis", canonical encoding): names the network in the state.
    Hash32 digest() const;
};

enum class GenesisErrorCode : uint8_t { io, syntax, invalid };

struct GenesisError {
    GenesisErrorCode code = GenesisErrorCode::invalid;
    std::string message;  // names the source, the key and what is wrong
};

Result<Genesis, GenesisError> parse_genesis(std::string_view toml_text, std::string_view source_name = "genesis");
Result<Genesis, GenesisError> load_genesis(const std::filesystem::path& path);
std::string render_genesis(const Genesis& genesis);

// The rules a genesis must satisfy beyond its syntax (also applied by parse_genesis).
Result<void, GenesisError> validate_genesis(const Genesis& genesis);

}  // namespace fleek::ledger
