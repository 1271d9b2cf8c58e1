// How consensus signs and checks statements (ledger::ConsensusStatement), behind one interface so
// the simulator can run thousands of seeds with a cheap deterministic scheme while production,
// the benchmark and some simulator runs use real BLS. Both schemes go through the same
// verification paths in the primary: a wrong signature is rejected either way.
//
//   BlsSignatureScheme   BLS12-381 min-sig (crypto/bls.h) through ledger::sign_statement;
//                        certificates are checked with bls::fast_aggregate_verify.
//   TestSignatureScheme  NOT SECURE, tests only: sig_i = BLAKE3-XOF keyed by a secret derived
//                        from member i's public key over the statement digest; the aggregate is
//                        the XOR of the members' signatures. Deterministic and cheap, and it
//                        still rejects any signature that a member did not produce.
#pragma once

#include "consensus/types.h"

#include <memory>
#include <optional>
#include <span>

namespace fleek::consensus {

class SignatureScheme {
public:
    virtual ~SignatureScheme() = default;
    // Signs with the local authority's key.
    virtual SignatureBytes sign(const ledger::ConsensusStatement& statement) const = 0;
    virtual bool verify(AuthorityIndex signer, const ledger::ConsensusStatement& statement,
                        const SignatureBytes& signature) const = 0;
    // Nothing when a signature does not parse or the list is empty.
    virtual std::optional<SignatureBytes> aggregate(std::span<const SignatureBytes> signatures) const = 0;
    virtual bool verify_aggregate(std::span<const AuthorityIndex> signers, const ledger::ConsensusStatement& statement,
                                  const SignatureBytes& signature) const = 0;
};

// `key` is the local member's secret key, or nothing for a verify-only instance.
std::shared_ptr<const SignatureScheme> make_bls_scheme(const Committee& committee,
                                                       std::optional<crypto::bls::SecretKey> key);
std::shared_ptr<const SignatureScheme> make_test_scheme(const Committee& committee,
                                                        std::optional<AuthorityIndex> signer);

}  // namespace fleek::consensus
