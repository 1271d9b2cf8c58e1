// Provider records: which node holds which content (docs/formats/provider-records.md).
//
// A provider record is a statement signed by a node's Ed25519 key: "I hold content C" (announce)
// or "I no longer hold C" (withdraw), numbered by a sequence that only grows per (provider,
// content), valid until expires_at_ms. Records travel in batches on the `providers` gossip topic
// and in snapshot pages on the transport's request channel; either way each record carries its
// own signature, so whoever relays it cannot alter it.
//
//   record  = version u8 (1) | provider [32] | content [32] | sequence u64 | action u8 |
//             expires_at_ms u64 | signature [64]
//   digest  = object_digest("provider-record", the record without its signature)
//
// Decoders are pure functions of their bytes: strict canonical decoding (codec.h), bounded
// counts, typed errors. Checking signatures, registration, expiry and sequences is the
// ProviderTable's job (provider_table.h).
#pragma once

#include "codec/codec.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "util/bytes.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace fleek::origins {

inline constexpr uint8_t provider_record_version = 1;
inline constexpr std::string_view provider_record_object = "provider-record";
// Encoded size of one record (every field is fixed width).
inline constexpr size_t provider_record_size = 1 + 32 + 32 + 8 + 1 + 8 + 64;
// Records in one gossip batch: 256 records are 37,380 bytes, under the gossip's 64 KiB push limit.
inline constexpr uint32_t provider_batch_records_max = 256;
// Records in one snapshot page (about 150 KB).
inline constexpr uint32_t provider_page_records_max = 1024;

enum class ProviderAction : uint8_t { announce = 0, withdraw = 1 };
inline constexpr uint8_t provider_action_count = 2;
std::string_view to_string(ProviderAction action) noexcept;

// Where a record sits in the table and in snapshots: content hash, then provider key.
using ProviderKey = ByteArray<64>;

struct ProviderRecord {
    crypto::NodePublicKey provider;
    crypto::Hash32 content{};
    uint64_t sequence = 0;
    ProviderAction action = ProviderAction::announce;
    uint64_t expires_at_ms = 0;  // wall-clock milliseconds since the Unix epoch
    crypto::NodeSignature signature;

    static ProviderRecord sign(const crypto::NodeSecretKey& key, const crypto::Hash32& content, uint64_t sequence,
                               ProviderAction action, uint64_t expires_at_ms);
    // What the signature covers: every field but the signature, in canonical encoding.
    Bytes signed_encoding() const;
    crypto::Hash32 digest() const;
    bool verify() const;
    ProviderKey key() const;

    void encode(codec::Writer& writer) const;
    static Result<ProviderRecord, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ProviderRecord&, const ProviderRecord&) = default;
};

ProviderKey provider_key(const crypto::Hash32& content, const crypto::NodePublicKey& provider);

// The payload of one gossip message on the `providers` topic: 1 to 256 records, all by the
// message's origin.
Bytes encode_provider_batch(std::span<const ProviderRecord> records);
Result<std::vector<ProviderRecord>, codec::DecodeError> decode_provider_batch(ByteSpan payload);
// Cuts any number of records into batches of at most provider_batch_records_max.
std::vector<Bytes> provider_batches(std::span<const ProviderRecord> records);

// A late joiner's question: the records after `after` (in key order), at most max_records.
struct ProviderSnapshotRequest {
    std::optional<ProviderKey> after;  // absent: from the first record
    uint32_t max_records = provider_page_records_max;  // 1 .. provider_page_records_max

    void encode(codec::Writer& writer) const;
    static Result<ProviderSnapshotRequest, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ProviderSnapshotRequest&, const ProviderSnapshotRequest&) = default;
};

// The answer: the request's cursor echoed, records in ascending key order after it, and where to
// continue (absent: the snapshot is complete).
struct ProviderSnapshotPage {
    std::optional<ProviderKey> after;
    std::vector<ProviderRecord> records;
    std::optional<ProviderKey> next;

    void encode(codec::Writer& writer) const;
    static Result<ProviderSnapshotPage, codec::DecodeError> decode(codec::Reader& reader);
    friend bool operator==(const ProviderSnapshotPage&, const ProviderSnapshotPage&) = default;
};

}  // namespace fleek::origins
