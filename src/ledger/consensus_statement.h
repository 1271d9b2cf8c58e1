// What consensus participants sign, in a form the ledger can judge without knowing consensus
// internals: the contract between the consensus module (which signs statements) and the ledger
// (whose Slash transaction accepts two conflicting statements as evidence).
// Format and vector: docs/formats/consensus-statement.md.
//
//   statement = { kind: u8, epoch: u64, round: u64, origin: BLS public key (96 B), subject: 32 B }
//   signed message = object_digest("consensus-statement", canonical encoding of the statement)
//
//   kind     signer                 round            origin                 subject
//   header   the header's author    DAG round        the author             header digest
//   vote     any committee member   the header's     the header's author    header digest voted for
//   block    any committee member   block height     all zero bytes         digest of (block digest, state root)
//
// Vote and block statements do not name their signer, so every signature over one header (or
// one block) is over the same message and 2f+1 of them aggregate into one BLS signature checked
// by fast_aggregate_verify (certificates, block certificates).
//
// Equivocation: two statements of the same kind, epoch, round and origin with different
// subjects, both signed by the same key. For header statements that key must be the origin;
// for votes and blocks it is any key that signed both.
#pragma once

#include "codec/codec.h"
#include "crypto/bls.h"
#include "crypto/hash.h"

#include <optional>

namespace fleek::ledger {

enum class StatementKind : uint8_t { header = 0, vote = 1, block = 2 };
inline constexpr uint8_t statement_kind_count = 3;

struct ConsensusStatement {
    StatementKind kind = StatementKind::header;
    uint64_t epoch = 0;
    uint64_t round = 0;
    ByteArray<crypto::bls::public_key_size> origin{};
    crypto::Hash32 subject{};

    friend bool operator==(const ConsensusStatement&, const ConsensusStatement&) = default;

    void encode(codec::Writer& w) const;
    static Result<ConsensusStatement, codec::DecodeError> decode(codec::Reader& r);

    // The 32 bytes a BLS key signs for this statement.
    crypto::Hash32 signing_digest() const;
};

// The subject of a block statement: the digest of the block digest and the state root after it.
crypto::Hash32 block_statement_subject(const crypto::Hash32& block_digest, const crypto::Hash32& state_root);

struct SignedStatement {
    ConsensusStatement statement;
    ByteArray<crypto::bls::signature_size> signature{};

    friend bool operator==(const SignedStatement&, const SignedStatement&) = default;
    void encode(codec::Writer& w) const;
    static Result<SignedStatement, codec::DecodeError> decode(codec::Reader& r);
};

SignedStatement sign_statement(const ConsensusStatement& statement, const crypto::bls::SecretKey& key);

enum class EvidenceError : uint8_t {
    invalid_signature_encoding,  // a signature that is not a valid BLS signature
    bad_signature,               // a statement not signed by the accused key
    not_conflicting,             // different kind, epoch, round or origin, or the same subject
    wrong_signer,                // a header or block statement signed by a key other than its origin
};

// Ok when `a` and `b` prove that `accused` equivocated.
Result<void, EvidenceError> check_equivocation(const crypto::bls::PublicKey& accused, const SignedStatement& a,
                                               const SignedStatement& b);

}  // namespace fleek::ledger
