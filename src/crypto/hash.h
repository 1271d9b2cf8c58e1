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

// ---- SHA-256 and Keccak-256 --------------------------------------------------------------------
Hash32 sha256(ByteSpan input);
// Ethereum's Keccak-256 (original Keccak padding, not FIPS 202 SHA3-256).
Hash32 keccak256(ByteSpan input);

// ---- object digests ----------------------------------------------------------------------------
// digest = BLAKE3.derive_key("fleek-network <object> v1", canonical encoding). `object` names
// the object type ("transaction", "block", "header"), so a signature over one type can never be
// replayed as another (docs/formats/canonical-encoding.md).
Hash32 object_digest(std::string_view object, ByteSpan encoding);

}  // namespace fleek::crypto
