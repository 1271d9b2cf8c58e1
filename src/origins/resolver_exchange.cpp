#include "origins/resolver_exchange.h"

namespace fleek::origins {

namespace {

Result<ClaimOutcome, ResolverRecordError> verify_and_store(Resolver& resolver, ResolverRecord record, const NodeKeyCheck& is_registered,
                                                           uint64_t now_ms) {
    auto verified = verify_resolver_record(std::move(record), is_registered, now_ms);
    if (!verified) return fail(verified.error());
    auto stored = resolver.put_claim(*verified);
    if (!stored) return fail(ResolverRecordError::storage);
    return *stored;
}

}  // namespace

Bytes encode_resolver_gossip(const VerifiedResolverRecord& record) { return codec::encode(record.record()); }

Result<ClaimOutcome, ResolverRecordError> accept_resolver_gossip(Resolver& resolver, const crypto::NodePublicKey& origin,
                                                                 ByteSpan payload, const NodeKeyCheck& is_registered,
                                                                 uint64_t now_ms) {
    auto record = codec::decode<ResolverRecord>(payload);
    if (!record) return fail(ResolverRecordError::malformed);
    if (record->originator != origin) return fail(ResolverRecordError::wrong_origin);
    return verify_and_store(resolver, std::move(*record), is_registered, now_ms);
}

Result<ResolverAnswer, std::string> answer_resolver_query(Resolver& resolver, const ResolverQuery& query) {
    auto records = resolver.claims(query.pointer, resolver_answer_records_max);
    if (!records) return fail(records.error());
    return ResolverAnswer{query.pointer, std::move(*records)};
}

Result<ResolverAnswerCounts, ResolverRecordError> accept_resolver_answer(Resolver& resolver, const ResolverPointer& asked,
                                                                         ByteSpan answer_bytes, const NodeKeyCheck& is_registered,
                                                                         uint64_t now_ms) {
    auto answer = codec::decode<ResolverAnswer>(answer_bytes);
    if (!answer) return fail(ResolverRecordError::malformed);
    if (answer->pointer != asked) return fail(ResolverRecordError::wrong_pointer);
    for (const auto& record : answer->records) {
        if (record.pointer() != asked) return fail(ResolverRecordError::wrong_pointer);
    }
    ResolverAnswerCounts counts;
    for (auto& record : answer->records) {
        auto outcome = verify_and_store(resolver, std::move(record), is_registered, now_ms);
        if (!outcome) {
            if (outcome.error() == ResolverRecordError::storage) return fail(ResolverRecordError::storage);
            ++counts.refused;
            if (!counts.first_refusal) counts.first_refusal = outcome.error();
            continue;
        }
        switch (*outcome) {
            case ClaimOutcome::stored:
            case ClaimOutcome::replaced: ++counts.stored; break;
            case ClaimOutcome::duplicate:
            case ClaimOutcome::stale: ++counts.unchanged; break;
            case ClaimOutcome::originator_full:
            case ClaimOutcome::store_full: ++counts.no_room; break;
        }
    }
    return counts;
}

}  // namespace fleek::origins
