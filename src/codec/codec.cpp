#include "codec/codec.h"

namespace fleek::codec {

std::string_view to_string(DecodeError error) noexcept {
    switch (error) {
        case DecodeError::truncated: return "truncated input";
        case DecodeError::length_too_large: return "length over the field's maximum";
        case DecodeError::trailing_bytes: return "trailing bytes after the value";
        case DecodeError::unknown_tag: return "unknown enum tag";
        case DecodeError::invalid_bool: return "bool or optional marker other than 0 or 1";
        case DecodeError::invalid_utf8: return "string is not valid UTF-8";
        case DecodeError::invalid_value: return "field value not allowed";
    }
    return "decode error";
}

void Writer::u256(const U256& value) {
    const ByteArray<32> bytes = u256_to_le_bytes(value);
    fixed(bytes);
}

Result<uint64_t, DecodeError> Reader::get_le(size_t width) noexcept {
    if (remaining() < width) return fail(DecodeError::truncated);
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value |= static_cast<uint64_t>(m_input[m_offset + i]) << (8 * i);
    m_offset += width;
    return value;
}

Result<uint8_t, DecodeError> Reader::u8() noexcept {
    return get_le(1).map([](uint64_t v) { return static_cast<uint8_t>(v); });
}
Result<uint16_t, DecodeError> Reader::u16() noexcept {
    return get_le(2).map([](uint64_t v) { return static_cast<uint16_t>(v); });
}
Result<uint32_t, DecodeError> Reader::u32() noexcept {
    return get_le(4).map([](uint64_t v) { return static_cast<uint32_t>(v); });
}
Result<uint64_t, DecodeError> Reader::u64() noexcept { return get_le(8); }

Result<U256, DecodeError> Reader::u256() {
    auto view = fixed(32);
    if (!view) return fail(view.error());
    return u256_from_le_bytes(std::span<const uint8_t, 32>(view->data(), 32));
}

Result<bool, DecodeError> Reader::boolean() noexcept {
    auto byte = u8();
    if (!byte) return fail(byte.error());
    if (*byte > 1) return fail(DecodeError::invalid_bool);
    return *byte == 1;
}

Result<uint8_t, DecodeError> Reader::tag(uint8_t tag_count) noexcept {
    auto byte = u8();
    if (!byte) return fail(byte.error());
    if (*byte >= tag_count) return fail(DecodeError::unknown_tag);
    return *byte;
}

Result<ByteSpan, DecodeError> Reader::fixed(size_t size) noexcept {
    if (remaining() < size) return fail(DecodeError::truncated);
    ByteSpan view = m_input.subspan(m_offset, size);
    m_offset += size;
    return view;
}

Result<ByteSpan, DecodeError> Reader::bytes(uint32_t max_size) noexcept {
    auto size = u32();
    if (!size) return fail(size.error());
    if (*size > max_size) return fail(DecodeError::length_too_large);
    return fixed(*size);
}

Result<std::string_view, DecodeError> Reader::string(uint32_t max_size) noexcept {
    auto view = bytes(max_size);
    if (!view) return fail(view.error());
    const std::string_view text = as_string_view(*view);
    if (!is_valid_utf8(text)) return fail(DecodeError::invalid_utf8);
    return text;
}

Result<uint32_t, DecodeError> Reader::count(uint32_t max_count, size_t min_element_size) noexcept {
    auto value = u32();
    if (!value) return fail(value.error());
    if (*value > max_count) return fail(DecodeError::length_too_large);
    if (min_element_size > 0 && *value > remaining() / min_element_size) return fail(DecodeError::truncated);
    return *value;
}

Result<void, DecodeError> Reader::finish() const noexcept {
    if (remaining() != 0) return fail(DecodeError::trailing_bytes);
    return {};
}

bool is_valid_utf8(std::string_view text) noexcept {
    // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
    size_t i = 0;
    const size_t n = text.size();
    while (i < n) {
        const auto byte = static_cast<uint8_t>(text[i]);
        if (byte < 0x80) {
            ++i;
            continue;
        }
        size_t length = 0;
        uint32_t code_point = 0;
        uint32_t minimum = 0;
        if ((byte & 0xe0) == 0xc0) {
            length = 2, code_point = byte & 0x1f, minimum = 0x80;
        } else if ((byte & 0xf0) == 0xe0) {
            length = 3, code_point = byte & 0x0f, minimum = 0x800;
        } else if ((byte & 0xf8) == 0xf0) {
            length = 4, code_point = byte & 0x07, minimum = 0x10000;
        } else {
            return false;
        }
        if (n - i < length) return false;
        for (size_t k = 1; k < length; ++k) {
            const auto next = static_cast<uint8_t>(text[i + k]);
            if ((next & 0xc0) != 0x80) return false;
            code_point = (code_point << 6) | (next & 0x3f);
        }
        if (code_point < minimum || code_point > 0x10ffff) return false;
        if (code_point >= 0xd800 && code_point <= 0xdfff) return false;
        i += length;
    }
    return true;
}

}  // namespace fleek::codec
