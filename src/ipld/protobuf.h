// The few protobuf wire-format pieces DAG-PB and UnixFS need: 64-bit varints (up to 10 bytes,
// minimal encoding required) and field keys. Internal to ipld.
#pragma once

#include "util/bytes.h"

#include <cstdint>
#include <optional>

namespace fleek::ipld::pb {

enum WireType : uint8_t { wire_varint = 0, wire_fixed64 = 1, wire_bytes = 2, wire_fixed32 = 5 };

inline size_t varint_size(uint64_t value) noexcept {
    size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++size;
    }
    return size;
}

inline void append_varint(Bytes& out, uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<uint8_t>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<uint8_t>(value));
}

inline void append_key(Bytes& out, uint32_t field, WireType type) { append_varint(out, (uint64_t{field} << 3) | type); }

inline void append_bytes_field(Bytes& out, uint32_t field, ByteSpan bytes) {
    append_key(out, field, wire_bytes);
    append_varint(out, bytes.size());
    out.insert(out.end(), bytes.begin(), bytes.end());
}

inline void append_varint_field(Bytes& out, uint32_t field, uint64_t value) {
    append_key(out, field, wire_varint);
    append_varint(out, value);
}

// A cursor over protobuf bytes. Every read returns nullopt on malformed input and leaves the
// cursor unusable (the caller stops).
class Cursor {
public:
    explicit Cursor(ByteSpan bytes) noexcept : m_bytes(bytes) {}

    bool done() const noexcept { return m_offset >= m_bytes.size(); }
    size_t offset() const noexcept { return m_offset; }

    // A minimal varint of at most 64 bits.
    std::optional<uint64_t> varint() noexcept {
        uint64_t value = 0;
        for (size_t i = 0; i < 10; ++i) {
            if (m_offset >= m_bytes.size()) return std::nullopt;
            const uint8_t byte = m_bytes[m_offset++];
            if (i == 9 && byte > 1) return std::nullopt;  // over 64 bits
            value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
            if ((byte & 0x80) == 0) {
                if (byte == 0 && i > 0) return std::nullopt;  // a shorter spelling exists
                return value;
            }
        }
        return std::nullopt;
    }

    struct Key {
        uint32_t field;
        WireType type;
    };
    std::optional<Key> key() noexcept {
        auto value = varint();
        if (!value || *value > 0xffffffffu) return std::nullopt;
        const uint8_t type = static_cast<uint8_t>(*value & 7);
        if (type != wire_varint && type != wire_fixed64 && type != wire_bytes && type != wire_fixed32) return std::nullopt;
        return Key{static_cast<uint32_t>(*value >> 3), static_cast<WireType>(type)};
    }

    std::optional<ByteSpan> length_delimited() noexcept {
        auto length = varint();
        if (!length || *length > m_bytes.size() - m_offset) return std::nullopt;
        const ByteSpan out = m_bytes.subspan(m_offset, static_cast<size_t>(*length));
        m_offset += static_cast<size_t>(*length);
        return out;
    }

    std::optional<uint32_t> fixed32() noexcept {
        if (m_bytes.size() - m_offset < 4) return std::nullopt;
        uint32_t value = 0;
        for (int i = 0; i < 4; ++i) value |= static_cast<uint32_t>(m_bytes[m_offset + static_cast<size_t>(i)]) << (8 * i);
        m_offset += 4;
        return value;
    }

private:
    ByteSpan m_bytes;
    size_t m_offset = 0;
};

}  // namespace fleek::ipld::pb
