#include "crypto/ed25519.h"

#include "crypto/random.h"
#include "util/assert.h"
#include "util/encoding.h"

#include <sodium.h>

namespace fleek::crypto::ed25519 {

static_assert(crypto_sign_SEEDBYTES == seed_size);
static_assert(crypto_sign_PUBLICKEYBYTES == public_key_size);
static_assert(crypto_sign_BYTES == signature_size);
static_assert(crypto_sign_SECRETKEYBYTES == 64);

Result<Signature, KeyError> Signature::from_bytes(ByteSpan bytes) {
    if (bytes.size() != signature_size) return fail(KeyError::wrong_length);
    ByteArray<signature_size> copy{};
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    return Signature(copy);
}

std::string Signature::to_hex() const { return hex_encode(m_bytes); }

Result<PublicKey, KeyError> PublicKey::from_bytes(ByteSpan bytes) {
    if (bytes.size() != public_key_size) return fail(KeyError::wrong_length);
    ensure_sodium_initialized();
    if (crypto_core_ed25519_is_valid_point(bytes.data()) != 1) return fail(KeyError::invalid_point);
    ByteArray<public_key_size> copy{};
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    return PublicKey(copy);
}

Result<PublicKey, KeyError> PublicKey::from_base58(std::string_view text) {
    auto bytes = base58_decode(text);
    if (!bytes) return fail(KeyError::invalid_encoding);
    return from_bytes(*bytes);
}

std::string PublicKey::to_base58() const { return base58_encode(m_bytes); }

bool PublicKey::verify(ByteSpan message, const Signature& signature) const {
    ensure_sodium_initialized();
    return crypto_sign_verify_detached(signature.bytes().data(), message.data(), message.size(),
                                       m_bytes.data()) == 0;
}

SecretKey SecretKey::generate() {
    SecretArray<seed_size> seed;
    random_bytes(seed.mutable_view());
    auto key = from_seed(seed.view());
    FLEEK_ASSERT(key.has_value());
    return std::move(*key);
}

Result<SecretKey, KeyError> SecretKey::from_seed(ByteSpan seed) {
    if (seed.size() != seed_size) return fail(KeyError::wrong_length);
    ensure_sodium_initialized();
    SecretArray<seed_size> seed_copy(std::span<const uint8_t, seed_size>(seed.data(), seed_size));
    SecretArray<64> expanded;
    ByteArray<public_key_size> public_bytes{};
    const int result = crypto_sign_seed_keypair(public_bytes.data(), expanded.data(), seed_copy.data());
    FLEEK_ASSERT(result == 0);
    return SecretKey(std::move(seed_copy), std::move(expanded), PublicKey(public_bytes));
}

SecretKey SecretKey::clone() const {
    return SecretKey(m_seed.clone(), m_expanded.clone(), m_public_key);
}

Signature SecretKey::sign(ByteSpan message) const {
    ByteArray<signature_size> signature{};
    const int result =
        crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), m_expanded.data());
    FLEEK_ASSERT(result == 0);
    return Signature(signature);
}

}  // namespace fleek::crypto::ed25519
