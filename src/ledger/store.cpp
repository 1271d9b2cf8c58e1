#include "ledger/store.h"

#include "util/assert.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <string_view>
#include <unordered_map>

namespace fleek::ledger {

namespace {

constexpr const char* state_family = "state";
constexpr const char* tree_family = "tree";
constexpr const char* meta_family = "meta";

rocksdb::Slice slice(ByteSpan bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
ByteSpan span(const rocksdb::Slice& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

rocksdb::ColumnFamilyOptions family_options(bool point_lookups) {
    rocksdb::ColumnFamilyOptions options;
    if (point_lookups) {
        rocksdb::BlockBasedTableOptions table;
        table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    }
    return options;
}

}  // namespace

struct BytesHash {
    size_t operator()(const Bytes& bytes) const noexcept {
        return std::hash<std::string_view>()(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
};

struct Store::Database {
    rocksdb::DB* db = nullptr;
    rocksdb::ColumnFamilyHandle* state = nullptr;
    rocksdb::ColumnFamilyHandle* tree = nullptr;
    rocksdb::ColumnFamilyHandle* meta = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;

    ~Database() {
        if (db == nullptr) return;
        // Handles go before the database (Debian's RocksDB asserts on leaked handles).
        for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle);
        handles.clear();
        db->Close();
        delete db;
    }
};

struct Store::Impl {
    // Lookups only, never iterated: the order of this map cannot affect any result. Used by the
    // thread that owns the Store only (snapshots bypass it).
    std::unordered_map<Bytes, std::optional<Bytes>, BytesHash> tree_cache;
    size_t tree_cache_entries = 0;
    // Shared with the snapshots: the database closes when the Store and every snapshot are gone.
    std::shared_ptr<Database> database;
    rocksdb::DB* db = nullptr;  // database->db, and its column families
    rocksdb::ColumnFamilyHandle* state = nullptr;
    rocksdb::ColumnFamilyHandle* tree = nullptr;
    rocksdb::ColumnFamilyHandle* meta = nullptr;
    bool sync_writes = true;
};

struct StoreSnapshot::Impl {
    std::shared_ptr<Store::Database> database;
    const rocksdb::Snapshot* snapshot = nullptr;

    rocksdb::ReadOptions read_options() const {
        rocksdb::ReadOptions options;
        options.snapshot = snapshot;
        return options;
    }
    ~Impl() {
        if (snapshot != nullptr) database->db->ReleaseSnapshot(snapshot);
    }
};

namespace {

enum class ReadOutcome : uint8_t { found, missing, failed };

ReadOutcome read_value(rocksdb::DB& db, const rocksdb::ReadOptions& options, rocksdb::ColumnFamilyHandle* family, ByteSpan key,
                       Bytes& out) {
    std::string value;
    const rocksdb::Status status = db.Get(options, family, slice(key), &value);
    if (status.IsNotFound()) return ReadOutcome::missing;
    if (!status.ok()) return ReadOutcome::failed;
    out.assign(value.begin(), value.end());
    return ReadOutcome::found;
}

// Visits the entries of `family` under `prefix` in key order; false if the storage failed.
bool scan_prefix(rocksdb::DB& db, rocksdb::ReadOptions options, rocksdb::ColumnFamilyHandle* family, ByteSpan prefix,
                 const ScanVisitor& visit) {
    const Bytes upper = prefix_successor(prefix);
    rocksdb::Slice upper_slice = slice(upper);
    if (!upper.empty()) options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(options, family));
    for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
        if (!visit(span(it->key()), span(it->value()))) break;
    }
    return it->status().ok();
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>, StoreError> Store::open(const std::filesystem::path& dir, const Options& store_options) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(StoreError{StoreErrorCode::io, "cannot create " + dir.string() + ": " + ec.message()});
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.keep_log_file_num = 2;
    options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    options.max_background_jobs = 2;
    std::vector<rocksdb::ColumnFamilyDescriptor> families{
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {state_family, family_options(true)},
        {tree_family, family_options(true)},
        {meta_family, family_options(false)},
    };
    auto database = std::make_shared<Database>();
    const rocksdb::Status status = rocksdb::DB::Open(options, dir.string(), families, &database->handles, &database->db);
    if (!status.ok()) {
        for (rocksdb::ColumnFamilyHandle* handle : database->handles) delete handle;
        database->handles.clear();
        database->db = nullptr;
        return fail(StoreError{StoreErrorCode::io, "cannot open ledger database " + dir.string() + ": " + status.ToString()});
    }
    database->state = database->handles[1];
    database->tree = database->handles[2];
    database->meta = database->handles[3];
    auto impl = std::make_unique<Impl>();
    impl->sync_writes = store_options.sync_writes;
    impl->tree_cache_entries = store_options.tree_cache_entries;
    impl->db = database->db;
    impl->state = database->state;
    impl->tree = database->tree;
    impl->meta = database->meta;
    impl->database = std::move(database);
    return std::unique_ptr<Store>(new Store(std::move(impl)));
}

std::optional<Bytes> Store::get_state(ByteSpan key) const {
    Bytes value;
    switch (read_value(*m_impl->db, rocksdb::ReadOptions(), m_impl->state, key, value)) {
        case ReadOutcome::found: return value;
        case ReadOutcome::missing: return std::nullopt;
        case ReadOutcome::failed: break;
    }
    m_read_failed = true;
    return std::nullopt;
}

bool Store::scan_state(ByteSpan prefix, const ScanVisitor& visit) const {
    if (scan_prefix(*m_impl->db, rocksdb::ReadOptions(), m_impl->state, prefix, visit)) return true;
    m_read_failed = true;
    return false;
}

std::unique_ptr<const StoreSnapshot> Store::snapshot() const {
    auto impl = std::make_unique<StoreSnapshot::Impl>();
    impl->database = m_impl->database;
    impl->snapshot = m_impl->db->GetSnapshot();
    return std::make_unique<const StoreSnapshot>(std::move(impl));
}

void Store::cache_tree_node(ByteSpan position, std::optional<Bytes> node) const {
    auto& cache = m_impl->tree_cache;
    Bytes key(position.begin(), position.end());
    if (auto it = cache.find(key); it != cache.end()) {
        it->second = std::move(node);
    } else if (cache.size() < m_impl->tree_cache_entries) {
        cache.emplace(std::move(key), std::move(node));
    }
}

std::optional<Bytes> Store::load_tree_node(ByteSpan position) const {
    if (auto it = m_impl->tree_cache.find(Bytes(position.begin(), position.end())); it != m_impl->tree_cache.end()) {
        return it->second;
    }
    std::string value;
    const rocksdb::Status status = m_impl->db->Get(rocksdb::ReadOptions(), m_impl->tree, slice(position), &value);
    if (status.IsNotFound()) {
        cache_tree_node(position, std::nullopt);
        return std::nullopt;
    }
    if (!status.ok()) {
        m_read_failed = true;
        return std::nullopt;
    }
    Bytes node(value.begin(), value.end());
    cache_tree_node(position, node);
    return node;
}

std::optional<Bytes> Store::get_meta(std::string_view key) const {
    std::string value;
    const rocksdb::Status status =
        m_impl->db->Get(rocksdb::ReadOptions(), m_impl->meta, rocksdb::Slice(key.data(), key.size()), &value);
    if (status.IsNotFound()) return std::nullopt;
    if (!status.ok()) {
        m_read_failed = true;
        return std::nullopt;
    }
    return Bytes(value.begin(), value.end());
}

Result<void, StoreError> Store::commit(const ChangeMap& state, const TreeWrites& tree,
                                       const std::vector<std::pair<std::string, Bytes>>& meta) {
    rocksdb::WriteBatch batch;
    for (const auto& [key, value] : state) {
        const rocksdb::Status s = value ? batch.Put(m_impl->state, slice(key), slice(*value)) : batch.Delete(m_impl->state, slice(key));
        if (!s.ok()) return fail(StoreError{StoreErrorCode::io, "ledger write batch: " + s.ToString()});
    }
    for (const auto& [key, value] : tree) {
        const rocksdb::Status s = value ? batch.Put(m_impl->tree, slice(key), slice(*value)) : batch.Delete(m_impl->tree, slice(key));
        if (!s.ok()) return fail(StoreError{StoreErrorCode::io, "ledger write batch: " + s.ToString()});
    }
    for (const auto& [key, value] : meta) {
        const rocksdb::Status s = batch.Put(m_impl->meta, rocksdb::Slice(key), slice(value));
        if (!s.ok()) return fail(StoreError{StoreErrorCode::io, "ledger write batch: " + s.ToString()});
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = m_impl->sync_writes;
    const rocksdb::Status status = m_impl->db->Write(write_options, &batch);
    if (!status.ok()) {
        m_impl->tree_cache.clear();  // the batch may or may not have landed
        return fail(StoreError{StoreErrorCode::io, "ledger commit: " + status.ToString()});
    }
    for (const auto& [position, node] : tree) cache_tree_node(position, node);
    return {};
}

// ---- StoreSnapshot -----------------------------------------------------------------------------

StoreSnapshot::StoreSnapshot(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
StoreSnapshot::~StoreSnapshot() = default;

std::optional<Bytes> StoreSnapshot::get_state(ByteSpan key) const {
    Bytes value;
    switch (read_value(*m_impl->database->db, m_impl->read_options(), m_impl->database->state, key, value)) {
        case ReadOutcome::found: return value;
        case ReadOutcome::missing: return std::nullopt;
        case ReadOutcome::failed: break;
    }
    m_read_failed.store(true, std::memory_order_relaxed);
    return std::nullopt;
}

bool StoreSnapshot::scan_state(ByteSpan prefix, const ScanVisitor& visit) const {
    if (scan_prefix(*m_impl->database->db, m_impl->read_options(), m_impl->database->state, prefix, visit)) return true;
    m_read_failed.store(true, std::memory_order_relaxed);
    return false;
}

std::optional<Bytes> StoreSnapshot::load_tree_node(ByteSpan position) const {
    Bytes node;
    switch (read_value(*m_impl->database->db, m_impl->read_options(), m_impl->database->tree, position, node)) {
        case ReadOutcome::found: return node;
        case ReadOutcome::missing: return std::nullopt;
        case ReadOutcome::failed: break;
    }
    m_read_failed.store(true, std::memory_order_relaxed);
    return std::nullopt;
}

// ---- MemoryState ------------------------------------------------------------------------------

std::optional<Bytes> MemoryState::get_state(ByteSpan key) const {
    auto it = m_entries.find(key);
    if (it == m_entries.end()) return std::nullopt;
    return it->second;
}

bool MemoryState::scan_state(ByteSpan prefix, const ScanVisitor& visit) const {
    for (auto it = m_entries.lower_bound(prefix); it != m_entries.end(); ++it) {
        const Bytes& key = it->first;
        if (key.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), key.begin())) break;
        if (!visit(key, it->second)) break;
    }
    return true;
}

void MemoryState::apply(const ChangeMap& changes) {
    for (const auto& [key, value] : changes) {
        if (value) {
            m_entries[key] = *value;
        } else {
            m_entries.erase(key);
        }
    }
}

// ---- StateView --------------------------------------------------------------------------------

std::optional<Bytes> StateView::get(ByteSpan key) const {
    if (m_in_transaction) {
        if (auto it = m_transaction.find(key); it != m_transaction.end()) return it->second;
    }
    if (auto it = m_block.find(key); it != m_block.end()) return it->second;
    if (auto it = m_base_reads.find(key); it != m_base_reads.end()) return it->second;
    auto value = m_base.get_state(key);
    m_base_reads.emplace(Bytes(key.begin(), key.end()), value);
    return value;
}

void StateView::put(ByteSpan key, Bytes value) {
    ChangeMap& layer = top();
    auto it = layer.find(key);
    if (it == layer.end()) {
        layer.emplace(Bytes(key.begin(), key.end()), std::move(value));
    } else {
        it->second = std::move(value);
    }
}

void StateView::erase(ByteSpan key) {
    ChangeMap& layer = top();
    auto it = layer.find(key);
    if (it == layer.end()) {
        layer.emplace(Bytes(key.begin(), key.end()), std::nullopt);
    } else {
        it->second = std::nullopt;
    }
}

void StateView::scan(ByteSpan prefix, const ScanVisitor& visit) const {
    // Merge the committed entries with both overlays; upper layers win.
    std::map<Bytes, std::optional<Bytes>, BytesLess> merged;
    const bool ok = m_base.scan_state(prefix, [&](ByteSpan key, ByteSpan value) {
        merged.emplace(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
        return true;
    });
    if (!ok) {
        m_failed = true;
        return;
    }
    const Bytes upper = prefix_successor(prefix);
    for (const ChangeMap* layer : {&m_block, &m_transaction}) {
        if (layer == &m_transaction && !m_in_transaction) continue;
        auto end = upper.empty() ? layer->end() : layer->lower_bound(upper);
        for (auto it = layer->lower_bound(prefix); it != end; ++it) merged[it->first] = it->second;
    }
    for (const auto& [key, value] : merged) {
        if (!value) continue;
        if (!visit(key, *value)) return;
    }
}

void StateView::begin_transaction() {
    FLEEK_ASSERT(!m_in_transaction);
    m_transaction.clear();
    m_in_transaction = true;
}

void StateView::commit_transaction() {
    FLEEK_ASSERT(m_in_transaction);
    for (auto& [key, value] : m_transaction) {
        auto it = m_block.find(key);
        if (it == m_block.end()) {
            m_block.emplace(key, std::move(value));
        } else {
            it->second = std::move(value);
        }
    }
    m_transaction.clear();
    m_in_transaction = false;
}

void StateView::rollback_transaction() {
    FLEEK_ASSERT(m_in_transaction);
    m_transaction.clear();
    m_in_transaction = false;
}

const ChangeMap& StateView::changes() const {
    FLEEK_ASSERT(!m_in_transaction);
    return m_block;
}

Bytes prefix_successor(ByteSpan prefix) {
    Bytes out(prefix.begin(), prefix.end());
    while (!out.empty()) {
        if (out.back() != 0xff) {
            ++out.back();
            return out;
        }
        out.pop_back();
    }
    return out;
}

}  // namespace fleek::ledger
