#include "crypto/ethereum.h"

#include "crypto/random.h"
#include "util/assert.h"
#include "util/encoding.h"

#include <secp256k1_recovery.h>

#include <algorithm>

namespace fleek::crypto::ethereum {

namespace {

// One context for the process; after creation and randomization it is only read, which
// libsecp256k1 allows from many threads at once.
const secp256k1_context* context() {
    static const secp256k1_context* instance = [] {
        secp256k1_context* created = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        FLEEK_ASSERT(created != nullptr);
        ByteArray<32> seed{};
        random_bytes(seed);
        // Blinding against side channels while signing; failure only means no blinding.
        const int randomized = secp256k1_context_randomize(created, seed.data());
        FLEEK_ASSERT(randomized == 1);
        secure_wipe(seed.data(), seed.size());
        return created;
    }();
    return instance;
}

}  // namespace

// ------------------------------------------------------------------------------ Address

Result<Address, KeyError> Address::from_bytes(ByteSpan bytes) {
    if (bytes.size() != address_size) return fail(KeyError::wrong_length);
    ByteArray<address_size> copy{};
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    return Address(copy);
}

std::string Address::to_string() const {
    const std::string lower = hex_encode(m_bytes);
    const Hash32 hash = keccak256(as_bytes(lower));
    std::string out = "0x";
    out.reserve(2 + lower.size());
    for (size_t i = 0; i < lower.size(); ++i) {
        const uint8_t nibble = (i % 2 == 0) ? (hash[i / 2] >> 4) : (hash[i / 2] & 0x0f);
        const char c = lower[i];
        out.push_back((c >= 'a' && nibble >= 8) ? static_cast<char>(c - 'a' + 'A') : c);
    }
    return out;
}

Result<Address, KeyError> Address::parse(std::string_view text) {
    if (text.size() != 2 + 2 * address_size) return fail(KeyError::wrong_length);
    if (text[0] != '0' || text[1] != 'x') return fail(KeyError::invalid_encoding);
    const std::string_view digits = text.substr(2);
    auto bytes = hex_decode_array<address_size>(digits);
    if (!bytes) return fail(KeyError::invalid_encoding);
    bool has_lower = false;
    bool has_upper = false;
    for (const char c : digits) {
        has_lower |= (c >= 'a' && c <= 'f');
        has_upper |= (c >= 'A' && c <= 'F');
    }
    Address address(*bytes);
    if (has_lower && has_upper && address.to_string().substr(2) != digits) return fail(KeyError::bad_checksum);
    return address;
}

// ------------------------------------------------------------------------------ PublicKey

Result<PublicKey, KeyError> PublicKey::from_bytes(ByteSpan bytes) {
    if (bytes.size() != 33 && bytes.size() != 65) return fail(KeyError::wrong_length);
    secp256k1_pubkey key;
    if (secp256k1_ec_pubkey_parse(context(), &key, bytes.data(), bytes.size()) != 1) {
        return fail(KeyError::invalid_point);
    }
    return PublicKey(key);
}

ByteArray<33> PublicKey::compressed() const {
    ByteArray<33> out{};
    size_t size = out.size();
    const int ok = secp256k1_ec_pubkey_serialize(context(), out.data(), &size, &m_key, SECP256K1_EC_COMPRESSED);
    FLEEK_ASSERT(ok == 1 && size == out.size());
    return out;
}

ByteArray<65> PublicKey::uncompressed() const {
    ByteArray<65> out{};
    size_t size = out.size();
    const int ok = secp256k1_ec_pubkey_serialize(context(), out.data(), &size, &m_key, SECP256K1_EC_UNCOMPRESSED);
    FLEEK_ASSERT(ok == 1 && size == out.size());
    return out;
}

Address PublicKey::address() const {
    const ByteArray<65> point = uncompressed();
    const Hash32 hash = keccak256(ByteSpan(point).subspan(1));
    ByteArray<address_size> bytes{};
    std::copy(hash.begin() + 12, hash.end(), bytes.begin());
    return Address::from_bytes(bytes);
}

// ------------------------------------------------------------------------------ signatures

Result<RecoverableSignature, KeyError> RecoverableSignature::from_bytes(ByteSpan bytes) {
    if (bytes.size() != signature_size) return fail(KeyError::wrong_length);
    uint8_t v = bytes[64];
    if (v == 27 || v == 28) v = static_cast<uint8_t>(v - 27);
    if (v > 1) return fail(KeyError::invalid_encoding);
    // r and s must lie in [1, n - 1], and s in the lower half (EIP-2).
    const auto is_zero = [](ByteSpan scalar) {
        return std::all_of(scalar.begin(), scalar.end(), [](uint8_t b) { return b == 0; });
    };
    if (is_zero(bytes.subspan(0, 32)) || is_zero(bytes.subspan(32, 32))) return fail(KeyError::invalid_scalar);
    secp256k1_ecdsa_recoverable_signature parsed;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, bytes.data(), v) != 1) {
        return fail(KeyError::invalid_scalar);
    }
    secp256k1_ecdsa_signature plain;
    secp256k1_ecdsa_recoverable_signature_convert(context(), &plain, &parsed);
    if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &plain) == 1) return fail(KeyError::non_canonical);
    ByteArray<64> rs{};
    std::copy(bytes.begin(), bytes.begin() + 64, rs.begin());
    return RecoverableSignature(rs, v);
}

ByteArray<signature_size> RecoverableSignature::to_bytes() const {
    ByteArray<signature_size> out{};
    std::copy(m_rs.begin(), m_rs.end(), out.begin());
    out[64] = static_cast<uint8_t>(27 + m_recovery_id);
    return out;
}

Result<PublicKey, KeyError> RecoverableSignature::recover(const Hash32& digest) const {
    secp256k1_ecdsa_recoverable_signature parsed;
    if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &parsed, m_rs.data(), m_recovery_id) != 1) {
        return fail(KeyError::invalid_scalar);
    }
    secp256k1_pubkey key;
    if (secp256k1_ecdsa_recover(context(), &key, &parsed, digest.data()) != 1) return fail(KeyError::invalid_point);
    return PublicKey(key);
}

// ------------------------------------------------------------------------------ SecretKey

SecretKey SecretKey::generate() {
    SecretArray<secret_key_size> secret;
    // A uniformly random 32-byte string is a valid key except with probability about 2^-128.
    for (;;) {
        random_bytes(secret.mutable_view());
        auto key = from_bytes(secret.view());
        if (key) return std::move(*key);
    }
}

Result<SecretKey, KeyError> SecretKey::from_bytes(ByteSpan bytes) {
    if (bytes.size() != secret_key_size) return fail(KeyError::wrong_length);
    if (secp256k1_ec_seckey_verify(context(), bytes.data()) != 1) return fail(KeyError::invalid_scalar);
    SecretArray<secret_key_size> secret(std::span<const uint8_t, secret_key_size>(bytes.data(), secret_key_size));
    secp256k1_pubkey key;
    const int ok = secp256k1_ec_pubkey_create(context(), &key, secret.data());
    FLEEK_ASSERT(ok == 1);
    return SecretKey(std::move(secret), PublicKey(key));
}

SecretKey SecretKey::clone() const { return SecretKey(m_secret.clone(), m_public_key); }

RecoverableSignature SecretKey::sign(const Hash32& digest) const {
    secp256k1_ecdsa_recoverable_signature signature;
    const int ok = secp256k1_ecdsa_sign_recoverable(context(), &signature, digest.data(), m_secret.data(),
                                                    nullptr, nullptr);
    FLEEK_ASSERT(ok == 1);
    ByteArray<64> rs{};
    int recovery_id = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), rs.data(), &recovery_id, &signature);
    FLEEK_ASSERT(recovery_id == 0 || recovery_id == 1);
    return RecoverableSignature(rs, static_cast<uint8_t>(recovery_id));
}

RecoverableSignature SecretKey::personal_sign(ByteSpan message) const { return sign(personal_sign_digest(message)); }

Hash32 personal_sign_digest(ByteSpan message) {
    const std::string prefix = "\x19" "Ethereum Signed Message:\n" + std::to_string(message.size());
    Bytes data(prefix.begin(), prefix.end());
    data.insert(data.end(), message.begin(), message.end());
    return keccak256(data);
}

Result<Address, KeyError> recover_personal_sign(ByteSpan message, const RecoverableSignature& signature) {
    auto key = signature.recover(personal_sign_digest(message));
    if (!key) return fail(key.error());
    return key->address();
}

}  // namespace fleek::crypto::ethereum
