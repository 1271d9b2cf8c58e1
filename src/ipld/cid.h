// Multiformats subset (docs/formats/ipfs-cid.md): multicodec codes, multihash, multibase and CIDs.
//
// A CID names a block: version, the codec of the block's bytes and the multihash of those bytes.
//   CIDv0 = the 34-byte sha2-256 multihash `12 20 <digest>`, implicitly dag-pb; text = base58btc
//           without a multibase prefix ("Qm...", 46 characters).
//   CIDv1 = varint(1) varint(codec) varint(hash code) varint(digest length) digest; text = a
//           multibase prefix and the encoding of those bytes ("b" + base32 lowercase by default).
// Parsing is strict: canonical varints, a digest of exactly the announced length, the digest length
// a hash function defines, no trailing bytes. A CID whose hash function we cannot compute parses
// (it can be named and printed) but no block is ever accepted for it (verify_block fails).
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace fleek::ipld {

namespace multicodec {
inline constexpr uint64_t identity = 0x00;
inline constexpr uint64_t sha2_256 = 0x12;
inline constexpr uint64_t sha2_512 = 0x13;
inline constexpr uint64_t blake3 = 0x1e;
inline constexpr uint64_t murmur3_x64_64 = 0x22;  // the UnixFS HAMT hash (hashType)
inline constexpr uint64_t raw = 0x55;
inline constexpr uint64_t dag_pb = 0x70;
inline constexpr uint64_t dag_cbor = 0x71;
inline constexpr uint64_t libp2p_key = 0x72;
inline constexpr uint64_t dag_json = 0x0129;
inline constexpr uint64_t car_index_sorted = 0x0400;
inline constexpr uint64_t car_multihash_index_sorted = 0x0401;
inline constexpr uint64_t blake2b_256 = 0xb220;
}  // namespace multicodec

// A name for a codec or hash code in messages ("dag-pb", "sha2-256", "0x1234").
std::string multicodec_name(uint64_t code);

// Identity multihashes carry their data inline; longer ones are refused (as go-cid does), so a
// CID cannot smuggle a large block into a header or a link.
inline constexpr size_t identity_digest_size_max = 128;
inline constexpr size_t digest_size_max = 128;
inline constexpr size_t cid_size_max = 4 + 10 + 10 + digest_size_max;

enum class CidError : uint8_t {
    empty,
    truncated,                // ended inside a varint or the digest
    invalid_varint,           // non-canonical or over 63 bits
    unsupported_version,      // CIDv2+, or an explicit version 0
    digest_too_long,
    wrong_digest_size,        // e.g. sha2-256 with a digest that is not 32 bytes
    trailing_bytes,
    invalid_multibase,        // the text is not a valid encoding in its base
    unsupported_multibase,    // a multibase prefix we do not read
    invalid_cidv0,            // "Qm..." text that does not decode to a sha2-256 multihash
    not_convertible_to_v0,    // only dag-pb + sha2-256 CIDs have a v0 form
};
std::string_view to_string(CidError error) noexcept;

enum class Multibase : uint8_t { base32, base58btc, base36, base16 };

// The digest of `data` with a multihash function; nullopt when we cannot compute that function.
// Supported: sha2-256, sha2-512, blake3 (any digest size up to 128), blake2b-256, identity.
bool is_supported_hash(uint64_t code) noexcept;

class Cid {
public:
    Cid() = default;  // empty; only for containers

    static Cid v0(ByteSpan sha256_digest);
    static Cid v1(uint64_t codec, uint64_t hash_code, ByteSpan digest);
    // A CIDv1 of `codec` naming `block`, hashed with `hash_code` (must be supported).
    static Cid of(uint64_t codec, ByteSpan block, uint64_t hash_code = multicodec::sha2_256);
    // The CID of `block` with the same version, codec and hash function as this one.
    Cid with_same_prefix(ByteSpan block) const;

    // Exactly one CID, no trailing bytes.
    static Result<Cid, CidError> from_bytes(ByteSpan bytes);
    // A CID at the front of `bytes`; `size` says how many bytes it took.
    struct Prefixed;
    static Result<Prefixed, CidError> read_prefix(ByteSpan bytes);
    // "Qm..." (v0), or a multibase string: b/B base32, z base58btc, k/K base36, f/F base16.
    static Result<Cid, CidError> parse(std::string_view text);

    bool empty() const noexcept { return m_bytes.empty(); }
    uint64_t version() const noexcept { return m_version; }
    uint64_t codec() const noexcept { return m_codec; }
    uint64_t hash_code() const noexcept { return m_hash_code; }
    ByteSpan digest() const noexcept { return ByteSpan(m_bytes).subspan(m_digest_offset); }
    // The multihash: varint(code) varint(size) digest.
    ByteSpan multihash() const noexcept { return ByteSpan(m_bytes).subspan(m_multihash_offset); }
    const Bytes& bytes() const noexcept { return m_bytes; }

    // v0 as base58btc, v1 as base32 ("b...").
    std::string to_string() const;
    std::string to_string(Multibase base) const;

    Result<Cid, CidError> to_v0() const;
    Cid to_v1() const;

    // True when `block` hashes to this CID's digest with its hash function (identity: equal).
    // False for hash functions we cannot compute: such a block is never trusted.
    bool verify(ByteSpan block) const;

    friend bool operator==(const Cid& a, const Cid& b) noexcept { return a.m_bytes == b.m_bytes; }
    friend std::strong_ordering operator<=>(const Cid& a, const Cid& b) noexcept {
        return a.m_bytes <=> b.m_bytes;
    }

private:
    Bytes m_bytes;
    uint64_t m_version = 0;
    uint64_t m_codec = 0;
    uint64_t m_hash_code = 0;
    uint32_t m_multihash_offset = 0;
    uint32_t m_digest_offset = 0;
};

struct Cid::Prefixed {
    Cid cid;
    size_t size;
};

// Multihash helpers.
struct MultihashView {
    uint64_t code;
    ByteSpan digest;
    size_t size;  // bytes of the whole multihash
};
// A multihash at the front of `bytes` (checks digest sizes as CIDs do).
Result<MultihashView, CidError> read_multihash(ByteSpan bytes);
// The multihash bytes of `data` hashed with `code` (which must be supported).
Bytes multihash_of(uint64_t code, ByteSpan data, size_t digest_size = 32);

}  // namespace fleek::ipld
