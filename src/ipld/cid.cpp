#include "ipld/cid.h"

#include "crypto/hash.h"
#include "util/assert.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace fleek::ipld {

std::string multicodec_name(uint64_t code) {
    switch (code) {
        case multicodec::identity: return "identity";
        case multicodec::sha2_256: return "sha2-256";
        case multicodec::sha2_512: return "sha2-512";
        case multicodec::blake3: return "blake3";
        case multicodec::murmur3_x64_64: return "murmur3-x64-64";
        case multicodec::raw: return "raw";
        case multicodec::dag_pb: return "dag-pb";
        case multicodec::dag_cbor: return "dag-cbor";
        case multicodec::libp2p_key: return "libp2p-key";
        case multicodec::dag_json: return "dag-json";
        case multicodec::blake2b_256: return "blake2b-256";
        default: return fmt::format("0x{:x}", code);
    }
}

std::string_view to_string(CidError error) noexcept {
    switch (error) {
        case CidError::empty: return "empty CID";
        case CidError::truncated: return "truncated CID";
        case CidError::invalid_varint: return "invalid varint in CID";
        case CidError::unsupported_version: return "unsupported CID version";
        case CidError::digest_too_long: return "multihash digest too long";
        case CidError::wrong_digest_size: return "multihash digest has the wrong size for its hash function";
        case CidError::trailing_bytes: return "bytes after the CID";
        case CidError::invalid_multibase: return "invalid characters for the CID's multibase";
        case CidError::unsupported_multibase: return "unsupported multibase prefix";
        case CidError::invalid_cidv0: return "invalid CIDv0";
        case CidError::not_convertible_to_v0: return "only dag-pb sha2-256 CIDs have a version 0 form";
    }
    return "unknown CID error";
}

bool is_supported_hash(uint64_t code) noexcept {
    return code == multicodec::identity || code == multicodec::sha2_256 || code == multicodec::sha2_512 ||
           code == multicodec::blake3 || code == multicodec::blake2b_256;
}

namespace {

// The digest size a hash function requires, 0 when any size is allowed.
size_t required_digest_size(uint64_t code) noexcept {
    switch (code) {
        case multicodec::sha2_256: return 32;
        case multicodec::sha2_512: return 64;
        case multicodec::blake2b_256: return 32;
        default: return 0;
    }
}

Result<VarintDecoded, CidError> read_varint(ByteSpan bytes) {
    auto decoded = varint_decode(bytes);
    if (!decoded) return fail(decoded.error() == EncodingError::truncated ? CidError::truncated : CidError::invalid_varint);
    return *decoded;
}

Bytes digest_of(uint64_t code, ByteSpan data, size_t digest_size) {
    switch (code) {
        case multicodec::identity: return Bytes(data.begin(), data.end());
        case multicodec::sha2_256: {
            const auto digest = crypto::sha256(data);
            return Bytes(digest.begin(), digest.end());
        }
        case multicodec::sha2_512: {
            const auto digest = crypto::sha512(data);
            return Bytes(digest.begin(), digest.end());
        }
        case multicodec::blake2b_256: {
            const auto digest = crypto::blake2b_256(data);
            return Bytes(digest.begin(), digest.end());
        }
        case multicodec::blake3: {
            Bytes out(digest_size);
            crypto::Blake3Hasher().update(data).finalize_xof(out);
            return out;
        }
        default: break;
    }
    FLEEK_ASSERT(false && "unsupported hash function");
    return {};
}

}  // namespace

Result<MultihashView, CidError> read_multihash(ByteSpan bytes) {
    auto code = read_varint(bytes);
    if (!code) return fail(code.error());
    auto size = read_varint(bytes.subspan(code->size));
    if (!size) return fail(size.error());
    const uint64_t limit = code->value == multicodec::identity ? identity_digest_size_max : digest_size_max;
    if (size->value > limit) return fail(CidError::digest_too_long);
    const size_t required = required_digest_size(code->value);
    if (required != 0 && size->value != required) return fail(CidError::wrong_digest_size);
    if (code->value == multicodec::blake3 && size->value == 0) return fail(CidError::wrong_digest_size);
    const size_t header = code->size + size->size;
    if (bytes.size() - header < size->value) return fail(CidError::truncated);
    return MultihashView{code->value, bytes.subspan(header, static_cast<size_t>(size->value)),
                         header + static_cast<size_t>(size->value)};
}

Bytes multihash_of(uint64_t code, ByteSpan data, size_t digest_size) {
    FLEEK_ASSERT(is_supported_hash(code));
    const Bytes digest = digest_of(code, data, digest_size);
    Bytes out;
    out.reserve(digest.size() + 4);
    varint_append(out, code);
    varint_append(out, digest.size());
    out.insert(out.end(), digest.begin(), digest.end());
    return out;
}

Cid Cid::v0(ByteSpan sha256_digest) {
    FLEEK_ASSERT(sha256_digest.size() == 32);
    Bytes bytes{0x12, 0x20};
    bytes.insert(bytes.end(), sha256_digest.begin(), sha256_digest.end());
    return from_bytes(bytes).value();
}

Cid Cid::v1(uint64_t codec, uint64_t hash_code, ByteSpan digest) {
    Bytes bytes;
    bytes.reserve(digest.size() + 8);
    varint_append(bytes, 1);
    varint_append(bytes, codec);
    varint_append(bytes, hash_code);
    varint_append(bytes, digest.size());
    bytes.insert(bytes.end(), digest.begin(), digest.end());
    auto cid = from_bytes(bytes);
    FLEEK_ASSERT(cid.has_value());
    return std::move(*cid);
}

Cid Cid::of(uint64_t codec, ByteSpan block, uint64_t hash_code) {
    const Bytes digest = digest_of(hash_code, block, 32);
    return v1(codec, hash_code, digest);
}

Cid Cid::with_same_prefix(ByteSpan block) const {
    FLEEK_ASSERT(is_supported_hash(m_hash_code));
    const Bytes digest = digest_of(m_hash_code, block, this->digest().size());
    if (m_version == 0) return v0(digest);
    return v1(m_codec, m_hash_code, digest);
}

Result<Cid::Prefixed, CidError> Cid::read_prefix(ByteSpan bytes) {
    if (bytes.empty()) return fail(CidError::empty);
    Cid cid;
    if (bytes.size() >= 2 && bytes[0] == 0x12 && bytes[1] == 0x20) {
        if (bytes.size() < 34) return fail(CidError::truncated);
        cid.m_bytes.assign(bytes.begin(), bytes.begin() + 34);
        cid.m_version = 0;
        cid.m_codec = multicodec::dag_pb;
        cid.m_hash_code = multicodec::sha2_256;
        cid.m_multihash_offset = 0;
        cid.m_digest_offset = 2;
        return Prefixed{std::move(cid), 34};
    }
    auto version = read_varint(bytes);
    if (!version) return fail(version.error());
    if (version->value != 1) return fail(CidError::unsupported_version);
    size_t offset = version->size;
    auto codec = read_varint(bytes.subspan(offset));
    if (!codec) return fail(codec.error());
    offset += codec->size;
    auto multihash = read_multihash(bytes.subspan(offset));
    if (!multihash) return fail(multihash.error());
    cid.m_version = 1;
    cid.m_codec = codec->value;
    cid.m_hash_code = multihash->code;
    cid.m_multihash_offset = static_cast<uint32_t>(offset);
    cid.m_digest_offset = static_cast<uint32_t>(offset + multihash->size - multihash->digest.size());
    const size_t total = offset + multihash->size;
    cid.m_bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(total));
    return Prefixed{std::move(cid), total};
}

Result<Cid, CidError> Cid::from_bytes(ByteSpan bytes) {
    auto prefixed = read_prefix(bytes);
    if (!prefixed) return fail(prefixed.error());
    if (prefixed->size != bytes.size()) return fail(CidError::trailing_bytes);
    return std::move(prefixed->cid);
}

Result<Cid, CidError> Cid::parse(std::string_view text) {
    if (text.empty()) return fail(CidError::empty);
    if (text.size() == 46 && text.starts_with("Qm")) {
        auto bytes = base58_decode(text);
        if (!bytes || bytes->size() != 34 || (*bytes)[0] != 0x12 || (*bytes)[1] != 0x20) return fail(CidError::invalid_cidv0);
        return from_bytes(*bytes);
    }
    if (text.size() > 2 * cid_size_max + 1) return fail(CidError::invalid_multibase);
    const char prefix = text[0];
    std::string body(text.substr(1));
    Result<Bytes, EncodingError> bytes = fail(EncodingError::invalid_character);
    switch (prefix) {
        case 'b': bytes = base32_decode(body); break;
        case 'B':
            for (char& c : body) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            bytes = base32_decode(body);
            break;
        case 'z': bytes = base58_decode(body); break;
        case 'k': bytes = base36_decode(body); break;
        case 'K':
            for (char& c : body) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            bytes = base36_decode(body);
            break;
        case 'f':
        case 'F':
            // hex_decode takes both cases; reject mixed case within the lower/upper variants.
            for (const char c : body) {
                const bool upper = c >= 'A' && c <= 'F';
                const bool lower = c >= 'a' && c <= 'f';
                if ((prefix == 'f' && upper) || (prefix == 'F' && lower)) return fail(CidError::invalid_multibase);
            }
            bytes = hex_decode(body);
            break;
        default: return fail(CidError::unsupported_multibase);
    }
    if (!bytes) return fail(CidError::invalid_multibase);
    auto cid = from_bytes(*bytes);
    if (!cid) return fail(cid.error());
    // A CIDv0 must be written in its own form, not behind a multibase prefix.
    if (cid->version() == 0) return fail(CidError::unsupported_version);
    return cid;
}

std::string Cid::to_string() const { return to_string(m_version == 0 ? Multibase::base58btc : Multibase::base32); }

std::string Cid::to_string(Multibase base) const {
    if (m_version == 0 && base == Multibase::base58btc) return base58_encode(m_bytes);
    const Bytes& bytes = m_bytes;
    switch (base) {
        case Multibase::base32: return "b" + base32_encode(bytes);
        case Multibase::base58btc: return "z" + base58_encode(bytes);
        case Multibase::base36: return "k" + base36_encode(bytes);
        case Multibase::base16: return "f" + hex_encode(bytes);
    }
    return {};
}

Result<Cid, CidError> Cid::to_v0() const {
    if (m_version == 0) return *this;
    if (m_codec != multicodec::dag_pb || m_hash_code != multicodec::sha2_256) return fail(CidError::not_convertible_to_v0);
    return v0(digest());
}

Cid Cid::to_v1() const {
    if (m_version == 1) return *this;
    return v1(m_codec, m_hash_code, digest());
}

bool Cid::verify(ByteSpan block) const {
    if (m_bytes.empty() || !is_supported_hash(m_hash_code)) return false;
    const ByteSpan expected = digest();
    if (m_hash_code == multicodec::identity) return std::equal(block.begin(), block.end(), expected.begin(), expected.end());
    const Bytes actual = digest_of(m_hash_code, block, expected.size());
    return std::equal(actual.begin(), actual.end(), expected.begin(), expected.end());
}

}  // namespace fleek::ipld
