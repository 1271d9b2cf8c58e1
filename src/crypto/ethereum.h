// secp256k1 account keys with Ethereum conventions, through libsecp256k1:
//   address         last 20 bytes of keccak256(uncompressed public key without its 0x04 byte)
//   address text    0x + 40 hex digits with the EIP-55 mixed-case checksum
//   signatures      65 bytes r || s || v, recoverable, low-s only (EIP-2); v is 27 or 28 on
//                   output and 0, 1, 27 or 28 on input
//   personal_sign   EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" ||
//                   decimal length || message), so any Ethereum wallet can sign our digests
#pragma once

#include "crypto/hash.h"
#include "crypto/key_error.h"
#include "util/bytes.h"
#include "util/result.h"

#include <secp256k1.h>

#include <string>
#include <string_view>

namespace fleek::crypto::ethereum {

inline constexpr size_t secret_key_size = 32;
inline constexpr size_t address_size = 20;
inline constexpr size_t signature_size = 65;

class Address {
public:
    static Address from_bytes(const ByteArray<address_size>& bytes) { return Address(bytes); }
    static Result<Address, KeyError> from_bytes(ByteSpan bytes);
    // "0x" + 40 hex digits: all lower case, all upper case, or a correct EIP-55 checksum.
    static Result<Address, KeyError> parse(std::string_view text);
    const ByteArray<address_size>& bytes() const noexcept { return m_bytes; }
    // EIP-55 checksummed form.
    std::string to_string() const;
    friend bool operator==(const Address&, const Address&) = default;
    friend auto operator<=>(const Address&, const Address&) = default;

private:
    explicit Address(const ByteArray<address_size>& bytes) : m_bytes(bytes) {}
    ByteArray<address_size> m_bytes;
};

class PublicKey {
public:
    // 33-byte compressed or 65-byte uncompressed SEC1 encoding.
    static Result<PublicKey, KeyError> from_bytes(ByteSpan bytes);
    ByteArray<33> compressed() const;
    ByteArray<65> uncompressed() const;
    Address address() const;
    friend bool operator==(const PublicKey& a, const PublicKey& b) { return a.compressed() == b.compressed(); }

private:
    explicit PublicKey(const secp256k1_pubkey& key) : m_key(key) {}
    friend class SecretKey;
    friend class RecoverableSignature;
    secp256k1_pubkey m_key;
};

class RecoverableSignature {
public:
    static Result<RecoverableSignature, KeyError> from_bytes(ByteSpan bytes);
    // r || s || v with v = 27 + recovery id (what wallets return from personal_sign).
    ByteArray<signature_size> to_bytes() const;
    uint8_t recovery_id() const noexcept { return m_recovery_id; }
    // The public key that produced this signature over `digest`.
    Result<PublicKey, KeyError> recover(const Hash32& digest) const;
    friend bool operator==(const RecoverableSignature&, const RecoverableSignature&) = default;

private:
    RecoverableSignature(const ByteArray<64>& rs, uint8_t recovery_id) : m_rs(rs), m_recovery_id(recovery_id) {}
    friend class SecretKey;
    ByteArray<64> m_rs;
    uint8_t m_recovery_id;
};

// A secret scalar, wiped on destruction.
class SecretKey {
public:
    static SecretKey generate();
    static Result<SecretKey, KeyError> from_bytes(ByteSpan bytes);
    SecretKey(SecretKey&&) noexcept = default;
    SecretKey& operator=(SecretKey&&) noexcept = default;
    SecretKey clone() const;

    std::span<const uint8_t, secret_key_size> bytes() const noexcept { return m_secret.view(); }
    const PublicKey& public_key() const noexcept { return m_public_key; }
    Address address() const { return m_public_key.address(); }
    // Deterministic (RFC 6979) recoverable signature of a 32-byte digest.
    RecoverableSignature sign(const Hash32& digest) const;
    // Signs `message` the way an Ethereum wallet's personal_sign does.
    RecoverableSignature personal_sign(ByteSpan message) const;

private:
    SecretKey(SecretArray<secret_key_size> secret, const PublicKey& public_key)
        : m_secret(std::move(secret)), m_public_key(public_key) {}
    SecretArray<secret_key_size> m_secret;
    PublicKey m_public_key;
};

// EIP-191 personal_sign digest of `message`.
Hash32 personal_sign_digest(ByteSpan message);

// Recovers the address that personal_sign-ed `message`.
Result<Address, KeyError> recover_personal_sign(ByteSpan message, const RecoverableSignature& signature);

}  // namespace fleek::crypto::ethereum
