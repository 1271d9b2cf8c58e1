// Signed resolver records: "pointer P resolved to BLAKE3 content H", published by the node that
// resolved it (docs/formats/resolver-records.md).
//
//   record = version u8 (1) | originator [32] | resolved_at_ms u64 | pointer kind u8 | body |
//            signature [64]
//   ipfs body = cid bytes (CIDv1, ≤ 152) | kind u8 (0 file, 1 directory) | hash [32] | size u64 |
//               car [32] | car_size u64
//   http body = pointer string (≤ 8192: "url" or "url#integrity=...") | hash [32] | size u64
//   digest = object_digest("resolver-record", the record without its signature)
//
// An IPFS record gives a receiving node what it needs to serve /ipfs/<cid>[/path] from peers
// alone: the content (file, or Fleek directory whose tree holds every sub-path) and the CAR of
// the DAG's blocks, both fetchable by BLAKE3 hash from any provider.
//
// Decoders are pure and strict (canonical encoding, bounded fields, typed errors); verification
// (registered originator, signature, timestamp) is verify_resolver_record, and only a verified
// record can be stored (VerifiedResolverRecord).
#pragma once

#include "codec/codec.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "ipld/cid.h"
#include "origins/node_key_check.h"

#include <string>
#include <variant>
#include <vector>

namespace fleek::origins {

using crypto::Hash32;

enum class ResolvedKind : uint8_t { file = 0, directory = 1, symlink = 2 };

inline constexpr uint8_t resolver_record_version = 1;
inline constexpr std::string_view resolver_record_object = "resolver-record";
inline constexpr uint32_t http_pointer_bytes_max = 8192;
inline constexpr uint32_t resolver_answer_records_max = 16;

enum class PointerKind : uint8_t { ipfs = 0, http = 1 };
inline constexpr uint8_t pointer_kind_count = 2;

// A pointer as records and the store name it: a CIDv1's bytes, or an HTTP pointer's text.
struct ResolverPointer {
    PointerKind kind = PointerKind::ipfs;
    Bytes value;

    static ResolverPointer ipfs(const ipld::Cid& cid);  // stored as its v1 form
    // Refuses (invalid_value, length_too_large) a text no record can hold: not http(s), control
    // characters, over http_pointer_bytes_max. Pointers come from clients: check before use.
    static Result<ResolverPointer, codec::DecodeError> http(std::string_view pointer);
    // kind u8 | u32 length | value: no key is a prefix of another (the store's key prefix).
    Bytes key() const;

    void encode(codec::Writer& writer) const;
    // Checks the value: a UnixFS CIDv1 (dag-pb or raw) or an http(s) pointer text.
    static Result<ResolverPointer, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ResolverPointer&, const ResolverPointer&) = default;
};

struct IpfsResolution {
    ipld::Cid cid;                             // CIDv1, dag-pb or raw
    ResolvedKind kind = ResolvedKind::file;    // file or directory (a raw CID is a file)
    Hash32 hash{};                             // BLAKE3 of the file, or the Fleek directory hash
    uint64_t size = 0;                         // file bytes; directory entries
    Hash32 car{};                              // the CAR holding the DAG's blocks
    uint64_t car_size = 0;                     // its bytes (at least 1)
    friend bool operator==(const IpfsResolution&, const IpfsResolution&) = default;
};

struct HttpResolution {
    std::string pointer;  // "url" or "url#integrity=..."
    Hash32 hash{};
    uint64_t size = 0;
    friend bool operator==(const HttpResolution&, const HttpResolution&) = default;
};

using Resolution = std::variant<IpfsResolution, HttpResolution>;

// Whether a record can hold this resolution: a UnixFS CIDv1 naming a file or directory (a raw CID
// a file) with a non-empty CAR, or a valid http(s) pointer text.
bool is_valid_resolution(const Resolution& resolution);

struct ResolverRecord {
    crypto::NodePublicKey originator;
    uint64_t resolved_at_ms = 0;  // wall-clock milliseconds when the originator resolved it
    Resolution resolution;
    crypto::NodeSignature signature;

    // Precondition: is_valid_resolution(resolution) (sign_resolver_record checks it).
    static ResolverRecord sign(const crypto::NodeSecretKey& key, uint64_t resolved_at_ms, Resolution resolution);
    ResolverPointer pointer() const;
    const Hash32& hash() const;
    uint64_t size() const;
    Bytes signed_encoding() const;
    crypto::Hash32 digest() const;
    bool verify() const;

    void encode(codec::Writer& writer) const;
    static Result<ResolverRecord, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ResolverRecord&, const ResolverRecord&) = default;
};

// Why a received record was not stored. All but `storage` are the sender's fault.
enum class ResolverRecordError : uint8_t {
    malformed,           // did not decode
    wrong_origin,        // a gossip message whose origin is not the record's originator
    unknown_originator,  // the originator key is not registered
    bad_signature,
    from_the_future,     // resolved_at_ms more than the clock skew ahead of now
    wrong_pointer,       // an answer holding a record of another pointer than the one asked
    storage,             // the resolver store failed (this node's problem)
    unrepresentable,     // this node's own resolution cannot be put in a record (sign_resolver_record)
};
std::string_view to_string(ResolverRecordError error) noexcept;

class VerifiedResolverRecord;

inline constexpr uint64_t resolver_clock_skew_max_ms = 60 * 1000;

// Checks, in order: resolved_at_ms not ahead of now by more than the skew, a registered
// originator, the signature.
Result<VerifiedResolverRecord, ResolverRecordError> verify_resolver_record(
    ResolverRecord record, const NodeKeyCheck& is_registered, uint64_t now_ms,
    uint64_t clock_skew_max_ms = resolver_clock_skew_max_ms);
// This node's own record (its signature is good by construction). A CIDv0 is recorded as its v1
// form; a resolution no record can hold (is_valid_resolution: e.g. a URL over 8192 bytes) is
// `unrepresentable`.
Result<VerifiedResolverRecord, ResolverRecordError> sign_resolver_record(const crypto::NodeSecretKey& key, uint64_t resolved_at_ms,
                                                                         Resolution resolution);

// A record whose originator is registered and whose signature verifies, or one this node signed.
// Only these reach the store.
class VerifiedResolverRecord {
public:
    const ResolverRecord& record() const noexcept { return m_record; }

private:
    explicit VerifiedResolverRecord(ResolverRecord record) : m_record(std::move(record)) {}
    friend Result<VerifiedResolverRecord, ResolverRecordError> verify_resolver_record(
        ResolverRecord record, const NodeKeyCheck& is_registered, uint64_t now_ms, uint64_t clock_skew_max_ms);
    friend Result<VerifiedResolverRecord, ResolverRecordError> sign_resolver_record(const crypto::NodeSecretKey& key,
                                                                                    uint64_t resolved_at_ms, Resolution resolution);

    ResolverRecord m_record;
};

// On the request channel: "who resolved this pointer?" and the answer (the claims this node
// holds, at most 16, every one signed by its originator).
struct ResolverQuery {
    ResolverPointer pointer;

    void encode(codec::Writer& writer) const { pointer.encode(writer); }
    static Result<ResolverQuery, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ResolverQuery&, const ResolverQuery&) = default;
};

struct ResolverAnswer {
    ResolverPointer pointer;
    std::vector<ResolverRecord> records;

    void encode(codec::Writer& writer) const;
    static Result<ResolverAnswer, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ResolverAnswer&, const ResolverAnswer&) = default;
};

}  // namespace fleek::origins
