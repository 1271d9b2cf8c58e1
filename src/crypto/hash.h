// Hash functions: BLAKE3 (official C implementation), SHA-256 (OpenSSL), Keccak-256 (Crypto++),
// and the domain-separated object digest every signed or hashed object uses.
#pragma once

#include "util/bytes.h"

#include <blake3.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace fleek::crypto {

using Hash32 = ByteArray<32>;

// ---- BLAKE3 ----------------------------------------------------------------------------------
Hash32 blake3(ByteSpan input);
Hash32 blake3_keyed(std::span<const uint8_t, 32> key, ByteSpan input);
// BLAKE3 derive_key mode: context is a hard-coded, globally unique, application-specific string.
Hash32 blake3_derive_key(std::string_view context, ByteSpan key_material);

// Incremental BLAKE3 in any of its three modes, with extended output.
class Blake3Hasher {
public:
    Blake3Hasher();  // plain hash mode
    static Blake3Hasher keyed(std::span<const uint8_t, 32> key);
    static Blake3Hasher derive_key(std::string_view context);

    Blake3Hasher& update(ByteSpan input);
    Hash32 finalize() const;
    // Extended output: out.size() bytes of the output stream starting at byte `seek`.
    // The first 32 bytes from seek 0 equal finalize().
    void finalize_xof(MutableByteSpan out, uint64_t seek = 0) const;
    void reset();

private:
    blake3_hasher m_state;
};

// ---- SHA-2, BLAKE2b and Keccak-256 -------------------------------------------------------------
Hash32 sha256(ByteSpan input);
ByteArray<48> sha384(ByteSpan input);
ByteArray<64> sha512(ByteSpan input);

// Incremental SHA-256, SHA-384 or SHA-512 (OpenSSL), for content too large to hold at once
// (Subresource Integrity of HTTP origin downloads).
enum class Sha2Variant : uint8_t { sha256, sha384, sha512 };
class Sha2Hasher {
public:
    explicit Sha2Hasher(Sha2Variant variant);
    ~Sha2Hasher();
    Sha2Hasher(Sha2Hasher&& other) noexcept;
    Sha2Hasher& operator=(Sha2Hasher&& other) noexcept;
    Sha2Hasher(const Sha2Hasher&) = delete;
    Sha2Hasher& operator=(const Sha2Hasher&) = delete;

    Sha2Hasher& update(ByteSpan input);
    // 32, 48 or 64 bytes; the hasher is spent afterwards.
    Bytes finalize();
    static size_t digest_size(Sha2Variant variant) noexcept;

private:
    void* m_context;  // EVP_MD_CTX
};

// BLAKE2b with a 32-byte output (libsodium): the multihash blake2b-256 (0xb220) that go-car's
// test CARs use.
Hash32 blake2b_256(ByteSpan input);
// Ethereum's Keccak-256 (original Keccak padding, not FIPS 202 SHA3-256).
Hash32 keccak256(ByteSpan input);

// ---- object digests ----------------------------------------------------------------------------
// digest = BLAKE3.derive_key("fleek-network <object> v1", canonical encoding). `object` names
// the object type ("transaction", "block", "header"), so a signature over one type can never be
// replayed as another (docs/formats/canonical-encoding.md).
Hash32 object_digest(std::string_view object, ByteSpan encoding);

}  // namespace fleek::crypto
