#include "crypto/bls.h"

#include "crypto/random.h"
#include "util/assert.h"
#include "util/encoding.h"

#include <memory>

namespace fleek::crypto::bls {

namespace {

const byte* dst_bytes(std::string_view dst) { return reinterpret_cast<const byte*>(dst.data()); }

// blst's pairing context is an opaque structure of blst_pairing_sizeof() bytes that must live on
// the heap (the C++ binding's stack object is a known overflow).
class PairingContext {
public:
    explicit PairingContext(std::string_view dst)
        : m_storage(new uint64_t[(blst_pairing_sizeof() + sizeof(uint64_t) - 1) / sizeof(uint64_t)]) {
        blst_pairing_init(get(), /*hash_or_encode=*/true, dst_bytes(dst), dst.size());
    }
    blst_pairing* get() noexcept { return reinterpret_cast<blst_pairing*>(m_storage.get()); }

    // The key and signature were group-checked when parsed, so blst need not check them again.
    bool add(const blst_p2_affine& key, const blst_p1_affine* signature, ByteSpan message) {
        return blst_pairing_chk_n_aggr_pk_in_g2(get(), &key, /*pk_grpchk=*/false, signature,
                                                /*sig_grpchk=*/false, message.data(), message.size(),
                                                nullptr, 0) == BLST_SUCCESS;
    }
    bool verify() {
        blst_pairing_commit(get());
        return blst_pairing_finalverify(get(), nullptr);
    }

private:
    std::unique_ptr<uint64_t[]> m_storage;
};

}  // namespace

// ------------------------------------------------------------------------------ Signature

Result<Signature, KeyError> Signature::from_bytes(ByteSpan bytes) {
    if (bytes.size() != signature_size) return fail(KeyError::wrong_length);
    blst_p1_affine point;
    if (blst_p1_uncompress(&point, bytes.data()) != BLST_SUCCESS) return fail(KeyError::invalid_point);
    if (blst_p1_affine_is_inf(&point) || !blst_p1_affine_in_g1(&point)) return fail(KeyError::invalid_point);
    ByteArray<signature_size> copy{};
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    return Signature(point, copy);
}

Signature Signature::from_point(const blst_p1& point) {
    blst_p1_affine affine;
    blst_p1_to_affine(&affine, &point);
    ByteArray<signature_size> bytes{};
    blst_p1_affine_compress(bytes.data(), &affine);
    return Signature(affine, bytes);
}

std::string Signature::to_hex() const { return hex_encode(m_bytes); }

// ------------------------------------------------------------------------------ PublicKey

Result<PublicKey, KeyError> PublicKey::from_bytes(ByteSpan bytes) {
    if (bytes.size() != public_key_size) return fail(KeyError::wrong_length);
    blst_p2_affine point;
    if (blst_p2_uncompress(&point, bytes.data()) != BLST_SUCCESS) return fail(KeyError::invalid_point);
    if (blst_p2_affine_is_inf(&point) || !blst_p2_affine_in_g2(&point)) return fail(KeyError::invalid_point);
    ByteArray<public_key_size> copy{};
    std::copy(bytes.begin(), bytes.end(), copy.begin());
    return PublicKey(point, copy);
}

Result<PublicKey, KeyError> PublicKey::from_base58(std::string_view text) {
    auto bytes = base58_decode(text);
    if (!bytes) return fail(KeyError::invalid_encoding);
    return from_bytes(*bytes);
}

PublicKey PublicKey::from_point(const blst_p2& point) {
    blst_p2_affine affine;
    blst_p2_to_affine(&affine, &point);
    ByteArray<public_key_size> bytes{};
    blst_p2_affine_compress(bytes.data(), &affine);
    return PublicKey(affine, bytes);
}

std::string PublicKey::to_base58() const { return base58_encode(m_bytes); }

bool PublicKey::verify_with_dst(ByteSpan message, const Signature& signature, std::string_view dst) const {
    PairingContext context(dst);
    if (!context.add(m_point, &signature.m_point, message)) return false;
    return context.verify();
}

bool PublicKey::verify(ByteSpan message, const Signature& signature) const {
    return verify_with_dst(message, signature, signature_dst);
}

bool PublicKey::verify_possession(const Signature& proof) const {
    return verify_with_dst(m_bytes, proof, possession_dst);
}

// ------------------------------------------------------------------------------ SecretKey

SecretKey::SecretKey(const blst_scalar& scalar)
    : m_scalar(scalar), m_public_key([&] {
          blst_p2 point;
          blst_sk_to_pk_in_g2(&point, &scalar);
          return PublicKey::from_point(point);
      }()) {}

SecretKey::SecretKey(SecretKey&& other) noexcept : m_scalar(other.m_scalar), m_public_key(other.m_public_key) {
    secure_wipe(&other.m_scalar, sizeof(other.m_scalar));
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
    if (this != &other) {
        m_scalar = other.m_scalar;
        m_public_key = other.m_public_key;
        secure_wipe(&other.m_scalar, sizeof(other.m_scalar));
    }
    return *this;
}

SecretKey::~SecretKey() { secure_wipe(&m_scalar, sizeof(m_scalar)); }

SecretKey SecretKey::clone() const { return SecretKey(m_scalar); }

SecretKey SecretKey::generate() {
    SecretArray<32> key_material;
    random_bytes(key_material.mutable_view());
    auto key = from_seed(key_material.view());
    FLEEK_ASSERT(key.has_value());
    return std::move(*key);
}

Result<SecretKey, KeyError> SecretKey::from_seed(ByteSpan key_material) {
    if (key_material.size() < seed_size_min) return fail(KeyError::seed_too_short);
    blst_scalar scalar;
    blst_keygen(&scalar, key_material.data(), key_material.size(), nullptr, 0);
    SecretKey key(scalar);
    secure_wipe(&scalar, sizeof(scalar));
    return key;
}

Result<SecretKey, KeyError> SecretKey::from_bytes(ByteSpan bytes) {
    if (bytes.size() != secret_key_size) return fail(KeyError::wrong_length);
    blst_scalar scalar;
    blst_scalar_from_bendian(&scalar, bytes.data());
    if (!blst_sk_check(&scalar)) {
        secure_wipe(&scalar, sizeof(scalar));
        return fail(KeyError::invalid_scalar);
    }
    SecretKey key(scalar);
    secure_wipe(&scalar, sizeof(scalar));
    return key;
}

SecretArray<secret_key_size> SecretKey::to_bytes() const {
    SecretArray<secret_key_size> out;
    blst_bendian_from_scalar(out.data(), &m_scalar);
    return out;
}

Signature SecretKey::sign_with_dst(ByteSpan message, std::string_view dst) const {
    blst_p1 hash;
    blst_hash_to_g1(&hash, message.data(), message.size(), dst_bytes(dst), dst.size(), nullptr, 0);
    blst_p1 signature;
    blst_sign_pk_in_g2(&signature, &hash, &m_scalar);
    return Signature::from_point(signature);
}

Signature SecretKey::sign(ByteSpan message) const { return sign_with_dst(message, signature_dst); }

Signature SecretKey::prove_possession() const { return sign_with_dst(m_public_key.bytes(), possession_dst); }

// ------------------------------------------------------------------------------ aggregation

Result<Signature, KeyError> aggregate_signatures(std::span<const Signature> signatures) {
    if (signatures.empty()) return fail(KeyError::empty);
    blst_p1 sum;
    blst_p1_from_affine(&sum, &signatures[0].m_point);
    for (size_t i = 1; i < signatures.size(); ++i) blst_p1_add_or_double_affine(&sum, &sum, &signatures[i].m_point);
    if (blst_p1_is_inf(&sum)) return fail(KeyError::invalid_point);
    return Signature::from_point(sum);
}

Result<PublicKey, KeyError> aggregate_public_keys(std::span<const PublicKey> keys) {
    if (keys.empty()) return fail(KeyError::empty);
    blst_p2 sum;
    blst_p2_from_affine(&sum, &keys[0].m_point);
    for (size_t i = 1; i < keys.size(); ++i) blst_p2_add_or_double_affine(&sum, &sum, &keys[i].m_point);
    if (blst_p2_is_inf(&sum)) return fail(KeyError::invalid_point);
    return PublicKey::from_point(sum);
}

bool fast_aggregate_verify(std::span<const PublicKey> keys, ByteSpan message, const Signature& signature) {
    auto aggregate = aggregate_public_keys(keys);
    if (!aggregate) return false;
    return aggregate->verify(message, signature);
}

bool aggregate_verify(std::span<const PublicKey> keys, std::span<const ByteSpan> messages,
                      const Signature& signature) {
    if (keys.empty() || keys.size() != messages.size()) return false;
    PairingContext context(signature_dst);
    for (size_t i = 0; i < keys.size(); ++i) {
        if (!context.add(keys[i].m_point, i == 0 ? &signature.m_point : nullptr, messages[i])) return false;
    }
    return context.verify();
}

}  // namespace fleek::crypto::bls
