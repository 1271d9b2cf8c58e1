#include "ipld/car.h"

#include "util/encoding.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace fleek::ipld {

std::string_view to_string(CarErrorCode code) noexcept {
    switch (code) {
        case CarErrorCode::truncated: return "truncated CAR";
        case CarErrorCode::invalid_varint: return "invalid varint";
        case CarErrorCode::header_too_large: return "CAR header too large";
        case CarErrorCode::invalid_header: return "invalid CAR header";
        case CarErrorCode::unsupported_version: return "unsupported CAR version";
        case CarErrorCode::zero_length_section: return "zero-length section";
        case CarErrorCode::section_too_large: return "section too large";
        case CarErrorCode::invalid_cid: return "invalid CID in section";
        case CarErrorCode::unverifiable_block: return "block with a hash function we cannot verify";
        case CarErrorCode::hash_mismatch: return "block does not match its CID";
        case CarErrorCode::invalid_v2_header: return "invalid CARv2 header";
        case CarErrorCode::invalid_index: return "invalid CARv2 index";
        case CarErrorCode::index_mismatch: return "CARv2 index does not match the data";
        case CarErrorCode::too_many_blocks: return "too many blocks";
        case CarErrorCode::too_much_data: return "too much data";
        case CarErrorCode::stopped: return "reading stopped";
    }
    return "unknown CAR error";
}

std::string CarError::message() const {
    if (detail.empty()) return fmt::format("{} at byte {}", to_string(code), offset);
    return fmt::format("{} at byte {}: {}", to_string(code), offset, detail);
}

namespace {

CarError car_error(CarErrorCode code, uint64_t offset, std::string detail = {}) { return CarError{code, offset, std::move(detail)}; }

// ------------------------------------------------------------------------------ DAG-CBOR subset

struct CborHead {
    uint8_t major;
    uint64_t value;
};

// Reads one head with DAG-CBOR's rules: minimal length encoding, no indefinite lengths.
class CborReader {
public:
    explicit CborReader(ByteSpan bytes) : m_bytes(bytes) {}
    bool done() const { return m_offset == m_bytes.size(); }

    std::optional<CborHead> head() {
        if (m_offset >= m_bytes.size()) return std::nullopt;
        const uint8_t first = m_bytes[m_offset++];
        const uint8_t major = first >> 5;
        const uint8_t info = first & 31;
        if (info < 24) return CborHead{major, info};
        size_t width = 0;
        switch (info) {
            case 24: width = 1; break;
            case 25: width = 2; break;
            case 26: width = 4; break;
            case 27: width = 8; break;
            default: return std::nullopt;  // indefinite lengths and reserved values
        }
        if (m_bytes.size() - m_offset < width) return std::nullopt;
        uint64_t value = 0;
        for (size_t i = 0; i < width; ++i) value = (value << 8) | m_bytes[m_offset++];
        // Minimal: the value needed this width.
        const uint64_t floor = width == 1 ? 24 : width == 2 ? 0x100 : width == 4 ? 0x10000 : 0x100000000ULL;
        if (value < floor) return std::nullopt;
        return CborHead{major, value};
    }

    std::optional<ByteSpan> take(uint64_t size) {
        if (size > m_bytes.size() - m_offset) return std::nullopt;
        const ByteSpan out = m_bytes.subspan(m_offset, static_cast<size_t>(size));
        m_offset += static_cast<size_t>(size);
        return out;
    }

private:
    ByteSpan m_bytes;
    size_t m_offset = 0;
};

void append_cbor_head(Bytes& out, uint8_t major, uint64_t value) {
    const uint8_t m = static_cast<uint8_t>(major << 5);
    if (value < 24) {
        out.push_back(static_cast<uint8_t>(m | value));
    } else if (value <= 0xff) {
        out.push_back(m | 24);
        out.push_back(static_cast<uint8_t>(value));
    } else if (value <= 0xffff) {
        out.push_back(m | 25);
        for (int i = 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    } else if (value <= 0xffffffffULL) {
        out.push_back(m | 26);
        for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    } else {
        out.push_back(m | 27);
        for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    }
}

void append_cbor_text(Bytes& out, std::string_view text) {
    append_cbor_head(out, 3, text.size());
    out.insert(out.end(), text.begin(), text.end());
}

uint64_t read_le64(const uint8_t* p) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
    return value;
}

uint32_t read_le32(const uint8_t* p) {
    uint32_t value = 0;
    for (int i = 3; i >= 0; --i) value = (value << 8) | p[i];
    return value;
}

}  // namespace

Bytes encode_car_header(const CarHeader& header) {
    Bytes out;
    if (header.version == 2) {
        // The CARv2 pragma: {"version": 2}, no roots.
        append_cbor_head(out, 5, 1);
        append_cbor_text(out, "version");
        append_cbor_head(out, 0, 2);
        return out;
    }
    append_cbor_head(out, 5, 2);
    append_cbor_text(out, "roots");
    append_cbor_head(out, 4, header.roots.size());
    for (const Cid& root : header.roots) {
        append_cbor_head(out, 6, 42);
        append_cbor_head(out, 2, root.bytes().size() + 1);
        out.push_back(0x00);  // the identity multibase prefix DAG-CBOR links carry
        out.insert(out.end(), root.bytes().begin(), root.bytes().end());
    }
    append_cbor_text(out, "version");
    append_cbor_head(out, 0, header.version);
    return out;
}

Result<CarHeader, CarError> decode_car_header(ByteSpan bytes) {
    const auto invalid = [](std::string detail) { return fail(car_error(CarErrorCode::invalid_header, 0, std::move(detail))); };
    CborReader reader(bytes);
    auto map = reader.head();
    if (!map || map->major != 5) return invalid("the header is not a DAG-CBOR map");
    if (map->value > 2) return invalid("the header has keys other than roots and version");
    CarHeader header;
    std::optional<uint64_t> version;
    bool has_roots = false;
    for (uint64_t i = 0; i < map->value; ++i) {
        auto key = reader.head();
        if (!key || key->major != 3) return invalid("a header key is not a text string");
        auto name = reader.take(key->value);
        if (!name) return invalid("truncated header key");
        const std::string_view key_name = as_string_view(*name);
        if (key_name == "version") {
            if (version) return invalid("version appears twice");
            auto value = reader.head();
            if (!value || value->major != 0) return invalid("version is not an unsigned integer");
            version = value->value;
        } else if (key_name == "roots") {
            if (has_roots) return invalid("roots appears twice");
            has_roots = true;
            auto array = reader.head();
            if (!array || array->major != 4) return invalid("roots is not an array");
            if (array->value > 1024) return invalid("more than 1024 roots");
            for (uint64_t r = 0; r < array->value; ++r) {
                auto tag = reader.head();
                if (!tag || tag->major != 6 || tag->value != 42) return invalid("a root is not a CID (CBOR tag 42)");
                auto string = reader.head();
                if (!string || string->major != 2) return invalid("a root CID is not a byte string");
                auto cid_bytes = reader.take(string->value);
                if (!cid_bytes || cid_bytes->empty() || (*cid_bytes)[0] != 0x00) {
                    return invalid("a root CID lacks its 0x00 multibase prefix");
                }
                auto cid = Cid::from_bytes(cid_bytes->subspan(1));
                if (!cid) return invalid(fmt::format("root {}: {}", r, to_string(cid.error())));
                header.roots.push_back(std::move(*cid));
            }
        } else {
            return invalid(fmt::format("unknown header key `{}`", key_name));
        }
    }
    if (!reader.done()) return invalid("bytes after the header map");
    if (!version) return invalid("the header has no version");
    header.version = *version;
    if (header.version == 1 && !has_roots) return invalid("a version 1 header needs roots");
    if (header.version == 2 && has_roots) return invalid("a version 2 pragma has no roots");
    if (header.version != 1 && header.version != 2) {
        return fail(car_error(CarErrorCode::unsupported_version, 0, fmt::format("version {}", header.version)));
    }
    return header;
}

void append_car_header(Bytes& out, const std::vector<Cid>& roots) {
    const Bytes header = encode_car_header(CarHeader{1, roots});
    varint_append(out, header.size());
    out.insert(out.end(), header.begin(), header.end());
}

Bytes car_section_prefix(const Cid& cid, size_t block_size) {
    Bytes out;
    varint_append(out, cid.bytes().size() + block_size);
    out.insert(out.end(), cid.bytes().begin(), cid.bytes().end());
    return out;
}

void append_car_section(Bytes& out, const Cid& cid, ByteSpan block) {
    varint_append(out, cid.bytes().size() + block.size());
    out.insert(out.end(), cid.bytes().begin(), cid.bytes().end());
    out.insert(out.end(), block.begin(), block.end());
}

// ------------------------------------------------------------------------------ stream reader

CarStreamReader::CarStreamReader(CarLimits limits, HeaderFunction on_header, BlockFunction on_block)
    : m_limits(limits), m_on_header(std::move(on_header)), m_on_block(std::move(on_block)) {}

Result<void, CarError> CarStreamReader::failure(CarErrorCode code, uint64_t offset, std::string detail) {
    m_state = State::failed;
    m_buffer.clear();
    return fail(car_error(code, offset, std::move(detail)));
}

namespace {

// Outcome of a varint read from a byte stream.
enum class VarintStep : uint8_t { need_more, done, invalid };

VarintStep push_varint_byte(Bytes& buffer, uint8_t byte, uint64_t& value) {
    buffer.push_back(byte);
    if (byte & 0x80) return buffer.size() >= varint_max_size ? VarintStep::invalid : VarintStep::need_more;
    auto decoded = varint_decode(buffer);
    if (!decoded) return VarintStep::invalid;
    value = decoded->value;
    return VarintStep::done;
}

}  // namespace

Result<void, CarError> CarStreamReader::feed(ByteSpan input) {
    if (m_state == State::failed) return fail(car_error(CarErrorCode::stopped, m_offset, "the reader already failed"));
    while (!input.empty()) {
        switch (m_state) {
            case State::start:
            case State::header_length:
            case State::section_length: {
                if (m_state == State::section_length && m_buffer.empty() && m_offset >= m_payload_end) {
                    m_state = State::skip_rest;
                    break;
                }
                uint64_t value = 0;
                const uint64_t unit_offset = m_offset - m_buffer.size();
                const VarintStep step = push_varint_byte(m_buffer, input[0], value);
                input = input.subspan(1);
                ++m_offset;
                if (step == VarintStep::need_more) break;
                if (step == VarintStep::invalid) return failure(CarErrorCode::invalid_varint, unit_offset, "");
                m_buffer.clear();
                if (m_state == State::section_length) {
                    if (value == 0) return failure(CarErrorCode::zero_length_section, unit_offset, fmt::format("section {}", m_blocks));
                    if (value > m_limits.max_section_bytes) {
                        return failure(CarErrorCode::section_too_large, unit_offset,
                                       fmt::format("section {} claims {} bytes (limit {})", m_blocks, value, m_limits.max_section_bytes));
                    }
                    if (m_offset + value > m_payload_end) {
                        return failure(CarErrorCode::truncated, unit_offset, "a section runs past the CARv2 data payload");
                    }
                    m_needed = static_cast<size_t>(value);
                    m_state = State::section;
                } else {
                    if (value == 0) return failure(CarErrorCode::invalid_header, unit_offset, "header length 0");
                    if (value > m_limits.max_header_bytes) {
                        return failure(CarErrorCode::header_too_large, unit_offset,
                                       fmt::format("header claims {} bytes (limit {})", value, m_limits.max_header_bytes));
                    }
                    m_needed = static_cast<size_t>(value);
                    m_state = State::header;
                }
                break;
            }
            case State::header:
            case State::v2_header:
            case State::section: {
                ByteSpan unit;
                if (m_buffer.empty() && input.size() >= m_needed) {
                    unit = input.first(m_needed);
                    input = input.subspan(m_needed);
                    m_offset += m_needed;
                } else {
                    const size_t take = std::min(m_needed - m_buffer.size(), input.size());
                    m_buffer.insert(m_buffer.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
                    input = input.subspan(take);
                    m_offset += take;
                    if (m_buffer.size() < m_needed) break;
                    unit = m_buffer;
                }
                const uint64_t unit_offset = m_offset - unit.size();
                if (m_state == State::header) {
                    auto header = decode_car_header(unit);
                    if (!header) return failure(header.error().code, unit_offset, header.error().detail);
                    if (header->version == 2) {
                        if (m_v2 || unit_offset != 1 || unit.size() != car_v2_pragma_size - 1 ||
                            !std::equal(unit.begin(), unit.end(), car_v2_pragma + 1)) {
                            return failure(CarErrorCode::invalid_header, unit_offset, "a version 2 header inside a CARv2 payload");
                        }
                        m_needed = car_v2_header_size;
                        m_state = State::v2_header;
                    } else {
                        if (m_v2 && m_offset > m_payload_end) {
                            return failure(CarErrorCode::invalid_v2_header, unit_offset, "the inner header runs past the data payload");
                        }
                        m_header_seen = true;
                        if (m_on_header && !m_on_header(*header)) return failure(CarErrorCode::stopped, unit_offset, "");
                        m_state = State::section_length;
                    }
                } else if (m_state == State::v2_header) {
                    CarV2Header v2;
                    std::memcpy(v2.characteristics.data(), unit.data(), 16);
                    v2.data_offset = read_le64(unit.data() + 16);
                    v2.data_size = read_le64(unit.data() + 24);
                    v2.index_offset = read_le64(unit.data() + 32);
                    const uint64_t header_end = car_v2_pragma_size + car_v2_header_size;
                    if (v2.data_offset < header_end || v2.data_size > UINT64_MAX - v2.data_offset) {
                        return failure(CarErrorCode::invalid_v2_header, unit_offset,
                                       fmt::format("data offset {} and size {} are impossible", v2.data_offset, v2.data_size));
                    }
                    if (v2.index_offset != 0 && v2.index_offset < v2.data_offset + v2.data_size) {
                        return failure(CarErrorCode::invalid_v2_header, unit_offset,
                                       fmt::format("index offset {} is inside the data payload", v2.index_offset));
                    }
                    m_v2 = v2;
                    m_payload_start = v2.data_offset;
                    m_payload_end = v2.data_offset + v2.data_size;
                    m_state = State::skip_to_data;
                } else {
                    auto prefixed = Cid::read_prefix(unit);
                    if (!prefixed) {
                        return failure(CarErrorCode::invalid_cid, unit_offset, fmt::format("section {}: {}", m_blocks, to_string(prefixed.error())));
                    }
                    const ByteSpan block = unit.subspan(prefixed->size);
                    const Cid& cid = prefixed->cid;
                    if (!is_supported_hash(cid.hash_code())) {
                        return failure(CarErrorCode::unverifiable_block, unit_offset,
                                       fmt::format("section {}: {} uses {}", m_blocks, cid.to_string(), multicodec_name(cid.hash_code())));
                    }
                    if (!cid.verify(block)) {
                        return failure(CarErrorCode::hash_mismatch, unit_offset, fmt::format("section {}: {}", m_blocks, cid.to_string()));
                    }
                    if (m_blocks + 1 > m_limits.max_blocks) {
                        return failure(CarErrorCode::too_many_blocks, unit_offset, fmt::format("limit {}", m_limits.max_blocks));
                    }
                    if (m_block_bytes + block.size() > m_limits.max_total_bytes) {
                        return failure(CarErrorCode::too_much_data, unit_offset, fmt::format("limit {} bytes", m_limits.max_total_bytes));
                    }
                    ++m_blocks;
                    m_block_bytes += block.size();
                    const uint64_t section_start = unit_offset - varint_size(unit.size());
                    if (m_on_block && !m_on_block(Block{cid, block, section_start, section_start - m_payload_start})) {
                        return failure(CarErrorCode::stopped, unit_offset, "");
                    }
                    m_state = State::section_length;
                }
                m_buffer.clear();
                break;
            }
            case State::skip_to_data: {
                const uint64_t skip = std::min<uint64_t>(m_payload_start - m_offset, input.size());
                input = input.subspan(static_cast<size_t>(skip));
                m_offset += skip;
                if (m_offset == m_payload_start) m_state = State::header_length;
                break;
            }
            case State::skip_rest:
                // The CARv2 index (or padding) after the payload: blocks are verified one by one,
                // so a stream does not need it.
                m_offset += input.size();
                input = {};
                break;
            case State::failed: return fail(car_error(CarErrorCode::stopped, m_offset, ""));
        }
    }
    return {};
}

Result<void, CarError> CarStreamReader::finish() {
    if (m_state == State::failed) return fail(car_error(CarErrorCode::stopped, m_offset, "the reader already failed"));
    const bool clean = (m_state == State::section_length && m_buffer.empty()) || m_state == State::skip_rest;
    if (!clean || !m_header_seen) {
        std::string where;
        switch (m_state) {
            case State::start:
            case State::header_length:
            case State::header: where = "inside the header"; break;
            case State::v2_header:
            case State::skip_to_data: where = "inside the CARv2 header"; break;
            case State::section_length:
            case State::section: where = fmt::format("inside section {}", m_blocks); break;
            default: break;
        }
        if (m_v2 && m_state == State::section_length && m_offset < m_payload_end) where = "before the end of the CARv2 data payload";
        return failure(CarErrorCode::truncated, m_offset, where);
    }
    if (m_v2 && m_state == State::section_length && m_offset < m_payload_end) {
        return failure(CarErrorCode::truncated, m_offset, "before the end of the CARv2 data payload");
    }
    return {};
}

// ------------------------------------------------------------------------------ CARv2 index

Result<std::vector<CarIndexEntry>, CarError> read_car_index(ByteSpan index, uint64_t file_offset) {
    const auto invalid = [&](size_t at, std::string detail) {
        return fail(car_error(CarErrorCode::invalid_index, file_offset + at, std::move(detail)));
    };
    auto codec = varint_decode(index);
    if (!codec) return invalid(0, "the index codec is not a varint");
    size_t at = codec->size;
    std::vector<CarIndexEntry> entries;

    // One IndexSorted body: i32 bucket count, then buckets of (u32 width, u64 byte length, entries).
    const auto read_sorted = [&](uint64_t hash_code) -> Result<void, CarError> {
        if (index.size() - at < 4) return invalid(at, "truncated bucket count");
        const int32_t buckets = static_cast<int32_t>(read_le32(index.data() + at));
        at += 4;
        if (buckets < 0) return invalid(at - 4, "negative bucket count");
        for (int32_t b = 0; b < buckets; ++b) {
            if (index.size() - at < 12) return invalid(at, "truncated bucket header");
            const uint32_t width = read_le32(index.data() + at);
            const uint64_t length = read_le64(index.data() + at + 4);
            at += 12;
            if (width <= 8 || width > 8 + digest_size_max) return invalid(at - 12, fmt::format("bucket width {}", width));
            // go-car writes the bucket's byte length where the specification says "count".
            if (length % width != 0) return invalid(at - 8, fmt::format("bucket length {} is not a multiple of width {}", length, width));
            if (length > index.size() - at) return invalid(at - 8, fmt::format("bucket of {} bytes runs past the end", length));
            const size_t count = static_cast<size_t>(length / width);
            ByteSpan last;
            for (size_t i = 0; i < count; ++i) {
                const ByteSpan digest = index.subspan(at, width - 8);
                if (i > 0 && std::lexicographical_compare(digest.begin(), digest.end(), last.begin(), last.end())) {
                    return invalid(at, "bucket entries are not sorted");
                }
                last = digest;
                entries.push_back(CarIndexEntry{hash_code, Bytes(digest.begin(), digest.end()), read_le64(index.data() + at + width - 8)});
                at += width;
            }
        }
        return {};
    };

    if (codec->value == multicodec::car_index_sorted) {
        if (auto read = read_sorted(0); !read) return fail(read.error());
    } else if (codec->value == multicodec::car_multihash_index_sorted) {
        if (index.size() - at < 4) return invalid(at, "truncated multihash count");
        const int32_t codes = static_cast<int32_t>(read_le32(index.data() + at));
        at += 4;
        if (codes < 0) return invalid(at - 4, "negative multihash count");
        for (int32_t c = 0; c < codes; ++c) {
            if (index.size() - at < 8) return invalid(at, "truncated multihash code");
            const uint64_t code = read_le64(index.data() + at);
            at += 8;
            if (auto read = read_sorted(code); !read) return fail(read.error());
        }
    } else {
        return invalid(0, fmt::format("unknown index codec 0x{:x}", codec->value));
    }
    if (at != index.size()) return invalid(at, "bytes after the index");
    return entries;
}

// ------------------------------------------------------------------------------ whole CARs

Result<CarContents, CarError> read_car(ByteSpan bytes, const CarLimits& limits) {
    CarContents contents;
    CarStreamReader reader(
        limits,
        [&](const CarHeader& header) {
            contents.header = header;
            return true;
        },
        [&](const CarStreamReader::Block& block) {
            contents.blocks.push_back(CarBlockRef{block.cid, block.offset, block.offset + (block.cid.bytes().size() + varint_size(block.cid.bytes().size() + block.bytes.size())),
                                                  block.bytes.size()});
            return true;
        });
    ByteSpan to_read = bytes;
    // For CARv2, read only up to the index: the stream reader would skip it anyway.
    if (auto fed = reader.feed(to_read); !fed) return fail(fed.error());
    if (auto done = reader.finish(); !done) return fail(done.error());
    contents.v2 = reader.v2_header();
    if (contents.v2) {
        const CarV2Header& v2 = *contents.v2;
        if (v2.data_offset + v2.data_size > bytes.size()) {
            return fail(car_error(CarErrorCode::truncated, bytes.size(), "the CARv2 data payload runs past the end of the file"));
        }
        if (v2.index_offset != 0) {
            if (v2.index_offset >= bytes.size()) {
                return fail(car_error(CarErrorCode::invalid_v2_header, 27, fmt::format("index offset {} is past the end of the file", v2.index_offset)));
            }
            auto entries = read_car_index(bytes.subspan(static_cast<size_t>(v2.index_offset)), v2.index_offset);
            if (!entries) return fail(entries.error());
            // Every entry must name a section that holds a block with that digest.
            std::map<uint64_t, const CarBlockRef*> by_offset;
            for (const auto& block : contents.blocks) by_offset[block.offset - v2.data_offset] = &block;
            for (const auto& entry : *entries) {
                const auto found = by_offset.find(entry.offset);
                if (found == by_offset.end()) {
                    return fail(car_error(CarErrorCode::index_mismatch, v2.index_offset,
                                          fmt::format("an entry points at payload offset {}, where no section starts", entry.offset)));
                }
                const Cid& cid = found->second->cid;
                const bool same_digest = std::ranges::equal(cid.digest(), entry.digest);
                const bool same_code = entry.hash_code == 0 || entry.hash_code == cid.hash_code();
                if (!same_digest || !same_code) {
                    return fail(car_error(CarErrorCode::index_mismatch, v2.index_offset,
                                          fmt::format("the entry for payload offset {} names another block than {}", entry.offset, cid.to_string())));
                }
            }
            contents.index_entries = entries->size();
        }
    }
    return contents;
}

}  // namespace fleek::ipld
