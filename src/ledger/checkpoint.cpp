#include "ledger/checkpoint.h"

#include <algorithm>

namespace fleek::ledger {

namespace {

bool key_less(ByteSpan a, ByteSpan b) { return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

CheckpointWriter::CheckpointWriter(const CheckpointHeader& header) {
    m_out.fixed(as_bytes(checkpoint_magic));
    m_out.u8(checkpoint_version);
    m_out.u64(header.chain_id);
    m_out.u64(header.epoch);
    m_out.u64(header.height);
    m_out.fixed(header.state_root);
    m_count_offset = m_out.size();
    m_out.u64(0);  // patched by finish()
}

void CheckpointWriter::add(ByteSpan key, ByteSpan value) {
    m_out.bytes(key, checkpoint_key_size_max);
    m_out.bytes(value, checkpoint_value_size_max);
    ++m_count;
}

Bytes CheckpointWriter::finish() {
    Bytes out = m_out.take();
    for (size_t i = 0; i < 8; ++i) out[m_count_offset + i] = static_cast<uint8_t>(m_count >> (8 * i));
    return out;
}

Bytes encode_checkpoint(const Checkpoint& checkpoint) {
    CheckpointWriter writer(checkpoint.header);
    for (const auto& [key, value] : checkpoint.entries) writer.add(key, value);
    return writer.finish();
}

Result<Checkpoint, codec::DecodeError> decode_checkpoint(ByteSpan bytes) {
    codec::Reader r(bytes);
    auto magic = r.fixed(checkpoint_magic.size());
    if (!magic) return fail(magic.error());
    if (!std::equal(magic->begin(), magic->end(), checkpoint_magic.begin())) return fail(codec::DecodeError::invalid_value);
    auto version = r.u8();
    if (!version) return fail(version.error());
    if (*version != checkpoint_version) return fail(codec::DecodeError::invalid_value);
    Checkpoint out;
    auto chain_id = r.u64();
    auto epoch = chain_id ? r.u64() : fail(chain_id.error());
    auto height = epoch ? r.u64() : fail(epoch.error());
    auto root = height ? r.array<32>() : fail(height.error());
    if (!root) return fail(root.error());
    out.header = CheckpointHeader{*chain_id, *epoch, *height, *root};
    auto count = r.u64();
    if (!count) return fail(count.error());
    // Each entry takes at least 8 bytes: refuse counts the input cannot hold before reserving.
    if (*count > r.remaining() / 8) return fail(codec::DecodeError::truncated);
    out.entries.reserve(static_cast<size_t>(*count));
    for (uint64_t i = 0; i < *count; ++i) {
        auto key = r.bytes(checkpoint_key_size_max);
        if (!key) return fail(key.error());
        auto value = r.bytes(checkpoint_value_size_max);
        if (!value) return fail(value.error());
        if (!out.entries.empty() && !key_less(out.entries.back().first, *key)) return fail(codec::DecodeError::invalid_value);
        out.entries.emplace_back(Bytes(key->begin(), key->end()), Bytes(value->begin(), value->end()));
    }
    if (auto done = r.finish(); !done) return fail(done.error());
    return out;
}

crypto::Hash32 checkpoint_hash(ByteSpan bytes) { return crypto::object_digest("checkpoint", bytes); }

}  // namespace fleek::ledger
