#include "consensus/signature.h"

namespace fleek::consensus {
namespace {

class BlsScheme final : public SignatureScheme {
public:
    BlsScheme(const Committee& committee, std::optional<crypto::bls::SecretKey> key) : m_key(std::move(key)) {
        for (const Member& m : committee.members()) m_keys.push_back(m.consensus_key);
    }
    SignatureBytes sign(const ledger::ConsensusStatement& statement) const override {
        FLEEK_ASSERT(m_key.has_value());
        return ledger::sign_statement(statement, *m_key).signature;
    }
    bool verify(AuthorityIndex signer, const ledger::ConsensusStatement& statement,
                const SignatureBytes& signature) const override {
        if (signer >= m_keys.size()) return false;
        auto parsed = crypto::bls::Signature::from_bytes(signature);
        if (!parsed) return false;
        return m_keys[signer].verify(statement.signing_digest(), *parsed);
    }
    std::optional<SignatureBytes> aggregate(std::span<const SignatureBytes> signatures) const override {
        std::vector<crypto::bls::Signature> parsed;
        parsed.reserve(signatures.size());
        for (const SignatureBytes& s : signatures) {
            auto p = crypto::bls::Signature::from_bytes(s);
            if (!p) return std::nullopt;
            parsed.push_back(*p);
        }
        auto sum = crypto::bls::aggregate_signatures(parsed);
        if (!sum) return std::nullopt;
        return sum->bytes();
    }
    bool verify_aggregate(std::span<const AuthorityIndex> signers, const ledger::ConsensusStatement& statement,
                          const SignatureBytes& signature) const override {
        if (signers.empty()) return false;
        auto parsed = crypto::bls::Signature::from_bytes(signature);
        if (!parsed) return false;
        std::vector<crypto::bls::PublicKey> keys;
        keys.reserve(signers.size());
        for (AuthorityIndex i : signers) {
            if (i >= m_keys.size()) return false;
            keys.push_back(m_keys[i]);
        }
        // Committee keys had their proof of possession checked at stake registration.
        return crypto::bls::fast_aggregate_verify(keys, statement.signing_digest(), *parsed);
    }

private:
    std::optional<crypto::bls::SecretKey> m_key;
    std::vector<crypto::bls::PublicKey> m_keys;
};

class TestScheme final : public SignatureScheme {
public:
    TestScheme(const Committee& committee, std::optional<AuthorityIndex> signer) : m_signer(signer) {
        for (const Member& m : committee.members()) {
            m_secrets.push_back(crypto::object_digest("consensus-test-signer", m.consensus_key.bytes()));
        }
    }
    SignatureBytes sign(const ledger::ConsensusStatement& statement) const override {
        FLEEK_ASSERT(m_signer.has_value());
        return signature_of(*m_signer, statement);
    }
    bool verify(AuthorityIndex signer, const ledger::ConsensusStatement& statement,
                const SignatureBytes& signature) const override {
        if (signer >= m_secrets.size()) return false;
        return signature_of(signer, statement) == signature;
    }
    std::optional<SignatureBytes> aggregate(std::span<const SignatureBytes> signatures) const override {
        if (signatures.empty()) return std::nullopt;
        SignatureBytes out{};
        for (const SignatureBytes& s : signatures) {
            for (size_t i = 0; i < out.size(); ++i) out[i] ^= s[i];
        }
        return out;
    }
    bool verify_aggregate(std::span<const AuthorityIndex> signers, const ledger::ConsensusStatement& statement,
                          const SignatureBytes& signature) const override {
        if (signers.empty()) return false;
        const auto digest = statement.signing_digest();
        SignatureBytes sum{};
        for (AuthorityIndex i : signers) {
            if (i >= m_secrets.size()) return false;
            const SignatureBytes part = signature_of_digest(i, digest);
            for (size_t k = 0; k < sum.size(); ++k) sum[k] ^= part[k];
        }
        return sum == signature;
    }

private:
    SignatureBytes signature_of(AuthorityIndex signer, const ledger::ConsensusStatement& statement) const {
        return signature_of_digest(signer, statement.signing_digest());
    }
    SignatureBytes signature_of_digest(AuthorityIndex signer, const crypto::Hash32& digest) const {
        auto hasher = crypto::Blake3Hasher::keyed(std::span<const uint8_t, 32>(m_secrets[signer]));
        hasher.update(digest);
        SignatureBytes out{};
        hasher.finalize_xof(out);
        return out;
    }
    std::optional<AuthorityIndex> m_signer;
    std::vector<crypto::Hash32> m_secrets;
};

}  // namespace

std::shared_ptr<const SignatureScheme> make_bls_scheme(const Committee& committee,
                                                       std::optional<crypto::bls::SecretKey> key) {
    return std::make_shared<BlsScheme>(committee, std::move(key));
}

std::shared_ptr<const SignatureScheme> make_test_scheme(const Committee& committee,
                                                        std::optional<AuthorityIndex> signer) {
    return std::make_shared<TestScheme>(committee, signer);
}

}  // namespace fleek::consensus
