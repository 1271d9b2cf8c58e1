// BLS12-381 signatures in the min-sig variant through blst 0.3.10: consensus keys.
//
//   public key  96 bytes, compressed point of G2
//   signature   48 bytes, compressed point of G1
//   scheme      proof of possession (IETF draft-irtf-cfrg-bls-signature-05 §3.3):
//               sign   DST "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_"
//               proofs DST "BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_" over the compressed key
//
// Parsing does the expensive checks once: a PublicKey or Signature value is always a point of
// the right prime-order subgroup and never the identity, so verification does not repeat them.
//
// Rogue-key safety: fast_aggregate_verify adds public keys, which is only sound for keys whose
// proof of possession was verified (at stake registration). Callers must not feed it unchecked
// keys.
#pragma once

#include "crypto/key_error.h"
#include "util/bytes.h"
#include "util/result.h"

#include <blst.h>

#include <span>
#include <string>
#include <string_view>

namespace fleek::crypto::bls {

inline constexpr size_t secret_key_size = 32;
inline constexpr size_t public_key_size = 96;
inline constexpr size_t signature_size = 48;
inline constexpr size_t seed_size_min = 32;

inline constexpr std::string_view signature_dst = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_";
inline constexpr std::string_view possession_dst = "BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_";

class Signature {
public:
    static Result<Signature, KeyError> from_bytes(ByteSpan bytes);
    const ByteArray<signature_size>& bytes() const noexcept { return m_bytes; }
    std::string to_hex() const;
    friend bool operator==(const Signature& a, const Signature& b) noexcept { return a.m_bytes == b.m_bytes; }

private:
    Signature(const blst_p1_affine& point, const ByteArray<signature_size>& bytes) : m_point(point), m_bytes(bytes) {}
    static Signature from_point(const blst_p1& point);
    friend class SecretKey;
    friend class PublicKey;
    friend Result<Signature, KeyError> aggregate_signatures(std::span<const Signature> signatures);
    friend bool fast_aggregate_verify(std::span<const class PublicKey> keys, ByteSpan message,
                                      const Signature& signature);
    friend bool aggregate_verify(std::span<const class PublicKey> keys, std::span<const ByteSpan> messages,
                                 const Signature& signature);
    blst_p1_affine m_point;
    ByteArray<signature_size> m_bytes;
};

class PublicKey {
public:
    static Result<PublicKey, KeyError> from_bytes(ByteSpan bytes);
    static Result<PublicKey, KeyError> from_base58(std::string_view text);
    const ByteArray<public_key_size>& bytes() const noexcept { return m_bytes; }
    std::string to_base58() const;

    [[nodiscard]] bool verify(ByteSpan message, const Signature& signature) const;
    [[nodiscard]] bool verify_possession(const Signature& proof) const;

    friend bool operator==(const PublicKey& a, const PublicKey& b) noexcept { return a.m_bytes == b.m_bytes; }
    friend auto operator<=>(const PublicKey& a, const PublicKey& b) noexcept { return a.m_bytes <=> b.m_bytes; }

private:
    PublicKey(const blst_p2_affine& point, const ByteArray<public_key_size>& bytes) : m_point(point), m_bytes(bytes) {}
    static PublicKey from_point(const blst_p2& point);
    bool verify_with_dst(ByteSpan message, const Signature& signature, std::string_view dst) const;
    friend class SecretKey;
    friend Result<PublicKey, KeyError> aggregate_public_keys(std::span<const PublicKey> keys);
    friend bool fast_aggregate_verify(std::span<const PublicKey> keys, ByteSpan message, const Signature& signature);
    friend bool aggregate_verify(std::span<const PublicKey> keys, std::span<const ByteSpan> messages,
                                 const Signature& signature);
    blst_p2_affine m_point;
    ByteArray<public_key_size> m_bytes;
};

// A secret scalar, wiped on destruction.
class SecretKey {
public:
    static SecretKey generate();
    // KeyGen of the IETF BLS draft (HKDF over at least 32 bytes of key material).
    static Result<SecretKey, KeyError> from_seed(ByteSpan key_material);
    // The 32-byte big-endian scalar that key files store; must be non-zero and below the order.
    static Result<SecretKey, KeyError> from_bytes(ByteSpan bytes);

    SecretKey(const SecretKey&) = delete;
    SecretKey& operator=(const SecretKey&) = delete;
    SecretKey(SecretKey&& other) noexcept;
    SecretKey& operator=(SecretKey&& other) noexcept;
    ~SecretKey();
    SecretKey clone() const;

    SecretArray<secret_key_size> to_bytes() const;
    const PublicKey& public_key() const noexcept { return m_public_key; }
    Signature sign(ByteSpan message) const;
    Signature prove_possession() const;

private:
    SecretKey(const blst_scalar& scalar);
    Signature sign_with_dst(ByteSpan message, std::string_view dst) const;
    blst_scalar m_scalar;
    PublicKey m_public_key;
};

// Sum of signatures (over the same or different messages). Fails only on an empty input.
Result<Signature, KeyError> aggregate_signatures(std::span<const Signature> signatures);
// Sum of public keys; see the rogue-key note above.
Result<PublicKey, KeyError> aggregate_public_keys(std::span<const PublicKey> keys);
// All keys signed the same message; `signature` is the aggregate of their signatures.
[[nodiscard]] bool fast_aggregate_verify(std::span<const PublicKey> keys, ByteSpan message,
                                         const Signature& signature);
// keys[i] signed messages[i]; `signature` is the aggregate of all those signatures.
[[nodiscard]] bool aggregate_verify(std::span<const PublicKey> keys, std::span<const ByteSpan> messages,
                                    const Signature& signature);

}  // namespace fleek::crypto::bls
