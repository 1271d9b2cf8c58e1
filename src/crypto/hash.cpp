#include "crypto/hash.h"

#include "crypto/random.h"
#include "util/assert.h"

#include <cryptopp/keccak.h>
#include <openssl/evp.h>
#include <sodium.h>

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

namespace {
const EVP_MD* sha2_md(Sha2Variant variant) {
    switch (variant) {
        case Sha2Variant::sha256: return EVP_sha256();
        case Sha2Variant::sha384: return EVP_sha384();
        case Sha2Variant::sha512: return EVP_sha512();
    }
    FLEEK_ASSERT(false);
    return nullptr;
}

template <size_t N>
ByteArray<N> evp_digest(ByteSpan input, const EVP_MD* md) {
    ByteArray<N> out{};
    unsigned int size = 0;
    const int ok = EVP_Digest(input.data(), input.size(), out.data(), &size, md, nullptr);
    FLEEK_ASSERT(ok == 1 && size == N);
    return out;
}
}  // namespace

ByteArray<48> sha384(ByteSpan input) { return evp_digest<48>(input, EVP_sha384()); }
ByteArray<64> sha512(ByteSpan input) { return evp_digest<64>(input, EVP_sha512()); }

Sha2Hasher::Sha2Hasher(Sha2Variant variant) : m_context(EVP_MD_CTX_new()) {
    FLEEK_ASSERT(m_context != nullptr);
    const int ok = EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(m_context), sha2_md(variant), nullptr);
    FLEEK_ASSERT(ok == 1);
}

Sha2Hasher::~Sha2Hasher() {
    if (m_context != nullptr) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
}

Sha2Hasher::Sha2Hasher(Sha2Hasher&& other) noexcept : m_context(other.m_context) { other.m_context = nullptr; }

Sha2Hasher& Sha2Hasher::operator=(Sha2Hasher&& other) noexcept {
    if (this != &other) {
        if (m_context != nullptr) EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
        m_context = other.m_context;
        other.m_context = nullptr;
    }
    return *this;
}

Sha2Hasher& Sha2Hasher::update(ByteSpan input) {
    FLEEK_ASSERT(m_context != nullptr);
    const int ok = EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_context), input.data(), input.size());
    FLEEK_ASSERT(ok == 1);
    return *this;
}

Bytes Sha2Hasher::finalize() {
    FLEEK_ASSERT(m_context != nullptr);
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int size = 0;
    const int ok = EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_context), out.data(), &size);
    FLEEK_ASSERT(ok == 1);
    out.resize(size);
    return out;
}

size_t Sha2Hasher::digest_size(Sha2Variant variant) noexcept {
    switch (variant) {
        case Sha2Variant::sha256: return 32;
        case Sha2Variant::sha384: return 48;
        case Sha2Variant::sha512: return 64;
    }
    return 0;
}

Hash32 blake2b_256(ByteSpan input) {
    ensure_sodium_initialized();
    Hash32 out{};
    // crypto_generichash is BLAKE2b with a chosen output length; unkeyed here.
    const int ok = crypto_generichash(out.data(), out.size(), input.data(), input.size(), nullptr, 0);
    FLEEK_ASSERT(ok == 0);
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
