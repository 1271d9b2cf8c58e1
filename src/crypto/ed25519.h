// Ed25519 (RFC 8032) through libsodium: node keys and client keys.
//
// Public keys are checked when parsed: the encoding must be canonical and the point must be in
// the prime-order subgroup and not of small order, so a PublicKey value is always usable.
// Verification rejects non-canonical signatures (S >= L) and small-order R.
#pragma once

#include "crypto/key_error.h"
#include "util/bytes.h"
#include "util/result.h"

#include <string>
#include <string_view>

namespace fleek::crypto::ed25519 {

inline constexpr size_t seed_size = 32;
inline constexpr size_t public_key_size = 32;
inline constexpr size_t signature_size = 64;

class Signature {
public:
    static Result<Signature, KeyError> from_bytes(ByteSpan bytes);
    const ByteArray<signature_size>& bytes() const noexcept { return m_bytes; }
    std::string to_hex() const;
    friend bool operator==(const Signature&, const Signature&) = default;

private:
    explicit Signature(const ByteArray<signature_size>& bytes) : m_bytes(bytes) {}
    friend class SecretKey;
    ByteArray<signature_size> m_bytes;
};

class PublicKey {
public:
    static Result<PublicKey, KeyError> from_bytes(ByteSpan bytes);
    static Result<PublicKey, KeyError> from_base58(std::string_view text);
    const ByteArray<public_key_size>& bytes() const noexcept { return m_bytes; }
    std::string to_base58() const;
    [[nodiscard]] bool verify(ByteSpan message, const Signature& signature) const;
    friend bool operator==(const PublicKey&, const PublicKey&) = default;
    friend auto operator<=>(const PublicKey&, const PublicKey&) = default;

private:
    explicit PublicKey(const ByteArray<public_key_size>& bytes) : m_bytes(bytes) {}
    friend class SecretKey;
    ByteArray<public_key_size> m_bytes;
};

// Holds the 32-byte seed and libsodium's 64-byte expanded key; both are wiped on destruction.
class SecretKey {
public:
    static SecretKey generate();
    static Result<SecretKey, KeyError> from_seed(ByteSpan seed);

    SecretKey(SecretKey&&) noexcept = default;
    SecretKey& operator=(SecretKey&&) noexcept = default;
    SecretKey clone() const;

    const PublicKey& public_key() const noexcept { return m_public_key; }
    Signature sign(ByteSpan message) const;
    // The seed is what key files store.
    std::span<const uint8_t, seed_size> seed() const noexcept { return m_seed.view(); }

private:
    SecretKey(SecretArray<seed_size> seed, SecretArray<64> expanded, const PublicKey& public_key)
        : m_seed(std::move(seed)), m_expanded(std::move(expanded)), m_public_key(public_key) {}
    SecretArray<seed_size> m_seed;
    SecretArray<64> m_expanded;
    PublicKey m_public_key;
};

}  // namespace fleek::crypto::ed25519
