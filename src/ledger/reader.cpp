#include "ledger/reader.h"

#include "ledger/checkpoint.h"
#include "ledger/store.h"

#include <algorithm>

namespace fleek::ledger {

template <class T>
std::optional<T> LedgerReader::read(const Bytes& key) const {
    auto bytes = m_state->get_state(key);
    if (!bytes) return std::nullopt;
    auto decoded = codec::decode<T>(*bytes);
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
}

ChainInfo LedgerReader::chain_info() const { return read<ChainInfo>(tables::chain()).value_or(ChainInfo{}); }
ProtocolParams LedgerReader::params() const { return read<ProtocolParams>(tables::params()).value_or(ProtocolParams{}); }

EpochInfo LedgerReader::epoch_info() const {
    const ChainInfo chain = chain_info();
    const ProtocolParams p = params();
    EpochInfo info;
    info.epoch = chain.epoch;
    info.epoch_era = chain.epoch_era;
    if (auto c = committee(chain.epoch)) {
        info.start_ms = c->start_ms;
        info.end_ms = c->end_ms;
        info.transition_ms = c->end_ms - std::min(c->end_ms, p.beacon_commit_phase_ms + p.beacon_reveal_phase_ms);
        info.phase = c->phase;
    }
    return info;
}

std::optional<AccountInfo> LedgerReader::account(const crypto::AccountAddress& address) const {
    return read<AccountInfo>(tables::account(address.bytes()));
}

U256 LedgerReader::balance(const crypto::AccountAddress& address, Token token) const {
    auto info = account(address);
    return info ? info->balance(token) : U256(0);
}

std::optional<crypto::AccountAddress> LedgerReader::client_key_owner(const crypto::ClientPublicKey& key) const {
    auto bytes = m_state->get_state(tables::client_key(key.bytes()));
    if (!bytes || bytes->size() != crypto::ethereum::address_size) return std::nullopt;
    auto address = crypto::AccountAddress::from_bytes(ByteSpan(*bytes));
    if (!address) return std::nullopt;
    return *address;
}

std::optional<NodeInfo> LedgerReader::node(NodeIndex index) const { return read<NodeInfo>(tables::node(index)); }

std::optional<NodeIndex> LedgerReader::node_index(const crypto::NodePublicKey& key) const {
    auto bytes = m_state->get_state(tables::node_key_index(key.bytes()));
    if (!bytes || bytes->size() != 4) return std::nullopt;
    return tables::read_u32_be(*bytes, 0);
}

std::optional<NodeIndex> LedgerReader::node_index(const crypto::ConsensusPublicKey& key) const {
    auto bytes = m_state->get_state(tables::consensus_key_index(key.bytes()));
    if (!bytes || bytes->size() != 4) return std::nullopt;
    return tables::read_u32_be(*bytes, 0);
}

std::vector<std::pair<NodeIndex, NodeInfo>> LedgerReader::nodes() const {
    std::vector<std::pair<NodeIndex, NodeInfo>> out;
    m_state->scan_state(tables::prefix(tables::Table::node), [&](ByteSpan key, ByteSpan value) {
        auto node = codec::decode<NodeInfo>(value);
        if (key.size() == 5 && node) out.emplace_back(tables::read_u32_be(key, 1), std::move(*node));
        return true;
    });
    return out;
}

std::optional<CommitteeInfo> LedgerReader::committee(Epoch epoch_number) const {
    return read<CommitteeInfo>(tables::committee(epoch_number));
}

std::vector<CommitteeMember> LedgerReader::committee_members(Epoch epoch_number) const {
    std::vector<CommitteeMember> out;
    auto info = committee(epoch_number);
    if (!info) return out;
    for (const NodeIndex index : info->members) {
        auto record = node(index);
        if (!record) continue;
        auto node_key = crypto::NodePublicKey::from_bytes(record->node_key);
        auto consensus_key = crypto::ConsensusPublicKey::from_bytes(record->consensus_key);
        if (!node_key || !consensus_key) continue;  // keys are checked at registration
        out.push_back(CommitteeMember{index, *node_key, *consensus_key, record->domain, record->ports});
    }
    return out;
}

std::optional<ReputationScore> LedgerReader::reputation(NodeIndex index) const {
    return read<ReputationScore>(tables::reputation(index));
}
std::optional<NodeServed> LedgerReader::served(Epoch epoch_number, NodeIndex index) const {
    return read<NodeServed>(tables::node_served(epoch_number, index));
}
std::optional<EpochTotals> LedgerReader::epoch_totals(Epoch epoch_number) const {
    return read<EpochTotals>(tables::epoch_totals(epoch_number));
}
std::optional<SessionClaim> LedgerReader::session_claim(Epoch epoch_number, const ClientKeyBytes& client_key,
                                                       const SessionId& session_id) const {
    return read<SessionClaim>(tables::session(epoch_number, client_key, session_id));
}
std::optional<Service> LedgerReader::service(ServiceId id) const { return read<Service>(tables::service(id)); }
std::optional<WithdrawRecord> LedgerReader::withdraw(uint64_t id) const { return read<WithdrawRecord>(tables::withdraw(id)); }

std::vector<NodeIndex> LedgerReader::content_providers(const Hash32& content) const {
    std::vector<NodeIndex> out;
    m_state->scan_state(tables::content_by_hash_prefix(content), [&](ByteSpan key, ByteSpan) {
        if (key.size() == 1 + 32 + 4) out.push_back(tables::read_u32_be(key, 33));
        return true;
    });
    return out;
}

bool LedgerReader::digest_executed(const Hash32& digest) const {
    const Epoch current = epoch();
    if (m_state->get_state(tables::executed(current, digest))) return true;
    return current > 0 && m_state->get_state(tables::executed(current - 1, digest)).has_value();
}

std::optional<Bytes> LedgerReader::state_value(ByteSpan key) const { return m_state->get_state(key); }

Result<StateProofResponse, LedgerError> LedgerReader::prove(ByteSpan key) const {
    StateProofResponse response;
    response.root = m_root;
    response.height = m_height;
    response.value = m_state->get_state(key);
    auto proof = prove_state_key(*m_tree, key);
    if (!proof || m_state->read_failed()) return fail(LedgerError{LedgerErrorCode::corrupt, "state tree unreadable"});
    response.proof = std::move(*proof);
    return response;
}

void LedgerReader::for_each_entry(const std::function<void(ByteSpan key, ByteSpan value)>& visit) const {
    m_state->scan_state({}, [&](ByteSpan key, ByteSpan value) {
        visit(key, value);
        return true;
    });
}

Bytes LedgerReader::checkpoint() const {
    const ChainInfo chain = chain_info();
    CheckpointWriter writer(CheckpointHeader{chain.chain_id, chain.epoch, m_height, m_root});
    for_each_entry([&](ByteSpan key, ByteSpan value) { writer.add(key, value); });
    return writer.finish();
}

LedgerSnapshot::LedgerSnapshot(std::unique_ptr<const StoreSnapshot> store, uint64_t height, const Hash32& root)
    : LedgerReader(*store, *store, height, root), m_store(std::move(store)) {}

LedgerSnapshot::~LedgerSnapshot() = default;

}  // namespace fleek::ledger
