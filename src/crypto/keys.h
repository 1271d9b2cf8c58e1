// The key roles of the network, as distinct types so one cannot be passed for another:
//
//   role       algorithm            public text form      used for
//   node       Ed25519              base58 (32 bytes)     node identity, transport, node txs
//   consensus  BLS12-381 min-sig    base58 (96 bytes)     consensus votes, block certificates
//   client     Ed25519              base58 (32 bytes)     delivery acknowledgements
//   account    secp256k1            0x EIP-55 address     balances, staking, account txs
//
// Node and client keys share an algorithm, so they are two instantiations of one template
// with a role tag: a ClientSignature does not verify under a NodePublicKey.
#pragma once

#include "crypto/bls.h"
#include "crypto/ed25519.h"
#include "crypto/ethereum.h"

#include <string>
#include <string_view>

namespace fleek::crypto {

struct NodeRole {
    static constexpr std::string_view name = "node";
};
struct ClientRole {
    static constexpr std::string_view name = "client";
};

template <class Role>
class Ed25519SignatureOf {
public:
    static Result<Ed25519SignatureOf, KeyError> from_bytes(ByteSpan bytes) {
        return ed25519::Signature::from_bytes(bytes).map([](const ed25519::Signature& s) { return Ed25519SignatureOf(s); });
    }
    explicit Ed25519SignatureOf(const ed25519::Signature& raw) : m_raw(raw) {}
    const ed25519::Signature& raw() const noexcept { return m_raw; }
    const ByteArray<ed25519::signature_size>& bytes() const noexcept { return m_raw.bytes(); }
    friend bool operator==(const Ed25519SignatureOf&, const Ed25519SignatureOf&) = default;

private:
    ed25519::Signature m_raw;
};

template <class Role>
class Ed25519PublicKeyOf {
public:
    static Result<Ed25519PublicKeyOf, KeyError> from_bytes(ByteSpan bytes) {
        return ed25519::PublicKey::from_bytes(bytes).map([](const ed25519::PublicKey& k) { return Ed25519PublicKeyOf(k); });
    }
    static Result<Ed25519PublicKeyOf, KeyError> from_base58(std::string_view text) {
        return ed25519::PublicKey::from_base58(text).map([](const ed25519::PublicKey& k) { return Ed25519PublicKeyOf(k); });
    }
    explicit Ed25519PublicKeyOf(const ed25519::PublicKey& raw) : m_raw(raw) {}
    const ed25519::PublicKey& raw() const noexcept { return m_raw; }
    const ByteArray<ed25519::public_key_size>& bytes() const noexcept { return m_raw.bytes(); }
    std::string to_string() const { return m_raw.to_base58(); }
    [[nodiscard]] bool verify(ByteSpan message, const Ed25519SignatureOf<Role>& signature) const {
        return m_raw.verify(message, signature.raw());
    }
    friend bool operator==(const Ed25519PublicKeyOf&, const Ed25519PublicKeyOf&) = default;
    friend auto operator<=>(const Ed25519PublicKeyOf&, const Ed25519PublicKeyOf&) = default;

private:
    ed25519::PublicKey m_raw;
};

template <class Role>
class Ed25519SecretKeyOf {
public:
    static Ed25519SecretKeyOf generate() { return Ed25519SecretKeyOf(ed25519::SecretKey::generate()); }
    static Result<Ed25519SecretKeyOf, KeyError> from_seed(ByteSpan seed) {
        auto raw = ed25519::SecretKey::from_seed(seed);
        if (!raw) return fail(raw.error());
        return Ed25519SecretKeyOf(std::move(*raw));
    }
    explicit Ed25519SecretKeyOf(ed25519::SecretKey raw) : m_raw(std::move(raw)), m_public_key(m_raw.public_key()) {}
    Ed25519SecretKeyOf clone() const { return Ed25519SecretKeyOf(m_raw.clone()); }

    const ed25519::SecretKey& raw() const noexcept { return m_raw; }
    const Ed25519PublicKeyOf<Role>& public_key() const noexcept { return m_public_key; }
    Ed25519SignatureOf<Role> sign(ByteSpan message) const { return Ed25519SignatureOf<Role>(m_raw.sign(message)); }

private:
    ed25519::SecretKey m_raw;
    Ed25519PublicKeyOf<Role> m_public_key;
};

using NodeSecretKey = Ed25519SecretKeyOf<NodeRole>;
using NodePublicKey = Ed25519PublicKeyOf<NodeRole>;
using NodeSignature = Ed25519SignatureOf<NodeRole>;

using ClientSecretKey = Ed25519SecretKeyOf<ClientRole>;
using ClientPublicKey = Ed25519PublicKeyOf<ClientRole>;
using ClientSignature = Ed25519SignatureOf<ClientRole>;

using ConsensusSecretKey = bls::SecretKey;
using ConsensusPublicKey = bls::PublicKey;
using ConsensusSignature = bls::Signature;

using AccountSecretKey = ethereum::SecretKey;
using AccountPublicKey = ethereum::PublicKey;
using AccountSignature = ethereum::RecoverableSignature;
using AccountAddress = ethereum::Address;

}  // namespace fleek::crypto
