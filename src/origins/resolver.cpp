#include "origins/resolver.h"

#include "codec/codec.h"
#include "util/file.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

namespace fleek::origins {

namespace {

constexpr uint8_t record_version = 1;

rocksdb::Slice slice(ByteSpan bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
rocksdb::Slice slice(std::string_view text) { return {text.data(), text.size()}; }

template <class T, class Read>
Result<T, std::string> decode_value(ByteSpan bytes, std::string_view what, Read&& read) {
    codec::Reader reader(bytes);
    auto version = reader.u8();
    if (!version || *version != record_version) return fail(fmt::format("{}: unknown record version", what));
    T value{};
    if (auto ok = read(reader, value); !ok) return fail(fmt::format("{}: {}", what, codec::to_string(ok.error())));
    if (auto done = reader.finish(); !done) return fail(fmt::format("{}: {}", what, codec::to_string(done.error())));
    return value;
}

}  // namespace

Bytes encode_ipfs_record(const IpfsRecord& record) {
    codec::Writer writer;
    writer.u8(record_version);
    writer.tag(static_cast<uint8_t>(record.kind));
    writer.fixed(record.hash);
    writer.u64(record.size);
    writer.fixed(record.car);
    return writer.take();
}

Result<IpfsRecord, std::string> decode_ipfs_record(ByteSpan bytes) {
    return decode_value<IpfsRecord>(bytes, "IPFS record", [](codec::Reader& reader, IpfsRecord& out) -> Result<void, codec::DecodeError> {
        auto kind = reader.tag(3);
        if (!kind) return fail(kind.error());
        out.kind = static_cast<ResolvedKind>(*kind);
        auto hash = reader.array<32>();
        if (!hash) return fail(hash.error());
        out.hash = *hash;
        auto size = reader.u64();
        if (!size) return fail(size.error());
        out.size = *size;
        auto car = reader.array<32>();
        if (!car) return fail(car.error());
        out.car = *car;
        return {};
    });
}

Bytes encode_block_location(const BlockLocation& location) {
    codec::Writer writer;
    writer.u8(record_version);
    writer.fixed(location.car);
    writer.u64(location.offset);
    writer.u32(location.size);
    return writer.take();
}

Result<BlockLocation, std::string> decode_block_location(ByteSpan bytes) {
    return decode_value<BlockLocation>(bytes, "block location", [](codec::Reader& reader, BlockLocation& out) -> Result<void, codec::DecodeError> {
        auto car = reader.array<32>();
        if (!car) return fail(car.error());
        out.car = *car;
        auto offset = reader.u64();
        if (!offset) return fail(offset.error());
        out.offset = *offset;
        auto size = reader.u32();
        if (!size) return fail(size.error());
        out.size = *size;
        return {};
    });
}

Bytes encode_http_record(const HttpRecord& record) {
    codec::Writer writer;
    writer.u8(record_version);
    writer.fixed(record.hash);
    writer.u64(record.size);
    return writer.take();
}

Result<HttpRecord, std::string> decode_http_record(ByteSpan bytes) {
    return decode_value<HttpRecord>(bytes, "HTTP record", [](codec::Reader& reader, HttpRecord& out) -> Result<void, codec::DecodeError> {
        auto hash = reader.array<32>();
        if (!hash) return fail(hash.error());
        out.hash = *hash;
        auto size = reader.u64();
        if (!size) return fail(size.error());
        out.size = *size;
        return {};
    });
}

namespace {

constexpr std::string_view legacy_blocks_family = "blocks";

std::string block_car_key(ByteSpan multihash, const Hash32& car) {
    std::string key(as_string_view(multihash));
    key.append(as_string_view(car));
    return key;
}

std::string car_block_key(const Hash32& car, ByteSpan multihash) {
    std::string key(as_string_view(car));
    key.append(as_string_view(multihash));
    return key;
}

}  // namespace

Result<std::unique_ptr<Resolver>, std::string> Resolver::open(const std::filesystem::path& path, ResolverOptions resolver_options) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) return fail(fmt::format("resolver: cannot create {}: {}", path.string(), error.message()));
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.keep_log_file_num = 4;
    options.max_open_files = 256;
    rocksdb::ColumnFamilyOptions family_options;
    family_options.compression = rocksdb::kNoCompression;  // keys and values are hashes
    std::vector<rocksdb::ColumnFamilyDescriptor> families = {
        {rocksdb::kDefaultColumnFamilyName, family_options},
        {"ipfs", family_options},
        {"block_cars", family_options},
        {"car_blocks", family_options},
        {"http", family_options},
        {"claims", family_options},
        {"claims_by_hash", family_options},
        {"claim_counts", family_options},
    };
    // A database from before block_cars: its `blocks` family is opened to be converted.
    std::vector<std::string> existing;
    bool legacy = false;
    if (rocksdb::DB::ListColumnFamilies(options, path.string(), &existing).ok()) {
        legacy = std::find(existing.begin(), existing.end(), legacy_blocks_family) != existing.end();
    }
    if (legacy) families.emplace_back(std::string(legacy_blocks_family), family_options);
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    const rocksdb::Status status = rocksdb::DB::Open(options, path.string(), families, &handles, &db);
    if (!status.ok()) return fail(fmt::format("resolver: cannot open {}: {}", path.string(), status.ToString()));
    std::unique_ptr<Resolver> resolver(new Resolver());
    resolver->m_db.reset(db);
    resolver->m_default = handles[0];
    resolver->m_ipfs = handles[1];
    resolver->m_block_cars = handles[2];
    resolver->m_car_blocks = handles[3];
    resolver->m_http = handles[4];
    resolver->m_claims = handles[5];
    resolver->m_claims_by_hash = handles[6];
    resolver->m_claim_counts = handles[7];
    resolver->m_options = resolver_options;
    if (legacy) {
        auto converted = resolver->convert_legacy_blocks(handles[8]);
        resolver->m_db->DestroyColumnFamilyHandle(handles[8]);
        if (!converted) return fail(converted.error());
    }
    auto total = resolver->load_claim_total();
    if (!total) return fail(total.error());
    resolver->m_claims_total = *total;
    return resolver;
}

Result<void, std::string> Resolver::convert_legacy_blocks(rocksdb::ColumnFamilyHandle* legacy) {
    rocksdb::WriteBatch write;
    {
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), legacy));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            const ByteSpan multihash = as_bytes(std::string_view(it->key().data(), it->key().size()));
            auto location = decode_block_location(as_bytes(std::string_view(it->value().data(), it->value().size())));
            if (!location) continue;  // unreadable: the block is simply not known any more
            write.Put(m_block_cars, slice(block_car_key(multihash, location->car)), slice(std::string_view(it->value().data(), it->value().size())));
            write.Put(m_car_blocks, slice(car_block_key(location->car, multihash)), rocksdb::Slice());
        }
        if (!it->status().ok()) return fail(fmt::format("resolver: reading the old block index: {}", it->status().ToString()));
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    if (const auto status = m_db->Write(options, &write); !status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    if (const auto status = m_db->DropColumnFamily(legacy); !status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    return {};
}

Resolver::~Resolver() {
    if (!m_db) return;
    // Debian's RocksDB asserts that every handle is released before the database closes.
    for (auto* handle : {m_ipfs, m_block_cars, m_car_blocks, m_http, m_claims, m_claims_by_hash, m_claim_counts, m_default}) {
        if (handle != nullptr) m_db->DestroyColumnFamilyHandle(handle);
    }
    m_db->Close();
    m_db.reset();
}

Result<std::optional<std::string>, std::string> Resolver::get(rocksdb::ColumnFamilyHandle* family, std::string_view key) {
    std::string value;
    const rocksdb::Status status = m_db->Get(rocksdb::ReadOptions(), family, slice(key), &value);
    if (status.IsNotFound()) return std::optional<std::string>();
    if (!status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    return std::optional<std::string>(std::move(value));
}

Result<void, std::string> Resolver::put_ipfs(const IpfsBatch& batch) {
    rocksdb::WriteBatch write;
    for (const auto& [cid, record] : batch.records) {
        const Bytes value = encode_ipfs_record(record);
        write.Put(m_ipfs, slice(cid.to_v1().bytes()), slice(value));
    }
    for (const auto& [multihash, location] : batch.blocks) {
        const Bytes value = encode_block_location(location);
        write.Put(m_block_cars, slice(block_car_key(multihash, location.car)), slice(value));
        write.Put(m_car_blocks, slice(car_block_key(location.car, multihash)), rocksdb::Slice());
    }
    rocksdb::WriteOptions options;
    options.sync = true;
    const rocksdb::Status status = m_db->Write(options, &write);
    if (!status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    return {};
}

Result<std::optional<IpfsRecord>, std::string> Resolver::ipfs(const ipld::Cid& cid) {
    auto value = get(m_ipfs, as_string_view(cid.to_v1().bytes()));
    if (!value) return fail(value.error());
    if (!*value) return std::optional<IpfsRecord>();
    auto record = decode_ipfs_record(as_bytes(**value));
    if (!record) return fail(record.error());
    return std::optional<IpfsRecord>(*record);
}

Result<std::vector<BlockLocation>, std::string> Resolver::block_locations(ByteSpan multihash) {
    std::vector<BlockLocation> out;
    std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), m_block_cars));
    const std::string_view prefix = as_string_view(multihash);
    for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
        const std::string_view key(it->key().data(), it->key().size());
        if (!key.starts_with(prefix)) break;
        if (key.size() != prefix.size() + 32) continue;  // another multihash that starts with this one
        auto location = decode_block_location(as_bytes(std::string_view(it->value().data(), it->value().size())));
        if (!location) return fail(location.error());
        if (as_string_view(location->car) != key.substr(prefix.size())) return fail(std::string("resolver: a block location under the wrong CAR"));
        out.push_back(*location);
    }
    if (!it->status().ok()) return fail(fmt::format("resolver: {}", it->status().ToString()));
    return out;
}

Result<uint64_t, std::string> Resolver::forget_car(const Hash32& car) {
    rocksdb::WriteBatch write;
    uint64_t forgotten = 0;
    {
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), m_car_blocks));
        const std::string_view prefix = as_string_view(car);
        for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
            const std::string_view key(it->key().data(), it->key().size());
            if (!key.starts_with(prefix)) break;
            const ByteSpan multihash = as_bytes(key.substr(prefix.size()));
            write.Delete(m_block_cars, slice(block_car_key(multihash, car)));
            write.Delete(m_car_blocks, slice(key));
            ++forgotten;
        }
        if (!it->status().ok()) return fail(fmt::format("resolver: {}", it->status().ToString()));
    }
    if (forgotten == 0) return forgotten;
    const rocksdb::Status status = m_db->Write(rocksdb::WriteOptions(), &write);
    if (!status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    return forgotten;
}

Result<void, std::string> Resolver::put_http(std::string_view pointer, const HttpRecord& record) {
    const Bytes value = encode_http_record(record);
    rocksdb::WriteOptions options;
    options.sync = true;
    const rocksdb::Status status = m_db->Put(options, m_http, slice(pointer), slice(value));
    if (!status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    return {};
}

Result<std::optional<HttpRecord>, std::string> Resolver::http(std::string_view pointer) {
    auto value = get(m_http, pointer);
    if (!value) return fail(value.error());
    if (!*value) return std::optional<HttpRecord>();
    auto record = decode_http_record(as_bytes(**value));
    if (!record) return fail(record.error());
    return std::optional<HttpRecord>(*record);
}

Resolver::Counts Resolver::count() {
    Counts counts;
    const auto count_family = [&](rocksdb::ColumnFamilyHandle* family) {
        uint64_t n = 0;
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), family));
        for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
        return n;  // the iterator is released here, before anyone can close the database
    };
    counts.ipfs = count_family(m_ipfs);
    counts.blocks = count_family(m_block_cars);
    counts.car_blocks = count_family(m_car_blocks);
    counts.http = count_family(m_http);
    counts.claims = count_family(m_claims);
    return counts;
}

// ---- signed records ----------------------------------------------------------------------------

std::string_view to_string(ClaimOutcome outcome) noexcept {
    switch (outcome) {
        case ClaimOutcome::stored: return "stored";
        case ClaimOutcome::replaced: return "replaced";
        case ClaimOutcome::duplicate: return "duplicate";
        case ClaimOutcome::stale: return "stale";
        case ClaimOutcome::originator_full: return "originator full";
        case ClaimOutcome::store_full: return "store full";
    }
    return "unknown";
}

namespace {

Bytes claim_key(const Bytes& pointer_key, const crypto::NodePublicKey& originator) {
    Bytes key = pointer_key;
    key.insert(key.end(), originator.bytes().begin(), originator.bytes().end());
    return key;
}

Bytes by_hash_key(const Hash32& hash, const Bytes& claim) {
    Bytes key(hash.begin(), hash.end());
    key.insert(key.end(), claim.begin(), claim.end());
    return key;
}

Bytes encode_count(uint64_t count) {
    codec::Writer writer(8);
    writer.u64(count);
    return writer.take();
}

Result<uint64_t, std::string> decode_count(ByteSpan bytes) {
    codec::Reader reader(bytes);
    auto count = reader.u64();
    if (!count || !reader.finish()) return fail(std::string("resolver: a claim count is damaged"));
    return *count;
}

Result<ResolverRecord, std::string> decode_claim(ByteSpan bytes) {
    auto record = codec::decode<ResolverRecord>(bytes);
    if (!record) return fail(fmt::format("resolver: a stored claim is damaged: {}", codec::to_string(record.error())));
    return *record;
}

ByteSpan span_of(const rocksdb::Slice& slice) { return {reinterpret_cast<const uint8_t*>(slice.data()), slice.size()}; }

}  // namespace

Result<uint64_t, std::string> Resolver::load_claim_total() {
    uint64_t total = 0;
    std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), m_claim_counts));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto count = decode_count(span_of(it->value()));
        if (!count) return fail(count.error());
        total += *count;
    }
    if (!it->status().ok()) return fail(fmt::format("resolver: {}", it->status().ToString()));
    return total;
}

Result<ClaimOutcome, std::string> Resolver::put_claim(const VerifiedResolverRecord& verified) {
    const ResolverRecord& record = verified.record();
    const Bytes pointer_key = record.pointer().key();
    const Bytes key = claim_key(pointer_key, record.originator);
    const Bytes value = codec::encode(record);
    std::lock_guard lock(m_claims_mutex);
    auto held = get(m_claims, as_string_view(key));
    if (!held) return fail(held.error());
    rocksdb::WriteBatch write;
    ClaimOutcome outcome = ClaimOutcome::stored;
    if (*held) {
        const ByteSpan held_bytes = as_bytes(**held);
        if (std::equal(held_bytes.begin(), held_bytes.end(), value.begin(), value.end())) return ClaimOutcome::duplicate;
        auto old = decode_claim(held_bytes);
        if (!old) return fail(old.error());
        if (old->resolved_at_ms >= record.resolved_at_ms) return ClaimOutcome::stale;
        write.Delete(m_claims_by_hash, slice(by_hash_key(old->hash(), key)));
        outcome = ClaimOutcome::replaced;
    } else {
        auto count_value = get(m_claim_counts, as_string_view(record.originator.bytes()));
        if (!count_value) return fail(count_value.error());
        uint64_t count = 0;
        if (*count_value) {
            auto decoded = decode_count(as_bytes(**count_value));
            if (!decoded) return fail(decoded.error());
            count = *decoded;
        }
        if (count >= m_options.claims_per_originator_max) return ClaimOutcome::originator_full;
        if (m_claims_total.load() >= m_options.claims_max) return ClaimOutcome::store_full;
        write.Put(m_claim_counts, slice(record.originator.bytes()), slice(encode_count(count + 1)));
    }
    write.Put(m_claims, slice(key), slice(value));
    write.Put(m_claims_by_hash, slice(by_hash_key(record.hash(), key)), rocksdb::Slice());
    const rocksdb::Status status = m_db->Write(rocksdb::WriteOptions(), &write);
    if (!status.ok()) return fail(fmt::format("resolver: {}", status.ToString()));
    if (outcome == ClaimOutcome::stored) ++m_claims_total;
    return outcome;
}

Result<std::vector<ResolverRecord>, std::string> Resolver::claims(const ResolverPointer& pointer, size_t max) {
    const Bytes prefix = pointer.key();
    std::vector<ResolverRecord> out;
    std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), m_claims));
    for (it->Seek(slice(prefix)); it->Valid() && out.size() < max; it->Next()) {
        if (!it->key().starts_with(slice(prefix))) break;
        auto record = decode_claim(span_of(it->value()));
        if (!record) return fail(record.error());
        out.push_back(std::move(*record));
    }
    if (!it->status().ok()) return fail(fmt::format("resolver: {}", it->status().ToString()));
    return out;
}

Result<std::vector<ResolverRecord>, std::string> Resolver::claims_for_hash(const Hash32& hash, size_t max) {
    std::vector<Bytes> keys;
    {
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions(), m_claims_by_hash));
        for (it->Seek(slice(ByteSpan(hash))); it->Valid() && keys.size() < max; it->Next()) {
            if (!it->key().starts_with(slice(ByteSpan(hash)))) break;
            const ByteSpan key = span_of(it->key()).subspan(hash.size());
            keys.emplace_back(key.begin(), key.end());
        }
        if (!it->status().ok()) return fail(fmt::format("resolver: {}", it->status().ToString()));
    }
    std::vector<ResolverRecord> out;
    for (const Bytes& key : keys) {
        auto value = get(m_claims, as_string_view(key));
        if (!value) return fail(value.error());
        if (!*value) continue;  // replaced since the index was read
        auto record = decode_claim(as_bytes(**value));
        if (!record) return fail(record.error());
        if (record->hash() == hash) out.push_back(std::move(*record));
    }
    return out;
}

}  // namespace fleek::origins
