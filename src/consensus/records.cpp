#include "consensus/records.h"

namespace fleek::consensus {

#define RECORD_TRY(var, expr)   \
    auto var = (expr);          \
    if (!var) return fail(var.error())

void LastVoteRecord::encode(codec::Writer& w) const {
    w.u64(round);
    w.fixed(header);
    if (has_header_fields) {
        w.u64(created_at_ms);
        w.fixed(header_signature);
    }
}

Result<LastVoteRecord, codec::DecodeError> LastVoteRecord::decode(codec::Reader& r) {
    LastVoteRecord out;
    RECORD_TRY(round, r.u64());
    RECORD_TRY(header, r.array<32>());
    out.round = *round;
    out.header = *header;
    if (r.remaining() == 0) return out;  // the older form
    RECORD_TRY(created, r.u64());
    RECORD_TRY(signature, r.array<crypto::bls::signature_size>());
    out.has_header_fields = true;
    out.created_at_ms = *created;
    out.header_signature = *signature;
    return out;
}

void SubDagRecord::encode(codec::Writer& w) const {
    w.u64(leader_round);
    w.fixed(leader);
    w.u64(timestamp_ms);
    w.sequence(std::span<const Digest>(certificates), UINT32_MAX, [](codec::Writer& out, const Digest& d) { out.fixed(d); });
}

Result<SubDagRecord, codec::DecodeError> SubDagRecord::decode(codec::Reader& r) {
    SubDagRecord out;
    RECORD_TRY(round, r.u64());
    RECORD_TRY(leader, r.array<32>());
    RECORD_TRY(timestamp, r.u64());
    RECORD_TRY(count, r.count(UINT32_MAX, 32));
    out.leader_round = *round;
    out.leader = *leader;
    out.timestamp_ms = *timestamp;
    out.certificates.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        RECORD_TRY(d, r.array<32>());
        out.certificates.push_back(*d);
    }
    return out;
}

void OutputState::encode(codec::Writer& w) const {
    w.u64(next_index);
    w.u64(next_sequence);
}

Result<OutputState, codec::DecodeError> OutputState::decode(codec::Reader& r) {
    OutputState out;
    RECORD_TRY(index, r.u64());
    RECORD_TRY(sequence, r.u64());
    out.next_index = *index;
    out.next_sequence = *sequence;
    return out;
}

Bytes key_u32(uint32_t value) {
    return Bytes{static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 8),
                 static_cast<uint8_t>(value)};
}

}  // namespace fleek::consensus
