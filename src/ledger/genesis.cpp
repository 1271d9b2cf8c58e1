#include "ledger/genesis.h"

#include "crypto/keys.h"
#include "util/encoding.h"
#include "util/file.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <limits>
#include <set>

namespace fleek::ledger {

namespace {

constexpr size_t genesis_file_size_max = size_t{64} << 20;

// Reads one TOML table strictly: every key must be consumed, types must match.
class TableReader {
public:
    TableReader(const toml::table& table, std::string path, std::string_view source, std::string& error)
        : m_table(table), m_path(std::move(path)), m_source(source), m_error(error) {}

    bool ok() const { return m_error.empty(); }

    const toml::node* take(std::string_view key, bool required) {
        m_known.emplace(key);
        const toml::node* node = m_table.get(key);
        if (!node && required) fail_at(m_table.source(), fmt::format("missing key {}", name(key)));
        return node;
    }

    void u64(std::string_view key, uint64_t& out, bool required = false) {
        const toml::node* node = take(key, required);
        if (!node || !ok()) return;
        if (const auto* value = node->as_integer()) {
            if (value->get() < 0) return fail_at(node->source(), fmt::format("{} must not be negative", name(key)));
            out = static_cast<uint64_t>(value->get());
            return;
        }
        fail_at(node->source(), fmt::format("{} must be an integer", name(key)));
    }

    // A 256-bit amount: a decimal string (amounts exceed TOML's 64-bit integers), or an integer.
    void u256(std::string_view key, U256& out, bool required = false) {
        const toml::node* node = take(key, required);
        if (!node || !ok()) return;
        if (const auto* value = node->as_integer()) {
            if (value->get() < 0) return fail_at(node->source(), fmt::format("{} must not be negative", name(key)));
            out = U256(static_cast<uint64_t>(value->get()));
            return;
        }
        if (const auto* text = node->as_string()) {
            auto parsed = u256_parse_decimal(text->get());
            if (!parsed) return fail_at(node->source(), fmt::format("{}: {}", name(key), to_string(parsed.error())));
            out = *parsed;
            return;
        }
        fail_at(node->source(), fmt::format("{} must be a decimal string of base units", name(key)));
    }

    void boolean(std::string_view key, bool& out) {
        const toml::node* node = take(key, false);
        if (!node || !ok()) return;
        if (const auto* value = node->as_boolean()) {
            out = value->get();
            return;
        }
        fail_at(node->source(), fmt::format("{} must be true or false", name(key)));
    }

    const std::string* string(std::string_view key, bool required) {
        const toml::node* node = take(key, required);
        if (!node || !ok()) return nullptr;
        if (const auto* value = node->as_string()) return &value->get();
        fail_at(node->source(), fmt::format("{} must be a string", name(key)));
        return nullptr;
    }

    void address(std::string_view key, AddressBytes& out, bool required) {
        const std::string* text = string(key, required);
        if (!text) return;
        auto parsed = crypto::AccountAddress::parse(*text);
        if (!parsed) return fail_at(m_table.get(key)->source(), fmt::format("{} is not a 0x address", name(key)));
        out = parsed->bytes();
    }

    template <class Parse>
    void parsed(std::string_view key, bool required, Parse&& parse, std::string_view expected) {
        const std::string* text = string(key, required);
        if (!text) return;
        if (!parse(*text)) fail_at(m_table.get(key)->source(), fmt::format("{} must be {}", name(key), expected));
    }

    const toml::table* subtable(std::string_view key) {
        const toml::node* node = take(key, false);
        if (!node || !ok()) return nullptr;
        if (const auto* table = node->as_table()) return table;
        fail_at(node->source(), fmt::format("{} must be a table", name(key)));
        return nullptr;
    }

    const toml::array* array(std::string_view key) {
        const toml::node* node = take(key, false);
        if (!node || !ok()) return nullptr;
        if (const auto* list = node->as_array()) return list;
        fail_at(node->source(), fmt::format("{} must be an array", name(key)));
        return nullptr;
    }

    void finish() {
        if (!ok()) return;
        for (const auto& [key, node] : m_table) {
            if (!m_known.contains(std::string(key.str()))) {
                return fail_at(node.source(), fmt::format("unknown key {}", name(key.str())));
            }
        }
    }

    std::string name(std::string_view key) const { return m_path.empty() ? std::string(key) : m_path + "." + std::string(key); }

    void fail_at(const toml::source_region& where, std::string message) {
        if (!m_error.empty()) return;
        m_error = fmt::format("{}:{}:{}: {}", m_source, where.begin.line, where.begin.column, message);
    }

private:
    const toml::table& m_table;
    std::string m_path;
    std::string_view m_source;
    std::string& m_error;
    std::set<std::string, std::less<>> m_known;
};

// Visits each table of an array of tables.
template <class Visit>
void each_table(TableReader& parent, std::string_view key, std::string& error, std::string_view source, Visit&& visit) {
    const toml::array* list = parent.array(key);
    if (!list) return;
    for (size_t i = 0; i < list->size() && error.empty(); ++i) {
        const toml::table* table = (*list)[i].as_table();
        if (!table) {
            parent.fail_at((*list)[i].source(), fmt::format("{}[{}] must be a table", key, i));
            return;
        }
        TableReader reader(*table, fmt::format("{}[{}]", key, i), source, error);
        visit(reader);
        reader.finish();
    }
}

std::optional<CommodityType> parse_commodity(std::string_view text) {
    for (uint8_t i = 0; i < commodity_type_count; ++i) {
        if (to_string(static_cast<CommodityType>(i)) == text) return static_cast<CommodityType>(i);
    }
    return std::nullopt;
}

Result<Genesis, GenesisError> read_genesis(const toml::table& root, std::string_view source) {
    Genesis genesis;
    std::string error;
    TableReader top(root, "", source, error);
    top.u64("chain_id", genesis.chain_id, true);
    top.u64("epoch_start_ms", genesis.epoch_start_ms);
    top.address("governance", genesis.governance, true);
    top.address("protocol_fund", genesis.protocol_fund, true);
    if (const toml::table* params = top.subtable("params")) {
        TableReader reader(*params, "params", source, error);
        for (uint8_t i = 0; i < param_id_count && error.empty(); ++i) {
            const auto id = static_cast<ParamId>(i);
            U256 value = genesis.params.get(id);
            reader.u256(to_string(id), value);
            if (error.empty() && !genesis.params.assign(id, value)) {
                reader.fail_at(params->get(to_string(id))->source(),
                               fmt::format("params.{} is out of range", to_string(id)));
            }
        }
        reader.finish();
    }
    each_table(top, "accounts", error, source, [&](TableReader& reader) {
        GenesisAccount account;
        reader.address("address", account.address, true);
        reader.u256("flk", account.flk);
        reader.u256("stables", account.stables);
        reader.u256("bandwidth", account.bandwidth);
        if (const toml::array* keys = reader.array("client_keys")) {
            for (size_t i = 0; i < keys->size() && reader.ok(); ++i) {
                const auto* text = (*keys)[i].as_string();
                std::optional<crypto::ClientPublicKey> key;
                if (text) {
                    if (auto parsed_key = crypto::ClientPublicKey::from_base58(text->get())) key = *parsed_key;
                }
                if (!key) {
                    reader.fail_at((*keys)[i].source(), reader.name("client_keys") + " must hold base58 Ed25519 keys");
                    return;
                }
                account.client_keys.push_back(key->bytes());
            }
        }
        genesis.accounts.push_back(std::move(account));
    });
    each_table(top, "nodes", error, source, [&](TableReader& reader) {
        GenesisNode node;
        reader.address("owner", node.owner, true);
        reader.parsed("node_key", true, [&](const std::string& text) {
            auto key = crypto::NodePublicKey::from_base58(text);
            if (key) node.node_key = key->bytes();
            return key.has_value();
        }, "a base58 Ed25519 public key");
        reader.parsed("consensus_key", true, [&](const std::string& text) {
            auto key = crypto::ConsensusPublicKey::from_base58(text);
            if (key) node.consensus_key = key->bytes();
            return key.has_value();
        }, "a base58 BLS12-381 public key");
        reader.parsed("consensus_pop", true, [&](const std::string& text) {
            auto pop = hex_decode_array<crypto::bls::signature_size>(text);
            if (pop) node.consensus_pop = *pop;
            return pop.has_value();
        }, "96 hex digits (a BLS signature)");
        if (const std::string* domain = reader.string("domain", true)) node.domain = *domain;
        reader.u256("stake", node.stake, true);
        reader.u64("stake_locked_until", node.stake_locked_until);
        reader.boolean("genesis_committee", node.genesis_committee);
        if (const toml::table* ports = reader.subtable("ports")) {
            TableReader port_reader(*ports, reader.name("ports"), source, error);
            const auto port = [&](std::string_view key, uint16_t& out) {
                uint64_t value = out;
                port_reader.u64(key, value);
                if (!port_reader.ok()) return;
                if (value == 0 || value > 65535) {
                    port_reader.fail_at(ports->get(key)->source(), port_reader.name(key) + " must be a port (1-65535)");
                    return;
                }
                out = static_cast<uint16_t>(value);
            };
            port("pool", node.ports.pool);
            port("pool_quic", node.ports.pool_quic);
            port("handshake_http", node.ports.handshake_http);
            port("handshake_tcp", node.ports.handshake_tcp);
            port("rpc", node.ports.rpc);
            port("dht", node.ports.dht);
            port("pinger", node.ports.pinger);
            port_reader.finish();
        }
        genesis.nodes.push_back(std::move(node));
    });
    each_table(top, "services", error, source, [&](TableReader& reader) {
        GenesisService service;
        uint64_t id = 0;
        reader.u64("id", id, true);
        if (reader.ok() && id > std::numeric_limits<ServiceId>::max()) {
            reader.fail_at(reader.take("id", true)->source(), reader.name("id") + " must fit in 32 bits");
        }
        service.id = static_cast<ServiceId>(id);
        reader.address("owner", service.owner, true);
        reader.parsed("commodity", true, [&](const std::string& text) {
            auto commodity = parse_commodity(text);
            if (commodity) service.commodity = *commodity;
            return commodity.has_value();
        }, "bandwidth, compute or gpu");
        reader.u256("price_per_million_units", service.price_per_million_units, true);
        genesis.services.push_back(std::move(service));
    });
    top.finish();
    if (!error.empty()) return fail(GenesisError{GenesisErrorCode::invalid, error});
    if (auto valid = validate_genesis(genesis); !valid) {
        return fail(GenesisError{GenesisErrorCode::invalid, fmt::format("{}: {}", source, valid.error().message)});
    }
    return genesis;
}

std::string toml_string(std::string_view text) { return fmt::format("\"{}\"", text); }

}  // namespace

Hash32 Genesis::digest() const { return crypto::object_digest("genesis", codec::encode(*this)); }

Result<void, GenesisError> validate_genesis(const Genesis& genesis) {
    const auto invalid = [](std::string message) { return fail(GenesisError{GenesisErrorCode::invalid, std::move(message)}); };
    if (!genesis.params.valid()) return invalid("params are out of range or inconsistent (see docs/formats/genesis.md)");
    if (genesis.nodes.size() > active_set_size_max) return invalid("too many nodes");
    std::set<AddressBytes> addresses;
    std::set<ClientKeyBytes> client_keys;
    U256 flk_total = 0;
    U256 stables_total = 0;
    for (size_t i = 0; i < genesis.accounts.size(); ++i) {
        const GenesisAccount& account = genesis.accounts[i];
        if (!addresses.insert(account.address).second) return invalid(fmt::format("accounts[{}]: duplicate address", i));
        if (account.client_keys.size() > client_keys_per_account_max) {
            return invalid(fmt::format("accounts[{}]: more than {} client keys", i, client_keys_per_account_max));
        }
        for (const ClientKeyBytes& key : account.client_keys) {
            if (!crypto::ClientPublicKey::from_bytes(key)) return invalid(fmt::format("accounts[{}]: invalid client key", i));
            if (!client_keys.insert(key).second) return invalid(fmt::format("accounts[{}]: client key listed twice", i));
        }
        auto flk = checked_add(flk_total, account.flk);
        auto stables = checked_add(stables_total, account.stables);
        if (!flk || !stables) return invalid("balances overflow 256 bits");
        flk_total = *flk;
        stables_total = *stables;
    }
    std::set<NodeKeyBytes> node_keys;
    std::set<ConsensusKeyBytes> consensus_keys;
    size_t committee = 0;
    for (size_t i = 0; i < genesis.nodes.size(); ++i) {
        const GenesisNode& node = genesis.nodes[i];
        if (!crypto::NodePublicKey::from_bytes(node.node_key)) return invalid(fmt::format("nodes[{}]: invalid node key", i));
        if (!node_keys.insert(node.node_key).second) return invalid(fmt::format("nodes[{}]: duplicate node key", i));
        auto consensus = crypto::ConsensusPublicKey::from_bytes(node.consensus_key);
        if (!consensus) return invalid(fmt::format("nodes[{}]: invalid consensus key", i));
        if (!consensus_keys.insert(node.consensus_key).second) return invalid(fmt::format("nodes[{}]: duplicate consensus key", i));
        auto pop = crypto::ConsensusSignature::from_bytes(node.consensus_pop);
        if (!pop || !consensus->verify_possession(*pop)) {
            return invalid(fmt::format("nodes[{}]: consensus_pop is not a proof of possession of consensus_key", i));
        }
        if (!valid_domain(node.domain)) return invalid(fmt::format("nodes[{}]: invalid domain", i));
        if (!node.ports.valid()) return invalid(fmt::format("nodes[{}]: ports must be non-zero and distinct", i));
        if (node.genesis_committee) {
            ++committee;
            if (node.stake < genesis.params.min_stake) {
                return invalid(fmt::format("nodes[{}]: a genesis committee member needs at least min_stake", i));
            }
        }
        auto flk = checked_add(flk_total, node.stake);
        if (!flk) return invalid("stakes overflow 256 bits");
        flk_total = *flk;
    }
    if (committee == 0) return invalid("no node has genesis_committee = true");
    if (committee > committee_size_max) return invalid("genesis committee too large");
    std::set<ServiceId> service_ids;
    for (size_t i = 0; i < genesis.services.size(); ++i) {
        const GenesisService& service = genesis.services[i];
        if (!service_ids.insert(service.id).second) return invalid(fmt::format("services[{}]: duplicate id", i));
        if (service.price_per_million_units == 0) return invalid(fmt::format("services[{}]: price must be positive", i));
    }
    return {};
}

Result<Genesis, GenesisError> parse_genesis(std::string_view toml_text, std::string_view source_name) {
    toml::table root;
    try {
        root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& error) {
        return fail(GenesisError{GenesisErrorCode::syntax,
                                 fmt::format("{}:{}:{}: {}", source_name, error.source().begin.line,
                                             error.source().begin.column, error.description())});
    }
    return read_genesis(root, source_name);
}

Result<Genesis, GenesisError> load_genesis(const std::filesystem::path& path) {
    auto bytes = read_file(path, FileReadOptions{genesis_file_size_max, false});
    if (!bytes) return fail(GenesisError{GenesisErrorCode::io, bytes.error().message});
    return parse_genesis(as_string_view(*bytes), path.string());
}

std::string render_genesis(const Genesis& genesis) {
    std::string out;
    out += "# Fleek Network genesis (docs/formats/genesis.md). Amounts are decimal strings of base units.\n";
    out += fmt::format("chain_id = {}\n", genesis.chain_id);
    out += fmt::format("epoch_start_ms = {}\n", genesis.epoch_start_ms);
    out += fmt::format("governance = {}\n", toml_string(crypto::AccountAddress::from_bytes(genesis.governance).to_string()));
    out += fmt::format("protocol_fund = {}\n", toml_string(crypto::AccountAddress::from_bytes(genesis.protocol_fund).to_string()));
    out += "\n[params]\n";
    for (uint8_t i = 0; i < param_id_count; ++i) {
        const auto id = static_cast<ParamId>(i);
        const U256 value = genesis.params.get(id);
        if (value <= U256(std::numeric_limits<int64_t>::max()) && id != ParamId::min_stake &&
            id != ParamId::non_reveal_slash_amount) {
            out += fmt::format("{} = {}\n", to_string(id), u256_to_decimal(value));
        } else {
            out += fmt::format("{} = {}\n", to_string(id), toml_string(u256_to_decimal(value)));
        }
    }
    for (const GenesisAccount& account : genesis.accounts) {
        out += "\n[[accounts]]\n";
        out += fmt::format("address = {}\n", toml_string(crypto::AccountAddress::from_bytes(account.address).to_string()));
        out += fmt::format("flk = {}\n", toml_string(u256_to_decimal(account.flk)));
        out += fmt::format("stables = {}\n", toml_string(u256_to_decimal(account.stables)));
        out += fmt::format("bandwidth = {}\n", toml_string(u256_to_decimal(account.bandwidth)));
        out += "client_keys = [";
        for (size_t i = 0; i < account.client_keys.size(); ++i) {
            out += (i == 0 ? "" : ", ") + toml_string(base58_encode(account.client_keys[i]));
        }
        out += "]\n";
    }
    for (const GenesisNode& node : genesis.nodes) {
        out += "\n[[nodes]]\n";
        out += fmt::format("owner = {}\n", toml_string(crypto::AccountAddress::from_bytes(node.owner).to_string()));
        out += fmt::format("node_key = {}\n", toml_string(base58_encode(node.node_key)));
        out += fmt::format("consensus_key = {}\n", toml_string(base58_encode(node.consensus_key)));
        out += fmt::format("consensus_pop = {}\n", toml_string(hex_encode(node.consensus_pop)));
        out += fmt::format("domain = {}\n", toml_string(node.domain));
        out += fmt::format("stake = {}\n", toml_string(u256_to_decimal(node.stake)));
        out += fmt::format("stake_locked_until = {}\n", node.stake_locked_until);
        out += fmt::format("genesis_committee = {}\n", node.genesis_committee ? "true" : "false");
        out += fmt::format("ports = {{ pool = {}, pool_quic = {}, handshake_http = {}, handshake_tcp = {}, rpc = {}, dht = {}, "
                           "pinger = {} }}\n",
                           node.ports.pool, node.ports.pool_quic, node.ports.handshake_http, node.ports.handshake_tcp,
                           node.ports.rpc, node.ports.dht, node.ports.pinger);
    }
    for (const GenesisService& service : genesis.services) {
        out += "\n[[services]]\n";
        out += fmt::format("id = {}\n", service.id);
        out += fmt::format("owner = {}\n", toml_string(crypto::AccountAddress::from_bytes(service.owner).to_string()));
        out += fmt::format("commodity = {}\n", toml_string(to_string(service.commodity)));
        out += fmt::format("price_per_million_units = {}\n", toml_string(u256_to_decimal(service.price_per_million_units)));
    }
    return out;
}

}  // namespace fleek::ledger
