// The storage a consensus node is given (docs/formats/consensus-store.md): an ordered key-value
// store with atomic write batches and an explicit sync flag, the minimum that both an in-memory
// store (tests, simulator) and RocksDB provide.
//
// Durability model (the one RocksDB's write-ahead log gives): writes are applied in order; a
// write with sync=true is durable when it returns, together with every write before it; after a
// power loss an unsynced suffix of the writes may be missing, never a write in the middle.
// MemoryStore models exactly this and can lose that suffix on demand.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

namespace fleek::consensus {

// Tables are a one-byte key prefix (column families in RocksDB terms).
enum class Table : uint8_t {
    meta = 1,                // fixed keys: consensus state, output state
    last_vote = 2,           // author u16 BE -> (round, header digest)             [synced]
    last_proposed = 3,       // "" -> header                                          [synced]
    certificates = 4,        // digest -> certificate
    certificate_rounds = 5,  // round u64 BE || author u16 BE -> digest
    batches = 6,             // worker u32 BE || batch digest -> batch encoding
    committed = 7,           // certificate digest -> sub-DAG index u64
    sub_dags = 8,            // index u64 BE -> committed sub-DAG record
    own_batches = 9,         // batch digest -> round it was last proposed in (0: queued)
    output_marks = 10,       // sub-DAG index u64 BE -> first transaction index u64
};

// The stored key of `key` in `table`: the table's byte, then the key.
Bytes table_key(Table table, ByteSpan key);

enum class StoreError : uint8_t { io, corrupt };
std::string_view to_string(StoreError error) noexcept;

class WriteBatch {
public:
    void put(Table table, ByteSpan key, ByteSpan value);
    void erase(Table table, ByteSpan key);
    bool empty() const noexcept { return m_ops.empty(); }
    size_t size() const noexcept { return m_ops.size(); }

    struct Op {
        Bytes key;                   // table byte || key
        std::optional<Bytes> value;  // nothing: delete
    };
    const std::vector<Op>& ops() const noexcept { return m_ops; }

private:
    std::vector<Op> m_ops;
};

class Store {
public:
    virtual ~Store() = default;
    virtual Result<std::optional<Bytes>, StoreError> get(Table table, ByteSpan key) = 0;
    virtual Result<bool, StoreError> contains(Table table, ByteSpan key);
    // Atomic: all operations of the batch or none.
    virtual Result<void, StoreError> write(const WriteBatch& batch, bool sync) = 0;
    // Visits the entries of `table` with from <= key < to in ascending key order (an empty `to`
    // means the end of the table) until the visitor returns false.
    using Visitor = std::function<bool(ByteSpan key, ByteSpan value)>;
    virtual Result<void, StoreError> scan(Table table, ByteSpan from, ByteSpan to, const Visitor& visit) = 0;
};

// In memory, with the durability model above.
class MemoryStore final : public Store {
public:
    Result<std::optional<Bytes>, StoreError> get(Table table, ByteSpan key) override;
    Result<bool, StoreError> contains(Table table, ByteSpan key) override;
    Result<void, StoreError> write(const WriteBatch& batch, bool sync) override;
    Result<void, StoreError> scan(Table table, ByteSpan from, ByteSpan to, const Visitor& visit) override;

    // A process crash keeps every write (the OS has them). A power loss keeps the synced writes
    // and the first `keep_unsynced` of the unsynced ones (clamped), dropping the rest.
    void power_loss(size_t keep_unsynced);
    size_t unsynced_writes() const noexcept { return m_unsynced.size(); }
    size_t writes() const noexcept { return m_writes; }
    size_t synced_writes() const noexcept { return m_synced_writes; }
    size_t entries() const noexcept { return m_current.size(); }
    // Makes the next write fail with StoreError::io (tests of the halting path).
    void fail_next_write() noexcept { m_fail_next = true; }

private:
    // Undo information of each unsynced write: the previous value of every key it touched, so a
    // power loss can roll back a suffix without keeping a second copy of the data.
    struct Undo {
        std::vector<std::pair<Bytes, std::optional<Bytes>>> previous;
    };
    std::map<Bytes, Bytes> m_current;
    std::vector<Undo> m_unsynced;
    size_t m_writes = 0;
    size_t m_synced_writes = 0;
    bool m_fail_next = false;
};

// Big-endian key helpers (so keys sort by number).
Bytes key_u16(uint16_t value);
Bytes key_u64(uint64_t value);
uint64_t read_key_u64(ByteSpan key, size_t offset);

}  // namespace fleek::consensus
