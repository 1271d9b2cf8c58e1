#include "util/encoding.h"

#include "util/assert.h"

#include <array>

namespace fleek {

std::string_view to_string(EncodingError error) noexcept {
    switch (error) {
        case EncodingError::invalid_character: return "invalid character";
        case EncodingError::odd_length: return "odd number of hex digits";
        case EncodingError::invalid_length: return "length is not that of any encoded value";
        case EncodingError::non_canonical: return "non-canonical encoding";
        case EncodingError::wrong_length: return "wrong length";
        case EncodingError::too_long: return "input too long";
        case EncodingError::truncated: return "truncated input";
        case EncodingError::overflow: return "value too large";
    }
    return "unknown encoding error";
}

// ---------------------------------------------------------------------------------------- hex

namespace {
constexpr char hex_digits[] = "0123456789abcdef";

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::string hex_encode(ByteSpan bytes) {
    std::string out;
    out.resize(bytes.size() * 2);
    for (size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
    }
    return out;
}

Result<Bytes, EncodingError> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return fail(EncodingError::odd_length);
    Bytes out(text.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        const int high = hex_value(text[2 * i]);
        const int low = hex_value(text[2 * i + 1]);
        if (high < 0 || low < 0) return fail(EncodingError::invalid_character);
        out[i] = static_cast<uint8_t>((high << 4) | low);
    }
    return out;
}

std::string_view strip_0x(std::string_view text) noexcept {
    if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
    }
    return text;
}

// ------------------------------------------------------------------------------------- base58

namespace {
constexpr char base58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<int8_t, 128> base58_table() {
    std::array<int8_t, 128> table{};
    for (auto& entry : table) entry = -1;
    for (int i = 0; i < 58; ++i) table[static_cast<uint8_t>(base58_alphabet[i])] = static_cast<int8_t>(i);
    return table;
}
constexpr auto base58_values = base58_table();
}  // namespace

std::string base58_encode(ByteSpan bytes) {
    size_t leading_zeros = 0;
    while (leading_zeros < bytes.size() && bytes[leading_zeros] == 0) ++leading_zeros;

    // Big-endian base-58 digits of the number, built by repeated multiply-and-add.
    // log(256)/log(58) < 1.37, so this many digits always suffice.
    std::vector<uint8_t> digits((bytes.size() - leading_zeros) * 138 / 100 + 1, 0);
    size_t used = 0;
    for (size_t i = leading_zeros; i < bytes.size(); ++i) {
        uint32_t carry = bytes[i];
        size_t j = 0;
        for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
            carry += 256u * *it;
            *it = static_cast<uint8_t>(carry % 58);
            carry /= 58;
        }
        FLEEK_ASSERT(carry == 0);
        used = j;
    }
    auto first = digits.begin() + static_cast<std::ptrdiff_t>(digits.size() - used);
    std::string out(leading_zeros, '1');
    out.reserve(leading_zeros + used);
    for (auto it = first; it != digits.end(); ++it) out.push_back(base58_alphabet[*it]);
    return out;
}

Result<Bytes, EncodingError> base58_decode(std::string_view text) {
    if (text.size() > base58_max_text_size) return fail(EncodingError::too_long);
    size_t leading_ones = 0;
    while (leading_ones < text.size() && text[leading_ones] == '1') ++leading_ones;

    // log(58)/log(256) < 0.733
    std::vector<uint8_t> bytes((text.size() - leading_ones) * 733 / 1000 + 1, 0);
    size_t used = 0;
    for (size_t i = leading_ones; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 128 || base58_values[c] < 0) return fail(EncodingError::invalid_character);
        uint32_t carry = static_cast<uint32_t>(base58_values[c]);
        size_t j = 0;
        for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
            carry += 58u * *it;
            *it = static_cast<uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        FLEEK_ASSERT(carry == 0);
        used = j;
    }
    Bytes out(leading_ones, 0);
    out.insert(out.end(), bytes.end() - static_cast<std::ptrdiff_t>(used), bytes.end());
    return out;
}

// ------------------------------------------------------------------------------------- base32

namespace {
constexpr char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

int base32_value(char c) noexcept {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}
}  // namespace

std::string base32_encode(ByteSpan bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    uint32_t buffer = 0;
    int bits = 0;
    for (const uint8_t byte : bytes) {
        buffer = (buffer << 8) | byte;
        bits += 8;
        while (bits >= 5) {
            out.push_back(base32_alphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
        buffer &= (1u << bits) - 1;
    }
    if (bits > 0) out.push_back(base32_alphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

Result<Bytes, EncodingError> base32_decode(std::string_view text) {
    // 8 characters carry 5 bytes; a tail of 1, 3 or 6 characters is no byte string's encoding.
    const size_t tail = text.size() % 8;
    if (tail == 1 || tail == 3 || tail == 6) return fail(EncodingError::invalid_length);
    Bytes out;
    out.reserve(text.size() * 5 / 8);
    uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int value = base32_value(c);
        if (value < 0) return fail(EncodingError::invalid_character);
        buffer = (buffer << 5) | static_cast<uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<uint8_t>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
            buffer &= (1u << bits) - 1;
        }
    }
    // Leftover bits are padding and must be zero, or two texts would decode to the same bytes.
    if (buffer != 0) return fail(EncodingError::non_canonical);
    return out;
}

// ------------------------------------------------------------------------------------- base36

namespace {
constexpr char base36_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";

int base36_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    return -1;
}
}  // namespace

std::string base36_encode(ByteSpan bytes) {
    size_t leading_zeros = 0;
    while (leading_zeros < bytes.size() && bytes[leading_zeros] == 0) ++leading_zeros;
    // log(256)/log(36) < 1.548
    std::vector<uint8_t> digits((bytes.size() - leading_zeros) * 155 / 100 + 1, 0);
    size_t used = 0;
    for (size_t i = leading_zeros; i < bytes.size(); ++i) {
        uint32_t carry = bytes[i];
        size_t j = 0;
        for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
            carry += 256u * *it;
            *it = static_cast<uint8_t>(carry % 36);
            carry /= 36;
        }
        FLEEK_ASSERT(carry == 0);
        used = j;
    }
    std::string out(leading_zeros, '0');
    out.reserve(leading_zeros + used);
    for (auto it = digits.end() - static_cast<std::ptrdiff_t>(used); it != digits.end(); ++it) out.push_back(base36_alphabet[*it]);
    return out;
}

Result<Bytes, EncodingError> base36_decode(std::string_view text) {
    if (text.size() > base36_max_text_size) return fail(EncodingError::too_long);
    size_t leading_zeros = 0;
    while (leading_zeros < text.size() && text[leading_zeros] == '0') ++leading_zeros;
    // log(36)/log(256) < 0.647
    std::vector<uint8_t> bytes((text.size() - leading_zeros) * 647 / 1000 + 1, 0);
    size_t used = 0;
    for (size_t i = leading_zeros; i < text.size(); ++i) {
        const int value = base36_value(text[i]);
        if (value < 0) return fail(EncodingError::invalid_character);
        uint32_t carry = static_cast<uint32_t>(value);
        size_t j = 0;
        for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
            carry += 36u * *it;
            *it = static_cast<uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        FLEEK_ASSERT(carry == 0);
        used = j;
    }
    Bytes out(leading_zeros, 0);
    out.insert(out.end(), bytes.end() - static_cast<std::ptrdiff_t>(used), bytes.end());
    return out;
}

// ------------------------------------------------------------------------------------- varint

size_t varint_size(uint64_t value) noexcept {
    size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++size;
    }
    return size;
}

void varint_append(Bytes& out, uint64_t value) {
    FLEEK_ASSERT(value <= varint_max_value);
    while (value >= 0x80) {
        out.push_back(static_cast<uint8_t>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<uint8_t>(value));
}

Result<VarintDecoded, EncodingError> varint_decode(ByteSpan input) noexcept {
    uint64_t value = 0;
    for (size_t i = 0; i < varint_max_size; ++i) {
        if (i >= input.size()) return fail(EncodingError::truncated);
        const uint8_t byte = input[i];
        value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            // A zero final byte after others means the value had a shorter spelling.
            if (byte == 0 && i > 0) return fail(EncodingError::non_canonical);
            return VarintDecoded{value, i + 1};
        }
    }
    // The ninth byte still had its continuation bit set: more than 63 bits.
    return fail(EncodingError::overflow);
}

}  // namespace fleek
