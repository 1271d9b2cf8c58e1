#include "crypto/hash.h"

#include "util/assert.h"

#include <cryptopp/keccak.h>
#include <openssl/evp.h>

#include <string>

namespace fleek::crypto {

Hash32 blake3(ByteSpan input) { return Blake3Hasher().update(input).finalize(); }

Hash32 blake3_keyed(std::span<const uint8_t, 32> key, ByteSpan input) {
    return Blake3Hasher::keyed(key).update(input).finalize();
}

Hash32 blake3_derive_key(std::string_view context, ByteSpan key_material) {
    return Blake3Hasher::derive_key(context).update(key_material).finalize();
}

Blake3Hasher::Blake3Hasher() { blake3_hasher_init(&m_state); }

Blake3Hasher Blake3Hasher::keyed(std::span<const uint8_t, 32> key) {
    Blake3Hasher hasher;
    blake3_hasher_init_keyed(&hasher.m_state, key.data());
    return hasher;
}

Blake3Hasher Blake3Hasher::derive_key(std::string_view context) {
    Blake3Hasher hasher;
    blake3_hasher_init_derive_key_raw(&hasher.m_state, context.data(), context.size());
    return hasher;
}

Blake3Hasher& Blake3Hasher::update(ByteSpan input) {
    blake3_hasher_update(&m_state, input.data(), input.size());
    return *this;
}

Hash32 Blake3Hasher::finalize() const {
    Hash32 out{};
    blake3_hasher_finalize(&m_state, out.data(), out.size());
    return out;
}

void Blake3Hasher::finalize_xof(MutableByteSpan out, uint64_t seek) const {
    blake3_hasher_finalize_seek(&m_state, seek, out.data(), out.size());
}

void Blake3Hasher::reset() { blake3_hasher_reset(&m_state); }

Hash32 sha256(ByteSpan input) {
    Hash32 out{};
    unsigned int size = 0;
    const int ok = EVP_Digest(input.data(), input.size(), out.data(), &size, EVP_sha256(), nullptr);
    // EVP_Digest with a built-in digest fails only when OpenSSL cannot allocate.
    FLEEK_ASSERT(ok == 1 && size == out.size());
    return out;
}

Hash32 keccak256(ByteSpan input) {
    Hash32 out{};
    CryptoPP::Keccak_256 hasher;
    hasher.Update(input.data(), input.size());
    hasher.Final(out.data());
    return out;
}

Hash32 object_digest(std::string_view object, ByteSpan encoding) {
    FLEEK_ASSERT(!object.empty());
    std::string context = "fleek-network ";
    context.append(object);
    context.append(" v1");
    return blake3_derive_key(context, encoding);
}

}  // namespace fleek::crypto
