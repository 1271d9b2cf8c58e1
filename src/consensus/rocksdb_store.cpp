#include "consensus/rocksdb_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

namespace fleek::consensus {

namespace {

rocksdb::Slice slice(ByteSpan bytes) { return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size()); }

}  // namespace

Result<std::unique_ptr<RocksDbStore>, std::string> RocksDbStore::open(const std::filesystem::path& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) return fail("cannot create " + directory.string() + ": " + error.message());
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = 64 << 20;
    options.max_write_buffer_number = 4;
    options.compression = rocksdb::kNoCompression;
    options.enable_blob_files = true;
    options.min_blob_size = 4096;
    options.blob_file_size = 256 << 20;
    options.max_background_jobs = 2;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status status = rocksdb::DB::Open(options, directory.string(), &db);
    if (!status.ok()) return fail("cannot open RocksDB at " + directory.string() + ": " + status.ToString());
    return std::unique_ptr<RocksDbStore>(new RocksDbStore(db));
}

RocksDbStore::~RocksDbStore() {
    // Every iterator is released inside scan(), so closing is safe (Debian's build asserts it).
    if (m_db) {
        (void)m_db->Close();
        delete m_db;
    }
}

Result<std::optional<Bytes>, StoreError> RocksDbStore::get(Table table, ByteSpan key) {
    const Bytes k = table_key(table, key);
    std::string value;
    const rocksdb::Status status = m_db->Get(rocksdb::ReadOptions(), slice(k), &value);
    if (status.IsNotFound()) return std::optional<Bytes>{};
    if (!status.ok()) return fail(StoreError::io);
    return std::optional<Bytes>{Bytes(value.begin(), value.end())};
}

Result<bool, StoreError> RocksDbStore::contains(Table table, ByteSpan key) {
    const Bytes k = table_key(table, key);
    rocksdb::PinnableSlice value;
    const rocksdb::Status status = m_db->Get(rocksdb::ReadOptions(), m_db->DefaultColumnFamily(), slice(k), &value);
    if (status.IsNotFound()) return false;
    if (!status.ok()) return fail(StoreError::io);
    return true;
}

Result<void, StoreError> RocksDbStore::write(const WriteBatch& batch, bool sync) {
    rocksdb::WriteBatch b;
    for (const auto& op : batch.ops()) {
        const rocksdb::Status status = op.value ? b.Put(slice(op.key), slice(*op.value)) : b.Delete(slice(op.key));
        if (!status.ok()) return fail(StoreError::io);
    }
    rocksdb::WriteOptions options;
    options.sync = sync;
    if (!m_db->Write(options, &b).ok()) return fail(StoreError::io);
    return {};
}

Result<void, StoreError> RocksDbStore::scan(Table table, ByteSpan from, ByteSpan to, const Visitor& visit) {
    const Bytes start = table_key(table, from);
    const Bytes end = to.empty() ? Bytes{static_cast<uint8_t>(static_cast<uint8_t>(table) + 1)} : table_key(table, to);
    rocksdb::ReadOptions options;
    const rocksdb::Slice upper = slice(end);
    options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(options));
    for (it->Seek(slice(start)); it->Valid(); it->Next()) {
        const rocksdb::Slice k = it->key();
        const rocksdb::Slice v = it->value();
        const ByteSpan key(reinterpret_cast<const uint8_t*>(k.data()) + 1, k.size() - 1);
        const ByteSpan value(reinterpret_cast<const uint8_t*>(v.data()), v.size());
        if (!visit(key, value)) break;
    }
    const bool ok = it->status().ok();
    it.reset();
    if (!ok) return fail(StoreError::io);
    return {};
}

}  // namespace fleek::consensus
