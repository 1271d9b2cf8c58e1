#include "origins/resolver_record.h"

#include <algorithm>

namespace fleek::origins {

namespace {

bool is_http_pointer_text(std::string_view text) {
    if (!text.starts_with("http://") && !text.starts_with("https://")) return false;
    // No control characters (a URL is percent-encoded; integrity lists are separated by spaces).
    return std::none_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

// A CID a resolver record may name: canonical (v1) UnixFS (dag-pb or raw).
Result<ipld::Cid, codec::DecodeError> read_cid(codec::Reader& reader) {
    auto bytes = reader.bytes(static_cast<uint32_t>(ipld::cid_size_max));
    if (!bytes) return fail(bytes.error());
    auto cid = ipld::Cid::from_bytes(*bytes);
    if (!cid || cid->version() != 1) return fail(codec::DecodeError::invalid_value);
    if (cid->codec() != ipld::multicodec::dag_pb && cid->codec() != ipld::multicodec::raw) {
        return fail(codec::DecodeError::invalid_value);
    }
    return *cid;
}

Result<std::string, codec::DecodeError> read_http_pointer(codec::Reader& reader) {
    auto text = reader.string(http_pointer_bytes_max);
    if (!text) return fail(text.error());
    if (!is_http_pointer_text(*text)) return fail(codec::DecodeError::invalid_value);
    return std::string(*text);
}

void write_body(codec::Writer& writer, const Resolution& resolution) {
    FLEEK_ASSERT(is_valid_resolution(resolution));
    if (const auto* ipfs = std::get_if<IpfsResolution>(&resolution)) {
        writer.tag(static_cast<uint8_t>(PointerKind::ipfs));
        writer.bytes(ipfs->cid.bytes(), static_cast<uint32_t>(ipld::cid_size_max));
        writer.tag(static_cast<uint8_t>(ipfs->kind));
        writer.fixed(ipfs->hash);
        writer.u64(ipfs->size);
        writer.fixed(ipfs->car);
        writer.u64(ipfs->car_size);
        return;
    }
    const auto& http = std::get<HttpResolution>(resolution);
    writer.tag(static_cast<uint8_t>(PointerKind::http));
    writer.string(http.pointer, http_pointer_bytes_max);
    writer.fixed(http.hash);
    writer.u64(http.size);
}

Result<Resolution, codec::DecodeError> read_body(codec::Reader& reader) {
    auto kind = reader.tag(pointer_kind_count);
    if (!kind) return fail(kind.error());
    if (static_cast<PointerKind>(*kind) == PointerKind::ipfs) {
        IpfsResolution ipfs;
        auto cid = read_cid(reader);
        if (!cid) return fail(cid.error());
        ipfs.cid = std::move(*cid);
        auto resolved = reader.tag(2);  // file or directory: a symlink is never a root
        if (!resolved) return fail(resolved.error());
        ipfs.kind = static_cast<ResolvedKind>(*resolved);
        if (ipfs.cid.codec() == ipld::multicodec::raw && ipfs.kind != ResolvedKind::file) return fail(codec::DecodeError::invalid_value);
        auto hash = reader.array<32>();
        if (!hash) return fail(hash.error());
        ipfs.hash = *hash;
        auto size = reader.u64();
        if (!size) return fail(size.error());
        ipfs.size = *size;
        auto car = reader.array<32>();
        if (!car) return fail(car.error());
        ipfs.car = *car;
        auto car_size = reader.u64();
        if (!car_size) return fail(car_size.error());
        if (*car_size == 0) return fail(codec::DecodeError::invalid_value);
        ipfs.car_size = *car_size;
        return Resolution(std::move(ipfs));
    }
    HttpResolution http;
    auto pointer = read_http_pointer(reader);
    if (!pointer) return fail(pointer.error());
    http.pointer = std::move(*pointer);
    auto hash = reader.array<32>();
    if (!hash) return fail(hash.error());
    http.hash = *hash;
    auto size = reader.u64();
    if (!size) return fail(size.error());
    http.size = *size;
    return Resolution(std::move(http));
}

void write_signed_part(codec::Writer& writer, const crypto::NodePublicKey& originator, uint64_t resolved_at_ms, const Resolution& resolution) {
    writer.u8(resolver_record_version);
    writer.fixed(originator.bytes());
    writer.u64(resolved_at_ms);
    write_body(writer, resolution);
}

}  // namespace

std::string_view to_string(ResolverRecordError error) noexcept {
    switch (error) {
        case ResolverRecordError::malformed: return "malformed";
        case ResolverRecordError::wrong_origin: return "wrong origin";
        case ResolverRecordError::unknown_originator: return "unknown originator";
        case ResolverRecordError::bad_signature: return "bad signature";
        case ResolverRecordError::from_the_future: return "resolved in the future";
        case ResolverRecordError::wrong_pointer: return "record of another pointer";
        case ResolverRecordError::storage: return "resolver store failed";
        case ResolverRecordError::unrepresentable: return "cannot be put in a record";
    }
    return "unknown";
}

bool is_valid_resolution(const Resolution& resolution) {
    if (const auto* ipfs = std::get_if<IpfsResolution>(&resolution)) {
        const uint64_t codec = ipfs->cid.codec();
        if (ipfs->cid.empty() || ipfs->cid.version() != 1) return false;
        if (codec != ipld::multicodec::dag_pb && codec != ipld::multicodec::raw) return false;
        if (ipfs->kind == ResolvedKind::symlink) return false;
        if (codec == ipld::multicodec::raw && ipfs->kind != ResolvedKind::file) return false;
        return ipfs->car_size > 0;
    }
    const auto& pointer = std::get<HttpResolution>(resolution).pointer;
    return pointer.size() <= http_pointer_bytes_max && codec::is_valid_utf8(pointer) && is_http_pointer_text(pointer);
}

// ---- pointers ----------------------------------------------------------------------------------

ResolverPointer ResolverPointer::ipfs(const ipld::Cid& cid) { return ResolverPointer{PointerKind::ipfs, cid.to_v1().bytes()}; }

Result<ResolverPointer, codec::DecodeError> ResolverPointer::http(std::string_view pointer) {
    if (pointer.size() > http_pointer_bytes_max) return fail(codec::DecodeError::length_too_large);
    if (!codec::is_valid_utf8(pointer)) return fail(codec::DecodeError::invalid_utf8);
    if (!is_http_pointer_text(pointer)) return fail(codec::DecodeError::invalid_value);
    return ResolverPointer{PointerKind::http, to_bytes(pointer)};
}

Bytes ResolverPointer::key() const { return codec::encode(*this); }

void ResolverPointer::encode(codec::Writer& writer) const {
    writer.tag(static_cast<uint8_t>(kind));
    writer.bytes(value, kind == PointerKind::ipfs ? static_cast<uint32_t>(ipld::cid_size_max) : http_pointer_bytes_max);
}

Result<ResolverPointer, codec::DecodeError> ResolverPointer::decode(codec::Reader& reader) {
    auto kind = reader.tag(pointer_kind_count);
    if (!kind) return fail(kind.error());
    if (static_cast<PointerKind>(*kind) == PointerKind::ipfs) {
        auto cid = read_cid(reader);
        if (!cid) return fail(cid.error());
        return ResolverPointer{PointerKind::ipfs, cid->bytes()};
    }
    auto text = read_http_pointer(reader);
    if (!text) return fail(text.error());
    return ResolverPointer{PointerKind::http, to_bytes(*text)};
}

// ---- records -----------------------------------------------------------------------------------

ResolverRecord ResolverRecord::sign(const crypto::NodeSecretKey& key, uint64_t resolved_at_ms, Resolution resolution) {
    codec::Writer writer;
    write_signed_part(writer, key.public_key(), resolved_at_ms, resolution);
    const auto digest = crypto::object_digest(resolver_record_object, writer.view());
    return ResolverRecord{key.public_key(), resolved_at_ms, std::move(resolution), key.sign(digest)};
}

ResolverPointer ResolverRecord::pointer() const {
    if (const auto* ipfs = std::get_if<IpfsResolution>(&resolution)) return ResolverPointer{PointerKind::ipfs, ipfs->cid.bytes()};
    return ResolverPointer{PointerKind::http, to_bytes(std::get<HttpResolution>(resolution).pointer)};
}

const Hash32& ResolverRecord::hash() const {
    return std::visit([](const auto& value) -> const Hash32& { return value.hash; }, resolution);
}

uint64_t ResolverRecord::size() const {
    return std::visit([](const auto& value) { return value.size; }, resolution);
}

Bytes ResolverRecord::signed_encoding() const {
    codec::Writer writer;
    write_signed_part(writer, originator, resolved_at_ms, resolution);
    return writer.take();
}

crypto::Hash32 ResolverRecord::digest() const { return crypto::object_digest(resolver_record_object, signed_encoding()); }

bool ResolverRecord::verify() const { return originator.verify(digest(), signature); }

void ResolverRecord::encode(codec::Writer& writer) const {
    write_signed_part(writer, originator, resolved_at_ms, resolution);
    writer.fixed(signature.bytes());
}

Result<ResolverRecord, codec::DecodeError> ResolverRecord::decode(codec::Reader& reader) {
    auto version = reader.u8();
    if (!version) return fail(version.error());
    if (*version != resolver_record_version) return fail(codec::DecodeError::unknown_tag);
    auto originator_bytes = reader.fixed(crypto::ed25519::public_key_size);
    if (!originator_bytes) return fail(originator_bytes.error());
    auto originator = crypto::NodePublicKey::from_bytes(*originator_bytes);
    if (!originator) return fail(codec::DecodeError::invalid_value);
    auto resolved_at_ms = reader.u64();
    if (!resolved_at_ms) return fail(resolved_at_ms.error());
    auto resolution = read_body(reader);
    if (!resolution) return fail(resolution.error());
    auto signature_bytes = reader.fixed(crypto::ed25519::signature_size);
    if (!signature_bytes) return fail(signature_bytes.error());
    auto signature = crypto::NodeSignature::from_bytes(*signature_bytes);
    if (!signature) return fail(codec::DecodeError::invalid_value);
    return ResolverRecord{*originator, *resolved_at_ms, std::move(*resolution), *signature};
}

Result<VerifiedResolverRecord, ResolverRecordError> verify_resolver_record(ResolverRecord record, const NodeKeyCheck& is_registered,
                                                                           uint64_t now_ms, uint64_t clock_skew_max_ms) {
    if (record.resolved_at_ms > now_ms && record.resolved_at_ms - now_ms > clock_skew_max_ms) {
        return fail(ResolverRecordError::from_the_future);
    }
    if (!is_registered(record.originator)) return fail(ResolverRecordError::unknown_originator);
    if (!record.verify()) return fail(ResolverRecordError::bad_signature);
    return VerifiedResolverRecord(std::move(record));
}

Result<VerifiedResolverRecord, ResolverRecordError> sign_resolver_record(const crypto::NodeSecretKey& key, uint64_t resolved_at_ms,
                                                                         Resolution resolution) {
    if (auto* ipfs = std::get_if<IpfsResolution>(&resolution); ipfs != nullptr && !ipfs->cid.empty()) ipfs->cid = ipfs->cid.to_v1();
    if (!is_valid_resolution(resolution)) return fail(ResolverRecordError::unrepresentable);
    return VerifiedResolverRecord(ResolverRecord::sign(key, resolved_at_ms, std::move(resolution)));
}

// ---- query and answer --------------------------------------------------------------------------

Result<ResolverQuery, codec::DecodeError> ResolverQuery::decode(codec::Reader& reader) {
    auto pointer = ResolverPointer::decode(reader);
    if (!pointer) return fail(pointer.error());
    return ResolverQuery{std::move(*pointer)};
}

void ResolverAnswer::encode(codec::Writer& writer) const {
    pointer.encode(writer);
    writer.sequence(std::span<const ResolverRecord>(records), resolver_answer_records_max,
                    [](codec::Writer& w, const ResolverRecord& record) { record.encode(w); });
}

Result<ResolverAnswer, codec::DecodeError> ResolverAnswer::decode(codec::Reader& reader) {
    auto pointer = ResolverPointer::decode(reader);
    if (!pointer) return fail(pointer.error());
    // No record is smaller: version, originator, time, kind, a length and one byte, hash, size,
    // signature.
    constexpr size_t record_size_min = 1 + 32 + 8 + 1 + 4 + 1 + 32 + 8 + 64;
    auto count = reader.count(resolver_answer_records_max, record_size_min);
    if (!count) return fail(count.error());
    ResolverAnswer answer{std::move(*pointer), {}};
    answer.records.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        auto record = ResolverRecord::decode(reader);
        if (!record) return fail(record.error());
        answer.records.push_back(std::move(*record));
    }
    return answer;
}

}  // namespace fleek::origins
