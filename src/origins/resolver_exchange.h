// Resolver records between nodes (docs/formats/resolver-records.md §Exchange): the payload of the
// `resolver_records` gossip topic, and the query/answer on the transport's request channel by
// which a node asks peers about a pointer it has no record of. Every record is verified
// (verify_resolver_record) before it is stored; an answer is checked whole before any of it is.
#pragma once

#include "origins/resolver.h"

namespace fleek::origins {

// The gossip payload: one record, encoded canonically.
Bytes encode_resolver_gossip(const VerifiedResolverRecord& record);
// A gossip payload from `origin`: decoded, its originator must be `origin`, verified, stored.
// The gossip handler returns true unless the error is the sender's fault (all but `storage`).
Result<ClaimOutcome, ResolverRecordError> accept_resolver_gossip(Resolver& resolver, const crypto::NodePublicKey& origin,
                                                                 ByteSpan payload, const NodeKeyCheck& is_registered,
                                                                 uint64_t now_ms);

// What this node answers to a query: the claims it holds for the pointer.
Result<ResolverAnswer, std::string> answer_resolver_query(Resolver& resolver, const ResolverQuery& query);

struct ResolverAnswerCounts {
    size_t stored = 0;       // stored or replaced
    size_t unchanged = 0;    // duplicate or stale
    size_t no_room = 0;      // originator_full or store_full
    size_t refused = 0;      // records that failed verification
    std::optional<ResolverRecordError> first_refusal;
};
// An answer to a query about `asked`: refused whole (malformed, wrong_pointer) before anything is
// stored; otherwise each record is verified and stored on its own.
Result<ResolverAnswerCounts, ResolverRecordError> accept_resolver_answer(Resolver& resolver, const ResolverPointer& asked,
                                                                         ByteSpan answer, const NodeKeyCheck& is_registered,
                                                                         uint64_t now_ms);

}  // namespace fleek::origins
