// Typed reads and writes of ledger records on a StateView (internal to the ledger module).
#pragma once

#include "ledger/store.h"
#include "ledger/tables.h"
#include "ledger/types.h"

#include <optional>

namespace fleek::ledger {

class TypedState {
public:
    explicit TypedState(StateView& view) : m_view(view) {}

    StateView& view() { return m_view; }

    template <class T>
    std::optional<T> get(const Bytes& key) const {
        auto bytes = m_view.get(key);
        if (!bytes) return std::nullopt;
        auto decoded = codec::decode<T>(*bytes);
        if (!decoded) {
            m_view.mark_failed();  // a stored record that does not decode: corruption
            return std::nullopt;
        }
        return std::move(*decoded);
    }
    template <class T>
    void put(const Bytes& key, const T& value) {
        m_view.put(key, codec::encode(value));
    }
    void erase(const Bytes& key) { m_view.erase(key); }
    bool exists(const Bytes& key) const { return m_view.get(key).has_value(); }

    // Fixed-width values stored without a record around them.
    std::optional<uint32_t> get_u32_be(const Bytes& key) const {
        auto bytes = m_view.get(key);
        if (!bytes) return std::nullopt;
        if (bytes->size() != 4) {
            m_view.mark_failed();
            return std::nullopt;
        }
        return tables::read_u32_be(*bytes, 0);
    }
    void put_u32_be(const Bytes& key, uint32_t value) {
        Bytes bytes(4);
        for (size_t i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * (3 - i)));
        m_view.put(key, std::move(bytes));
    }
    std::optional<uint64_t> get_u64(const Bytes& key) const {
        auto bytes = m_view.get(key);
        if (!bytes) return std::nullopt;
        codec::Reader r(*bytes);
        auto value = r.u64();
        if (!value || !r.finish()) {
            m_view.mark_failed();
            return std::nullopt;
        }
        return *value;
    }
    void put_u64(const Bytes& key, uint64_t value) {
        codec::Writer w;
        w.u64(value);
        m_view.put(key, w.take());
    }
    std::optional<U256> get_u256(const Bytes& key) const {
        auto bytes = m_view.get(key);
        if (!bytes) return std::nullopt;
        if (bytes->size() != 32) {
            m_view.mark_failed();
            return std::nullopt;
        }
        return u256_from_le_bytes(std::span<const uint8_t, 32>(bytes->data(), 32));
    }
    void put_u256(const Bytes& key, const U256& value) {
        const auto bytes = u256_to_le_bytes(value);
        m_view.put(key, Bytes(bytes.begin(), bytes.end()));
    }

    // The singleton records, present from genesis on.
    ChainInfo chain() const { return required<ChainInfo>(tables::chain()); }
    void set_chain(const ChainInfo& info) { put(tables::chain(), info); }
    ProtocolParams params() const { return required<ProtocolParams>(tables::params()); }
    void set_params(const ProtocolParams& params) { put(tables::params(), params); }

    AccountInfo account(const AddressBytes& address) const {
        return get<AccountInfo>(tables::account(address)).value_or(AccountInfo{});
    }
    void set_account(const AddressBytes& address, const AccountInfo& info) { put(tables::account(address), info); }
    std::optional<NodeInfo> node(NodeIndex index) const { return get<NodeInfo>(tables::node(index)); }
    void set_node(NodeIndex index, const NodeInfo& info) { put(tables::node(index), info); }
    std::optional<CommitteeInfo> committee(Epoch epoch) const { return get<CommitteeInfo>(tables::committee(epoch)); }
    void set_committee(Epoch epoch, const CommitteeInfo& info) { put(tables::committee(epoch), info); }

private:
    template <class T>
    T required(const Bytes& key) const {
        auto value = get<T>(key);
        if (!value) {
            m_view.mark_failed();
            return T{};
        }
        return std::move(*value);
    }

    StateView& m_view;
};

}  // namespace fleek::ledger
