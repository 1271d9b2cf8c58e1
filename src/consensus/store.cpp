#include "consensus/store.h"

#include "util/assert.h"

namespace fleek::consensus {

std::string_view to_string(StoreError error) noexcept {
    switch (error) {
        case StoreError::io: return "storage I/O error";
        case StoreError::corrupt: return "stored record does not decode";
    }
    return "unknown storage error";
}

Bytes table_key(Table table, ByteSpan key) {
    Bytes out;
    out.reserve(key.size() + 1);
    out.push_back(static_cast<uint8_t>(table));
    out.insert(out.end(), key.begin(), key.end());
    return out;
}

void WriteBatch::put(Table table, ByteSpan key, ByteSpan value) {
    m_ops.push_back(Op{table_key(table, key), Bytes(value.begin(), value.end())});
}

void WriteBatch::erase(Table table, ByteSpan key) { m_ops.push_back(Op{table_key(table, key), std::nullopt}); }

Result<bool, StoreError> Store::contains(Table table, ByteSpan key) {
    auto value = get(table, key);
    if (!value) return fail(value.error());
    return value->has_value();
}

Result<std::optional<Bytes>, StoreError> MemoryStore::get(Table table, ByteSpan key) {
    auto it = m_current.find(table_key(table, key));
    if (it == m_current.end()) return std::optional<Bytes>{};
    return std::optional<Bytes>{it->second};
}

Result<bool, StoreError> MemoryStore::contains(Table table, ByteSpan key) {
    return m_current.count(table_key(table, key)) != 0;
}

Result<void, StoreError> MemoryStore::write(const WriteBatch& batch, bool sync) {
    if (m_fail_next) {
        m_fail_next = false;
        return fail(StoreError::io);
    }
    ++m_writes;
    Undo undo;
    if (!sync) undo.previous.reserve(batch.ops().size());
    for (const auto& op : batch.ops()) {
        auto it = m_current.find(op.key);
        if (!sync) {
            undo.previous.emplace_back(op.key, it == m_current.end() ? std::nullopt : std::optional<Bytes>(it->second));
        }
        if (op.value) {
            if (it == m_current.end()) {
                m_current.emplace(op.key, *op.value);
            } else {
                it->second = *op.value;
            }
        } else if (it != m_current.end()) {
            m_current.erase(it);
        }
    }
    if (sync) {
        ++m_synced_writes;
        m_unsynced.clear();  // everything before a synced write is durable too
    } else {
        m_unsynced.push_back(std::move(undo));
    }
    return {};
}

Result<void, StoreError> MemoryStore::scan(Table table, ByteSpan from, ByteSpan to, const Visitor& visit) {
    const Bytes start = table_key(table, from);
    auto it = m_current.lower_bound(start);
    const Bytes end = to.empty() ? Bytes{static_cast<uint8_t>(static_cast<uint8_t>(table) + 1)} : table_key(table, to);
    for (; it != m_current.end() && it->first < end; ++it) {
        const ByteSpan key(it->first.data() + 1, it->first.size() - 1);
        if (!visit(key, it->second)) break;
    }
    return {};
}

void MemoryStore::power_loss(size_t keep_unsynced) {
    while (m_unsynced.size() > keep_unsynced) {
        const Undo& undo = m_unsynced.back();
        for (auto it = undo.previous.rbegin(); it != undo.previous.rend(); ++it) {
            if (it->second) {
                m_current[it->first] = *it->second;
            } else {
                m_current.erase(it->first);
            }
        }
        m_unsynced.pop_back();
    }
    m_unsynced.clear();
}

Bytes key_u16(uint16_t value) { return Bytes{static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)}; }

Bytes key_u64(uint64_t value) {
    Bytes out(8);
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(value >> (56 - 8 * i));
    return out;
}

uint64_t read_key_u64(ByteSpan key, size_t offset) {
    FLEEK_ASSERT(key.size() >= offset + 8);
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) value = (value << 8) | key[offset + i];
    return value;
}

}  // namespace fleek::consensus
