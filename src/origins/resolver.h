// The resolver store: what origin pointers resolved to (docs/formats/ipfs-resolver.md).
//
// A RocksDB database with these column families:
//   ipfs        key: CIDv1 bytes (a CIDv0 is stored as its v1 form)  value: IpfsRecord
//   block_cars  key: multihash bytes ++ CAR hash (32 bytes)           value: BlockLocation
//   car_blocks  key: CAR hash (32 bytes) ++ multihash bytes           value: empty
//   http        key: the pointer text "url[#integrity=...]"           value: HttpRecord
// and, for signed resolver records from any node (this one included;
// docs/formats/resolver-records.md):
//   claims          key: pointer key | originator [32]               value: the signed record
//   claims_by_hash  key: hash [32] | pointer key | originator [32]   value: empty
//   claim_counts    key: originator [32]                             value: u64 records held
// Values are canonical encodings (docs/formats/canonical-encoding.md). One fetch writes all its
// records and block locations in one atomic batch, so a crash leaves all of them or none.
//
// `ipfs`/`http` say what this node resolved and holds; `claims` say what registered nodes
// (verified signatures) say they resolved: the fetcher's way to content it never fetched itself.
//
// The blocks of an IPFS DAG are kept, as they came from the origin and after checking each one
// against its CID, in a CARv1 stored in the blockstore like any other content (verified by BLAKE3
// on every read); `block_cars` says where each block's bytes are inside which CARs (a block may
// be in several: a finished DAG's CAR, the CAR a failed fetch kept for resuming, another DAG
// sharing it), and `car_blocks` lists the blocks of each CAR so that all of them can be forgotten
// at once when the CAR leaves the blockstore (`forget_car`). A database written before
// `block_cars` existed (one `blocks` family, multihash -> location) is converted when opened.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include "crypto/hash.h"
#include "ipld/cid.h"
#include "origins/resolver_record.h"
#include "util/result.h"

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace fleek::origins {

// What one CID of a UnixFS DAG became in the blockstore.
struct IpfsRecord {
    ResolvedKind kind = ResolvedKind::file;
    Hash32 hash{};      // BLAKE3 of the file, or the Fleek directory hash; zero for symlinks
    uint64_t size = 0;  // file bytes; directory entries
    Hash32 car{};       // the CAR holding the DAG's blocks
    friend bool operator==(const IpfsRecord&, const IpfsRecord&) = default;
};

struct BlockLocation {
    Hash32 car{};
    uint64_t offset = 0;  // of the block's first byte in the CAR
    uint32_t size = 0;
    friend bool operator==(const BlockLocation&, const BlockLocation&) = default;
};

struct HttpRecord {
    Hash32 hash{};
    uint64_t size = 0;
    friend bool operator==(const HttpRecord&, const HttpRecord&) = default;
};

// Bounds on the signed records held (a registered node cannot fill the disk).
struct ResolverOptions {
    uint64_t claims_max = uint64_t{1} << 22;
    uint64_t claims_per_originator_max = uint64_t{1} << 18;
};

enum class ClaimOutcome : uint8_t {
    stored,           // new (pointer, originator)
    replaced,         // the originator's newer record (later resolved_at_ms) for that pointer
    duplicate,        // exactly the record held
    stale,            // the held record of that originator is as new or newer
    originator_full,  // the originator holds claims_per_originator_max records
    store_full,       // claims_max records are held
};
std::string_view to_string(ClaimOutcome outcome) noexcept;

class Resolver {
public:
    static Result<std::unique_ptr<Resolver>, std::string> open(const std::filesystem::path& path, ResolverOptions options = {});
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    struct IpfsBatch {
        std::vector<std::pair<ipld::Cid, IpfsRecord>> records;
        std::vector<std::pair<Bytes, BlockLocation>> blocks;  // multihash -> location
    };
    Result<void, std::string> put_ipfs(const IpfsBatch& batch);
    Result<std::optional<IpfsRecord>, std::string> ipfs(const ipld::Cid& cid);
    // Every stored CAR known to hold the block, ordered by CAR hash; empty when none.
    Result<std::vector<BlockLocation>, std::string> block_locations(ByteSpan multihash);
    // Forgets every block location inside `car` (a CAR that left the blockstore); returns how
    // many were forgotten. Records that name the CAR stay: their content may still be held, and
    // the origin sees that their CAR is gone.
    Result<uint64_t, std::string> forget_car(const Hash32& car);

    Result<void, std::string> put_http(std::string_view pointer, const HttpRecord& record);
    Result<std::optional<HttpRecord>, std::string> http(std::string_view pointer);

    // Signed records: one per (pointer, originator).
    Result<ClaimOutcome, std::string> put_claim(const VerifiedResolverRecord& verified);
    // The records held for a pointer, by originator key, at most max.
    Result<std::vector<ResolverRecord>, std::string> claims(const ResolverPointer& pointer, size_t max = resolver_answer_records_max);
    // The records that resolve to `hash` (the fetcher's way from a hash back to origins), at most max.
    Result<std::vector<ResolverRecord>, std::string> claims_for_hash(const Hash32& hash, size_t max = resolver_answer_records_max);
    uint64_t claim_count() const noexcept { return m_claims_total.load(); }

    struct Counts {
        uint64_t ipfs = 0;
        uint64_t blocks = 0;      // block locations (a block in two CARs counts twice)
        uint64_t car_blocks = 0;  // the reverse entries: equal to `blocks` when consistent
        uint64_t http = 0;
        uint64_t claims = 0;
    };
    // Walks the column families (tests and diagnostics).
    Counts count();

private:
    Resolver() = default;
    Result<std::optional<std::string>, std::string> get(rocksdb::ColumnFamilyHandle* family, std::string_view key);
    Result<uint64_t, std::string> load_claim_total();
    Result<void, std::string> convert_legacy_blocks(rocksdb::ColumnFamilyHandle* legacy);

    std::unique_ptr<rocksdb::DB> m_db;
    rocksdb::ColumnFamilyHandle* m_default = nullptr;
    rocksdb::ColumnFamilyHandle* m_ipfs = nullptr;
    rocksdb::ColumnFamilyHandle* m_block_cars = nullptr;
    rocksdb::ColumnFamilyHandle* m_car_blocks = nullptr;
    rocksdb::ColumnFamilyHandle* m_http = nullptr;
    rocksdb::ColumnFamilyHandle* m_claims = nullptr;
    rocksdb::ColumnFamilyHandle* m_claims_by_hash = nullptr;
    rocksdb::ColumnFamilyHandle* m_claim_counts = nullptr;
    ResolverOptions m_options;
    std::mutex m_claims_mutex;  // put_claim reads, counts and writes
    std::atomic<uint64_t> m_claims_total{0};
};

// Canonical encodings of the values (exposed for the fuzz target and the format document).
Bytes encode_ipfs_record(const IpfsRecord& record);
Result<IpfsRecord, std::string> decode_ipfs_record(ByteSpan bytes);
Bytes encode_block_location(const BlockLocation& location);
Result<BlockLocation, std::string> decode_block_location(ByteSpan bytes);
Bytes encode_http_record(const HttpRecord& record);
Result<HttpRecord, std::string> decode_http_record(ByteSpan bytes);

}  // namespace fleek::origins
