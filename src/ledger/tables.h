// The keys of the ledger state (docs/formats/ledger-state.md §Tables). Every entry of the
// state is one key → value pair in one ordered key space: the first key byte names the table,
// the rest is the table's key with integers big-endian so that key order is numeric order.
// Values are the canonical encodings of the records in types.h.
#pragma once

#include "ledger/types.h"

#include <string_view>

namespace fleek::ledger::tables {

enum class Table : uint8_t {
    chain = 0x01,              // (none) → ChainInfo
    params = 0x02,             // (none) → ProtocolParams
    account = 0x03,            // address → AccountInfo
    client_key = 0x04,         // client key → owner address (20 bytes)
    node = 0x05,               // index → NodeInfo
    node_key_index = 0x06,     // node key → index (u32 BE)
    consensus_key_index = 0x07,  // consensus key → index (u32 BE)
    committee = 0x08,          // epoch → CommitteeInfo
    service = 0x09,            // service id → Service
    beacon = 0x0a,             // index → BeaconEntry (current epoch only)
    non_revealer = 0x0b,       // index → round (u64 LE) (current epoch only)
    measurement = 0x0c,        // target index ‖ reporter index → Measurements (current epoch only)
    measurement_count = 0x0d,  // reporter index → submissions this epoch (u8)
    reputation = 0x0e,         // index → ReputationScore
    node_served = 0x0f,        // epoch ‖ index → NodeServed
    epoch_totals = 0x10,       // epoch → EpochTotals
    service_revenue = 0x11,    // epoch ‖ service id → revenue (u256 LE)
    session = 0x12,            // epoch ‖ client key ‖ session id → SessionClaim
    content_by_hash = 0x13,    // content hash ‖ index → (empty)
    content_by_node = 0x14,    // index ‖ content hash → (empty)
    executed = 0x15,           // epoch ‖ transaction digest → block height (u64 LE)
    withdraw = 0x16,           // withdraw id → WithdrawRecord
    mint = 0x17,               // bridge transaction hash → MintRecord
    slash = 0x18,              // evidence epoch ‖ evidence id → SlashRecord
    unlock = 0x19,             // node index ‖ unlock epoch → locked FLK (u256 LE, > 0)
};

std::string_view to_string(Table table) noexcept;

// Builds a key: the table byte then the parts.
class Key {
public:
    explicit Key(Table table) { m_bytes.push_back(static_cast<uint8_t>(table)); }
    Key& u32(uint32_t v) {
        for (int i = 3; i >= 0; --i) m_bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
        return *this;
    }
    Key& u64(uint64_t v) {
        for (int i = 7; i >= 0; --i) m_bytes.push_back(static_cast<uint8_t>(v >> (8 * i)));
        return *this;
    }
    Key& raw(ByteSpan bytes) {
        m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
        return *this;
    }
    Bytes take() { return std::move(m_bytes); }
    operator Bytes() { return std::move(m_bytes); }  // NOLINT: builder hands over its bytes

private:
    Bytes m_bytes;
};

inline uint32_t read_u32_be(ByteSpan bytes, size_t offset) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | bytes[offset + i];
    return v;
}
inline uint64_t read_u64_be(ByteSpan bytes, size_t offset) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v = (v << 8) | bytes[offset + i];
    return v;
}

inline Bytes prefix(Table table) { return Key(table); }
inline Bytes chain() { return Key(Table::chain); }
inline Bytes params() { return Key(Table::params); }
inline Bytes account(const AddressBytes& address) { return Key(Table::account).raw(address); }
inline Bytes client_key(const ClientKeyBytes& key) { return Key(Table::client_key).raw(key); }
inline Bytes node(NodeIndex index) { return Key(Table::node).u32(index); }
inline Bytes node_key_index(const NodeKeyBytes& key) { return Key(Table::node_key_index).raw(key); }
inline Bytes consensus_key_index(const ConsensusKeyBytes& key) { return Key(Table::consensus_key_index).raw(key); }
inline Bytes committee(Epoch epoch) { return Key(Table::committee).u64(epoch); }
inline Bytes service(ServiceId id) { return Key(Table::service).u32(id); }
inline Bytes beacon(NodeIndex index) { return Key(Table::beacon).u32(index); }
inline Bytes non_revealer(NodeIndex index) { return Key(Table::non_revealer).u32(index); }
inline Bytes measurement(NodeIndex target, NodeIndex reporter) {
    return Key(Table::measurement).u32(target).u32(reporter);
}
inline Bytes measurement_count(NodeIndex reporter) { return Key(Table::measurement_count).u32(reporter); }
inline Bytes reputation(NodeIndex index) { return Key(Table::reputation).u32(index); }
inline Bytes node_served(Epoch epoch, NodeIndex index) { return Key(Table::node_served).u64(epoch).u32(index); }
inline Bytes node_served_prefix(Epoch epoch) { return Key(Table::node_served).u64(epoch); }
inline Bytes epoch_totals(Epoch epoch) { return Key(Table::epoch_totals).u64(epoch); }
inline Bytes service_revenue(Epoch epoch, ServiceId id) { return Key(Table::service_revenue).u64(epoch).u32(id); }
inline Bytes service_revenue_prefix(Epoch epoch) { return Key(Table::service_revenue).u64(epoch); }
inline Bytes session(Epoch epoch, const ClientKeyBytes& client, const SessionId& id) {
    return Key(Table::session).u64(epoch).raw(client).raw(id);
}
inline Bytes session_prefix(Epoch epoch) { return Key(Table::session).u64(epoch); }
inline Bytes content_by_hash(const Hash32& content, NodeIndex index) {
    return Key(Table::content_by_hash).raw(content).u32(index);
}
inline Bytes content_by_hash_prefix(const Hash32& content) { return Key(Table::content_by_hash).raw(content); }
inline Bytes content_by_node(NodeIndex index, const Hash32& content) {
    return Key(Table::content_by_node).u32(index).raw(content);
}
inline Bytes content_by_node_prefix(NodeIndex index) { return Key(Table::content_by_node).u32(index); }
inline Bytes executed(Epoch epoch, const Hash32& digest) { return Key(Table::executed).u64(epoch).raw(digest); }
inline Bytes executed_prefix(Epoch epoch) { return Key(Table::executed).u64(epoch); }
inline Bytes withdraw(uint64_t id) { return Key(Table::withdraw).u64(id); }
inline Bytes mint(const Hash32& bridge_tx) { return Key(Table::mint).raw(bridge_tx); }
inline Bytes slash(Epoch evidence_epoch, const Hash32& evidence_id) {
    return Key(Table::slash).u64(evidence_epoch).raw(evidence_id);
}
inline Bytes unlock(NodeIndex index, Epoch until) { return Key(Table::unlock).u32(index).u64(until); }
inline Bytes unlock_prefix(NodeIndex index) { return Key(Table::unlock).u32(index); }

}  // namespace fleek::ledger::tables

namespace fleek::ledger {
// True when `key` belongs to a known table with that table's key size and `value` decodes as
// the table's record. Checkpoints are checked entry by entry with it before they are restored.
bool valid_state_entry(ByteSpan key, ByteSpan value);
}  // namespace fleek::ledger
