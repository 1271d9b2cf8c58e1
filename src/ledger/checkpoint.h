// Checkpoints: the whole ledger state at an epoch change, as one file (docs/formats/checkpoint.md).
//
//   "FLEEKCKP" ‖ version u8 (1) ‖ chain_id u64 ‖ epoch u64 ‖ height u64 ‖ state_root [32]
//   ‖ entry_count u64 ‖ entries (key: u32 length ‖ bytes, value: u32 length ‖ bytes)
//
// Entries are every key → value of the state in strictly increasing key order; the state tree
// is not included (it is a function of the entries). hash = object_digest("checkpoint", bytes).
// Restoring rebuilds the tree and accepts the checkpoint only if its root equals state_root.
#pragma once

#include "codec/codec.h"
#include "crypto/hash.h"
#include "util/bytes.h"

#include <string_view>
#include <utility>
#include <vector>

namespace fleek::ledger {

inline constexpr std::string_view checkpoint_magic = "FLEEKCKP";
inline constexpr uint8_t checkpoint_version = 1;
inline constexpr uint32_t checkpoint_key_size_max = 256;
inline constexpr uint32_t checkpoint_value_size_max = 8 << 20;

struct CheckpointHeader {
    uint64_t chain_id = 0;
    uint64_t epoch = 0;
    uint64_t height = 0;
    crypto::Hash32 state_root{};
    friend bool operator==(const CheckpointHeader&, const CheckpointHeader&) = default;
};

struct Checkpoint {
    CheckpointHeader header;
    std::vector<std::pair<Bytes, Bytes>> entries;  // strictly increasing keys
    friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// Serializes entries as they are appended (in key order).
class CheckpointWriter {
public:
    explicit CheckpointWriter(const CheckpointHeader& header);
    void add(ByteSpan key, ByteSpan value);
    Bytes finish();

private:
    codec::Writer m_out;
    size_t m_count_offset = 0;
    uint64_t m_count = 0;
};

Bytes encode_checkpoint(const Checkpoint& checkpoint);
// Strict: wrong magic or version, unsorted or duplicate keys, a count that does not match the
// entries, over-long fields and trailing bytes are refused.
Result<Checkpoint, codec::DecodeError> decode_checkpoint(ByteSpan bytes);
crypto::Hash32 checkpoint_hash(ByteSpan bytes);

}  // namespace fleek::ledger
