// Storage of the ledger: a RocksDB database with three column families, and the in-memory
// overlay that a block executes on.
//
//   state  the ledger state: key → value (tables.h)
//   tree   the state tree's nodes by position (state_tree.h)
//   meta   height, state root, format version (not part of the state root)
//
// A block's changes to all three are one WriteBatch, so after a crash the database holds the
// state of the last committed block, never part of a block. RocksDB stays inside store.cpp.
#pragma once

#include "ledger/state_tree.h"
#include "util/bytes.h"
#include "util/result.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fleek::ledger {

struct BytesLess {
    using is_transparent = void;
    bool operator()(ByteSpan a, ByteSpan b) const noexcept {
        const size_t common = std::min(a.size(), b.size());
        const int order = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
        return order != 0 ? order < 0 : a.size() < b.size();
    }
};

// Changes to the state: key → new value, or nullopt for a deleted key.
using ChangeMap = std::map<Bytes, std::optional<Bytes>, BytesLess>;

using ScanVisitor = std::function<bool(ByteSpan key, ByteSpan value)>;

// Read access to a committed state.
class StateReader {
public:
    virtual ~StateReader() = default;
    virtual std::optional<Bytes> get_state(ByteSpan key) const = 0;
    // Visits the entries whose key starts with `prefix`, in key order, while `visit` returns
    // true. Returns false if the storage failed.
    virtual bool scan_state(ByteSpan prefix, const ScanVisitor& visit) const = 0;
    // True once any read failed (a storage error, not a missing key).
    virtual bool read_failed() const = 0;
};

enum class StoreErrorCode : uint8_t { io, corrupt };

struct StoreError {
    StoreErrorCode code = StoreErrorCode::io;
    std::string message;
};

class StoreSnapshot;

class Store final : public StateReader, public TreeNodeReader {
public:
    struct Options {
        bool sync_writes = true;  // fsync the write-ahead log at each commit
        // Tree nodes (and known-absent positions) kept in memory after a read or write; about
        // 150 bytes each. Lookups only: the cache never changes a result.
        size_t tree_cache_entries = 1 << 19;
    };

    static Result<std::unique_ptr<Store>, StoreError> open(const std::filesystem::path& dir, const Options& options);
    ~Store() override;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    std::optional<Bytes> get_state(ByteSpan key) const override;
    bool scan_state(ByteSpan prefix, const ScanVisitor& visit) const override;
    bool read_failed() const override { return m_read_failed; }
    void clear_read_failure() { m_read_failed = false; }

    std::optional<Bytes> load_tree_node(ByteSpan position) const override;
    std::optional<Bytes> get_meta(std::string_view key) const;

    // Writes everything atomically.
    Result<void, StoreError> commit(const ChangeMap& state, const TreeWrites& tree,
                                    const std::vector<std::pair<std::string, Bytes>>& meta);

    // The committed state as it is now, for readers on other threads (StoreSnapshot).
    std::unique_ptr<const StoreSnapshot> snapshot() const;

    struct Database;  // the open RocksDB database, shared with the snapshots taken of it

private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    void cache_tree_node(ByteSpan position, std::optional<Bytes> node) const;

    std::unique_ptr<Impl> m_impl;
    mutable bool m_read_failed = false;
};

// The state and state tree of the store as they were when Store::snapshot() was called (a
// RocksDB snapshot, released by the destructor): later commits do not show, and tree nodes that
// later blocks overwrite or erase stay readable, so a proof taken from it verifies against the
// root of its block. Thread-safe: reads go to RocksDB directly, never through the Store's tree
// cache (which the executing thread changes). It keeps the database open while it lives: drop it
// promptly (RocksDB also keeps the old versions it sees from compaction).
class StoreSnapshot final : public StateReader, public TreeNodeReader {
public:
    struct Impl;
    explicit StoreSnapshot(std::unique_ptr<Impl> impl);
    ~StoreSnapshot() override;
    StoreSnapshot(const StoreSnapshot&) = delete;
    StoreSnapshot& operator=(const StoreSnapshot&) = delete;

    std::optional<Bytes> get_state(ByteSpan key) const override;
    bool scan_state(ByteSpan prefix, const ScanVisitor& visit) const override;
    bool read_failed() const override { return m_read_failed.load(std::memory_order_relaxed); }
    std::optional<Bytes> load_tree_node(ByteSpan position) const override;

private:
    std::unique_ptr<Impl> m_impl;
    mutable std::atomic<bool> m_read_failed{false};
};

// A committed state in memory (checkpoint checks, tests).
class MemoryState final : public StateReader {
public:
    std::optional<Bytes> get_state(ByteSpan key) const override;
    bool scan_state(ByteSpan prefix, const ScanVisitor& visit) const override;
    bool read_failed() const override { return false; }
    void apply(const ChangeMap& changes);
    const std::map<Bytes, Bytes, BytesLess>& entries() const { return m_entries; }

private:
    std::map<Bytes, Bytes, BytesLess> m_entries;
};

// The state a block executes on: the committed state with the block's changes on top, and the
// current transaction's changes on top of those, so a reverted transaction is dropped whole.
class StateView {
public:
    explicit StateView(const StateReader& base) : m_base(base) {}

    std::optional<Bytes> get(ByteSpan key) const;
    void put(ByteSpan key, Bytes value);
    void erase(ByteSpan key);
    // Visits the merged entries under `prefix` in key order while `visit` returns true.
    void scan(ByteSpan prefix, const ScanVisitor& visit) const;

    void begin_transaction();
    void commit_transaction();
    void rollback_transaction();
    bool in_transaction() const { return m_in_transaction; }

    // The block's changes (no transaction may be open).
    const ChangeMap& changes() const;
    // True when the storage failed or a stored record did not decode: the block must be dropped.
    bool failed() const { return m_failed || m_base.read_failed(); }
    void mark_failed() const { m_failed = true; }

private:
    ChangeMap& top() { return m_in_transaction ? m_transaction : m_block; }

    const StateReader& m_base;
    // Committed values read during this block (the committed state does not change under it).
    mutable ChangeMap m_base_reads;
    ChangeMap m_block;
    ChangeMap m_transaction;
    bool m_in_transaction = false;
    mutable bool m_failed = false;
};

// The first key after every key that starts with `prefix` (empty when there is none).
Bytes prefix_successor(ByteSpan prefix);

}  // namespace fleek::ledger
