#include "ledger/consensus_statement.h"

namespace fleek::ledger {

void ConsensusStatement::encode(codec::Writer& w) const {
    w.tag(static_cast<uint8_t>(kind));
    w.u64(epoch);
    w.u64(round);
    w.fixed(origin);
    w.fixed(subject);
}

Result<ConsensusStatement, codec::DecodeError> ConsensusStatement::decode(codec::Reader& r) {
    ConsensusStatement out;
    auto kind = r.tag(statement_kind_count);
    if (!kind) return fail(kind.error());
    out.kind = static_cast<StatementKind>(*kind);
    auto epoch = r.u64();
    if (!epoch) return fail(epoch.error());
    out.epoch = *epoch;
    auto round = r.u64();
    if (!round) return fail(round.error());
    out.round = *round;
    auto origin = r.array<crypto::bls::public_key_size>();
    if (!origin) return fail(origin.error());
    out.origin = *origin;
    auto subject = r.array<32>();
    if (!subject) return fail(subject.error());
    out.subject = *subject;
    return out;
}

crypto::Hash32 ConsensusStatement::signing_digest() const {
    return crypto::object_digest("consensus-statement", codec::encode(*this));
}

crypto::Hash32 block_statement_subject(const crypto::Hash32& block_digest, const crypto::Hash32& state_root) {
    codec::Writer w;
    w.fixed(block_digest);
    w.fixed(state_root);
    return crypto::object_digest("block-statement-subject", w.view());
}

void SignedStatement::encode(codec::Writer& w) const {
    statement.encode(w);
    w.fixed(signature);
}

Result<SignedStatement, codec::DecodeError> SignedStatement::decode(codec::Reader& r) {
    SignedStatement out;
    auto statement = ConsensusStatement::decode(r);
    if (!statement) return fail(statement.error());
    out.statement = *statement;
    auto signature = r.array<crypto::bls::signature_size>();
    if (!signature) return fail(signature.error());
    out.signature = *signature;
    return out;
}

SignedStatement sign_statement(const ConsensusStatement& statement, const crypto::bls::SecretKey& key) {
    return SignedStatement{statement, key.sign(statement.signing_digest()).bytes()};
}

Result<void, EvidenceError> check_equivocation(const crypto::bls::PublicKey& accused, const SignedStatement& a,
                                               const SignedStatement& b) {
    const ConsensusStatement& x = a.statement;
    const ConsensusStatement& y = b.statement;
    if (x.kind != y.kind || x.epoch != y.epoch || x.round != y.round || x.origin != y.origin || x.subject == y.subject) {
        return fail(EvidenceError::not_conflicting);
    }
    if (x.kind == StatementKind::header && x.origin != accused.bytes()) return fail(EvidenceError::wrong_signer);
    for (const SignedStatement* signed_statement : {&a, &b}) {
        auto signature = crypto::bls::Signature::from_bytes(signed_statement->signature);
        if (!signature) return fail(EvidenceError::invalid_signature_encoding);
        if (!accused.verify(signed_statement->statement.signing_digest(), *signature)) {
            return fail(EvidenceError::bad_signature);
        }
    }
    return {};
}

}  // namespace fleek::ledger
