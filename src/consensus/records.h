// Records a consensus node keeps in its Store (docs/formats/consensus-store.md).
#pragma once

#include "consensus/types.h"

#include <string_view>

namespace fleek::consensus {

inline constexpr std::string_view meta_consensus_key = "consensus";  // ConsensusState
inline constexpr std::string_view meta_output_key = "output";        // OutputState

// Table::last_vote value: the last vote sent to an author: the header's round and digest, and
// (since the header-time and evidence rules) its created_at_ms and its author's signature. A
// record of the older form (round and digest only) decodes with has_header_fields false.
struct LastVoteRecord {
    Round round = 0;
    Digest header{};
    bool has_header_fields = false;
    uint64_t created_at_ms = 0;
    SignatureBytes header_signature{};
    void encode(codec::Writer& w) const;
    static Result<LastVoteRecord, codec::DecodeError> decode(codec::Reader& r);
};

// Table::sub_dags value.
struct SubDagRecord {
    Round leader_round = 0;
    Digest leader{};
    uint64_t timestamp_ms = 0;
    std::vector<Digest> certificates;  // commit order
    friend bool operator==(const SubDagRecord&, const SubDagRecord&) = default;
    void encode(codec::Writer& w) const;
    static Result<SubDagRecord, codec::DecodeError> decode(codec::Reader& r);
};

// Table::meta "output": the next sub-DAG to emit and the sequence of its first transaction.
struct OutputState {
    uint64_t next_index = 0;
    uint64_t next_sequence = 0;
    void encode(codec::Writer& w) const;
    static Result<OutputState, codec::DecodeError> decode(codec::Reader& r);
};

Bytes key_u32(uint32_t value);

}  // namespace fleek::consensus
