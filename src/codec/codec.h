// The canonical binary encoding of every signed, hashed, stored or sent object
// (docs/formats/canonical-encoding.md).
//
//   integers   little-endian, fixed width (u8, u16, u32, u64, u256 as 32 bytes)
//   bool       one byte, 0 or 1
//   bytes      u32 length, then the bytes; every field has its own maximum length
//   string     as bytes, and the bytes must be valid UTF-8
//   fixed      N bytes, no length (hashes, keys, signatures)
//   enum tag   u8; a tag the decoder does not know is an error
//   optional   u8 0 (absent) or 1 (present) followed by the value
//   sequence   u32 count with a per-field maximum, then the elements
//   struct     fields in declared order, nothing between them
//
// There is exactly one encoding of each value: decoding rejects truncated input, lengths over
// the field's maximum, unknown tags, bool and optional bytes other than 0/1, invalid UTF-8 and
// trailing bytes. So decode(encode(x)) == x and encode(decode(b)) == b for every accepted b.
//
// A type T takes part by providing
//   void encode(codec::Writer&) const;
//   static Result<T, codec::DecodeError> decode(codec::Reader&);
// and codec::encode(x) / codec::decode<T>(bytes) do the rest.
#pragma once

#include "util/assert.h"
#include "util/bytes.h"
#include "util/result.h"
#include "util/u256.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::codec {

enum class DecodeError : uint8_t {
    truncated,         // input ended inside a field
    length_too_large,  // a length or count over the field's maximum (or over what is left)
    trailing_bytes,    // input continued after the value ended
    unknown_tag,       // an enum tag the decoder does not know
    invalid_bool,      // a bool or optional marker other than 0 or 1
    invalid_utf8,      // a string field holding bytes that are not UTF-8
    invalid_value,     // a field decoded but its value is not allowed (checked by the type)
};

std::string_view to_string(DecodeError error) noexcept;

class Writer {
public:
    Writer() = default;
    explicit Writer(size_t reserve) { m_out.reserve(reserve); }

    void u8(uint8_t value) { m_out.push_back(value); }
    void u16(uint16_t value) { put_le(value, 2); }
    void u32(uint32_t value) { put_le(value, 4); }
    void u64(uint64_t value) { put_le(value, 8); }
    void u256(const U256& value);
    void boolean(bool value) { u8(value ? 1 : 0); }
    void tag(uint8_t value) { u8(value); }
    void fixed(ByteSpan bytes) { m_out.insert(m_out.end(), bytes.begin(), bytes.end()); }

    // Writing a field longer than its maximum is a bug in the caller: the reader would refuse it.
    void bytes(ByteSpan bytes, uint32_t max_size) {
        FLEEK_ASSERT(bytes.size() <= max_size);
        u32(static_cast<uint32_t>(bytes.size()));
        fixed(bytes);
    }
    void string(std::string_view text, uint32_t max_size) { bytes(as_bytes(text), max_size); }

    template <class T, class WriteValue>
    void optional(const std::optional<T>& value, WriteValue&& write_value) {
        boolean(value.has_value());
        if (value) write_value(*this, *value);
    }

    template <class T, class WriteElement>
    void sequence(std::span<const T> elements, uint32_t max_count, WriteElement&& write_element) {
        FLEEK_ASSERT(elements.size() <= max_count);
        u32(static_cast<uint32_t>(elements.size()));
        for (const T& element : elements) write_element(*this, element);
    }

    const Bytes& view() const noexcept { return m_out; }
    Bytes take() noexcept { return std::move(m_out); }
    size_t size() const noexcept { return m_out.size(); }

private:
    void put_le(uint64_t value, int width) {
        for (int i = 0; i < width; ++i) m_out.push_back(static_cast<uint8_t>(value >> (8 * i)));
    }

    Bytes m_out;
};

class Reader {
public:
    explicit Reader(ByteSpan input) noexcept : m_input(input) {}

    Result<uint8_t, DecodeError> u8() noexcept;
    Result<uint16_t, DecodeError> u16() noexcept;
    Result<uint32_t, DecodeError> u32() noexcept;
    Result<uint64_t, DecodeError> u64() noexcept;
    Result<U256, DecodeError> u256();
    Result<bool, DecodeError> boolean() noexcept;
    // A tag in [0, tag_count).
    Result<uint8_t, DecodeError> tag(uint8_t tag_count) noexcept;
    // The next `size` bytes, as a view into the input.
    Result<ByteSpan, DecodeError> fixed(size_t size) noexcept;
    template <size_t N>
    Result<ByteArray<N>, DecodeError> array() noexcept;
    // A u32-prefixed byte field of at most max_size bytes, as a view into the input.
    Result<ByteSpan, DecodeError> bytes(uint32_t max_size) noexcept;
    Result<std::string_view, DecodeError> string(uint32_t max_size) noexcept;
    // The presence marker of an optional.
    Result<bool, DecodeError> optional_present() noexcept { return boolean(); }
    // A u32 element count of at most max_count, where each element takes at least
    // min_element_size bytes: rejects counts the remaining input cannot hold before anything
    // is allocated for them.
    Result<uint32_t, DecodeError> count(uint32_t max_count, size_t min_element_size) noexcept;

    // Succeeds only when every byte was consumed.
    Result<void, DecodeError> finish() const noexcept;

    size_t remaining() const noexcept { return m_input.size() - m_offset; }
    size_t offset() const noexcept { return m_offset; }

private:
    Result<uint64_t, DecodeError> get_le(size_t width) noexcept;

    ByteSpan m_input;
    size_t m_offset = 0;
};

bool is_valid_utf8(std::string_view text) noexcept;

template <class T>
Bytes encode(const T& value) {
    Writer writer;
    value.encode(writer);
    return writer.take();
}

// Decodes a whole buffer into one T; trailing bytes are an error.
template <class T>
Result<T, DecodeError> decode(ByteSpan input) {
    Reader reader(input);
    auto value = T::decode(reader);
    if (!value) return fail(value.error());
    if (auto done = reader.finish(); !done) return fail(done.error());
    return value;
}

template <size_t N>
Result<ByteArray<N>, DecodeError> Reader::array() noexcept {
    auto view = fixed(N);
    if (!view) return fail(view.error());
    ByteArray<N> out{};
    for (size_t i = 0; i < N; ++i) out[i] = (*view)[i];
    return out;
}

}  // namespace fleek::codec
