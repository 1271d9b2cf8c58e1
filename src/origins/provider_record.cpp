#include "origins/provider_record.h"

#include <algorithm>

namespace fleek::origins {

namespace {

void write_signed_part(codec::Writer& writer, const crypto::NodePublicKey& provider, const crypto::Hash32& content,
                       uint64_t sequence, ProviderAction action, uint64_t expires_at_ms) {
    writer.u8(provider_record_version);
    writer.fixed(provider.bytes());
    writer.fixed(content);
    writer.u64(sequence);
    writer.tag(static_cast<uint8_t>(action));
    writer.u64(expires_at_ms);
}

Result<crypto::NodePublicKey, codec::DecodeError> read_node_key(codec::Reader& reader) {
    auto bytes = reader.fixed(crypto::ed25519::public_key_size);
    if (!bytes) return fail(bytes.error());
    auto key = crypto::NodePublicKey::from_bytes(*bytes);
    if (!key) return fail(codec::DecodeError::invalid_value);
    return *key;
}

void write_key(codec::Writer& writer, const ProviderKey& key) { writer.fixed(key); }

Result<std::optional<ProviderKey>, codec::DecodeError> read_optional_key(codec::Reader& reader) {
    auto present = reader.optional_present();
    if (!present) return fail(present.error());
    if (!*present) return std::optional<ProviderKey>();
    auto key = reader.array<64>();
    if (!key) return fail(key.error());
    return std::optional<ProviderKey>(*key);
}

Result<std::vector<ProviderRecord>, codec::DecodeError> read_records(codec::Reader& reader, uint32_t max_count) {
    auto count = reader.count(max_count, provider_record_size);
    if (!count) return fail(count.error());
    std::vector<ProviderRecord> records;
    records.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        auto record = ProviderRecord::decode(reader);
        if (!record) return fail(record.error());
        records.push_back(std::move(*record));
    }
    return records;
}

void write_records(codec::Writer& writer, std::span<const ProviderRecord> records, uint32_t max_count) {
    writer.sequence(records, max_count, [](codec::Writer& w, const ProviderRecord& record) { record.encode(w); });
}

}  // namespace

std::string_view to_string(ProviderAction action) noexcept {
    switch (action) {
        case ProviderAction::announce: return "announce";
        case ProviderAction::withdraw: return "withdraw";
    }
    return "unknown";
}

ProviderKey provider_key(const crypto::Hash32& content, const crypto::NodePublicKey& provider) {
    ProviderKey key{};
    std::copy(content.begin(), content.end(), key.begin());
    std::copy(provider.bytes().begin(), provider.bytes().end(), key.begin() + 32);
    return key;
}

ProviderRecord ProviderRecord::sign(const crypto::NodeSecretKey& key, const crypto::Hash32& content, uint64_t sequence,
                                    ProviderAction action, uint64_t expires_at_ms) {
    codec::Writer writer(provider_record_size);
    write_signed_part(writer, key.public_key(), content, sequence, action, expires_at_ms);
    const auto digest = crypto::object_digest(provider_record_object, writer.view());
    return ProviderRecord{key.public_key(), content, sequence, action, expires_at_ms, key.sign(digest)};
}

Bytes ProviderRecord::signed_encoding() const {
    codec::Writer writer(provider_record_size);
    write_signed_part(writer, provider, content, sequence, action, expires_at_ms);
    return writer.take();
}

crypto::Hash32 ProviderRecord::digest() const { return crypto::object_digest(provider_record_object, signed_encoding()); }

bool ProviderRecord::verify() const { return provider.verify(digest(), signature); }

ProviderKey ProviderRecord::key() const { return provider_key(content, provider); }

void ProviderRecord::encode(codec::Writer& writer) const {
    write_signed_part(writer, provider, content, sequence, action, expires_at_ms);
    writer.fixed(signature.bytes());
}

Result<ProviderRecord, codec::DecodeError> ProviderRecord::decode(codec::Reader& reader) {
    auto version = reader.u8();
    if (!version) return fail(version.error());
    if (*version != provider_record_version) return fail(codec::DecodeError::unknown_tag);
    auto provider = read_node_key(reader);
    if (!provider) return fail(provider.error());
    auto content = reader.array<32>();
    if (!content) return fail(content.error());
    auto sequence = reader.u64();
    if (!sequence) return fail(sequence.error());
    auto action = reader.tag(provider_action_count);
    if (!action) return fail(action.error());
    auto expires = reader.u64();
    if (!expires) return fail(expires.error());
    auto signature_bytes = reader.fixed(crypto::ed25519::signature_size);
    if (!signature_bytes) return fail(signature_bytes.error());
    auto signature = crypto::NodeSignature::from_bytes(*signature_bytes);
    if (!signature) return fail(codec::DecodeError::invalid_value);
    return ProviderRecord{*provider, *content, *sequence, static_cast<ProviderAction>(*action), *expires, *signature};
}

Bytes encode_provider_batch(std::span<const ProviderRecord> records) {
    FLEEK_ASSERT(!records.empty() && records.size() <= provider_batch_records_max);
    codec::Writer writer(4 + records.size() * provider_record_size);
    write_records(writer, records, provider_batch_records_max);
    return writer.take();
}

Result<std::vector<ProviderRecord>, codec::DecodeError> decode_provider_batch(ByteSpan payload) {
    codec::Reader reader(payload);
    auto records = read_records(reader, provider_batch_records_max);
    if (!records) return fail(records.error());
    if (records->empty()) return fail(codec::DecodeError::invalid_value);
    if (auto done = reader.finish(); !done) return fail(done.error());
    return records;
}

std::vector<Bytes> provider_batches(std::span<const ProviderRecord> records) {
    std::vector<Bytes> batches;
    for (size_t first = 0; first < records.size(); first += provider_batch_records_max) {
        const size_t count = std::min<size_t>(provider_batch_records_max, records.size() - first);
        batches.push_back(encode_provider_batch(records.subspan(first, count)));
    }
    return batches;
}

void ProviderSnapshotRequest::encode(codec::Writer& writer) const {
    FLEEK_ASSERT(max_records >= 1 && max_records <= provider_page_records_max);
    writer.optional(after, write_key);
    writer.u32(max_records);
}

Result<ProviderSnapshotRequest, codec::DecodeError> ProviderSnapshotRequest::decode(codec::Reader& reader) {
    auto after = read_optional_key(reader);
    if (!after) return fail(after.error());
    auto max_records = reader.u32();
    if (!max_records) return fail(max_records.error());
    if (*max_records == 0 || *max_records > provider_page_records_max) return fail(codec::DecodeError::invalid_value);
    return ProviderSnapshotRequest{*after, *max_records};
}

void ProviderSnapshotPage::encode(codec::Writer& writer) const {
    writer.optional(after, write_key);
    write_records(writer, records, provider_page_records_max);
    writer.optional(next, write_key);
}

Result<ProviderSnapshotPage, codec::DecodeError> ProviderSnapshotPage::decode(codec::Reader& reader) {
    auto after = read_optional_key(reader);
    if (!after) return fail(after.error());
    auto records = read_records(reader, provider_page_records_max);
    if (!records) return fail(records.error());
    auto next = read_optional_key(reader);
    if (!next) return fail(next.error());
    return ProviderSnapshotPage{*after, std::move(*records), *next};
}

}  // namespace fleek::origins
