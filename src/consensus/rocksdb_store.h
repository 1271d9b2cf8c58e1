// The consensus Store on RocksDB (Debian's librocksdb 7.8): one database per node and epoch,
// tables as one-byte key prefixes, writes as rocksdb::WriteBatch with WriteOptions::sync, values
// of 4 KiB and more (batches) in blob files so compaction does not rewrite them.
#pragma once

#include "consensus/store.h"

#include <filesystem>
#include <memory>
#include <string>

namespace rocksdb {
class DB;
}

namespace fleek::consensus {

class RocksDbStore final : public Store {
public:
    static Result<std::unique_ptr<RocksDbStore>, std::string> open(const std::filesystem::path& directory);
    ~RocksDbStore() override;
    RocksDbStore(const RocksDbStore&) = delete;
    RocksDbStore& operator=(const RocksDbStore&) = delete;

    Result<std::optional<Bytes>, StoreError> get(Table table, ByteSpan key) override;
    Result<bool, StoreError> contains(Table table, ByteSpan key) override;
    Result<void, StoreError> write(const WriteBatch& batch, bool sync) override;
    Result<void, StoreError> scan(Table table, ByteSpan from, ByteSpan to, const Visitor& visit) override;

private:
    explicit RocksDbStore(rocksdb::DB* db) : m_db(db) {}
    rocksdb::DB* m_db;
};

}  // namespace fleek::consensus
