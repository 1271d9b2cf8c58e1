// Text and integer encodings: hex, base58 (Bitcoin alphabet), base32 (RFC 4648, lowercase, no
// padding), base36 (lowercase) and the unsigned varint of multiformats. Every decoder is strict: it accepts exactly
// one spelling of each value (canonical) and reports what was wrong otherwise.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace fleek {

enum class EncodingError : uint8_t {
    invalid_character,  // a character outside the alphabet
    odd_length,         // hex with an odd number of digits
    invalid_length,     // a base32 length no byte string encodes to
    non_canonical,      // a second spelling of a value (base32 padding bits, varint zero tail)
    wrong_length,       // decoded to a size other than the one required
    too_long,           // over the decoder's input limit
    truncated,          // input ended inside a value (varint)
    overflow,           // value does not fit (varint over 63 bits)
};

std::string_view to_string(EncodingError error) noexcept;

// --- hex -----------------------------------------------------------------------------------
std::string hex_encode(ByteSpan bytes);
// Accepts upper and lower case digits; no "0x" prefix (see strip_0x).
Result<Bytes, EncodingError> hex_decode(std::string_view text);
// Decodes exactly N bytes.
template <size_t N>
Result<ByteArray<N>, EncodingError> hex_decode_array(std::string_view text);
// Removes one leading "0x" or "0X" if present.
std::string_view strip_0x(std::string_view text) noexcept;
// `text` without leading and trailing spaces, tabs and carriage returns (HTTP header whitespace).
constexpr std::string_view trim_whitespace(std::string_view text) noexcept {
    constexpr auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && space(text.front())) text.remove_prefix(1);
    while (!text.empty() && space(text.back())) text.remove_suffix(1);
    return text;
}

// --- base58 (Bitcoin alphabet) ---------------------------------------------------------------
inline constexpr size_t base58_max_text_size = 512;  // decode is quadratic; keys are < 140 chars
std::string base58_encode(ByteSpan bytes);
Result<Bytes, EncodingError> base58_decode(std::string_view text);

// --- base32 (RFC 4648 alphabet, lowercase, no padding) ---------------------------------------
std::string base32_encode(ByteSpan bytes);
Result<Bytes, EncodingError> base32_decode(std::string_view text);

// --- base36 (lowercase 0-9a-z; multibase `k`, used for IPNS names in DNS labels) ----------
// Like base58: a big number in base 36, each leading zero byte written as one '0'.
inline constexpr size_t base36_max_text_size = 512;
std::string base36_encode(ByteSpan bytes);
// Accepts lowercase only (multibase `K` is the uppercase alphabet: lowercase it first).
Result<Bytes, EncodingError> base36_decode(std::string_view text);

// --- unsigned varint (multiformats: LEB128, at most 9 bytes, minimal) ------------------------
inline constexpr size_t varint_max_size = 9;
inline constexpr uint64_t varint_max_value = (uint64_t{1} << 63) - 1;

struct VarintDecoded {
    uint64_t value;
    size_t size;  // bytes consumed
};
// Appends the encoding of value (which must be <= varint_max_value) to out.
void varint_append(Bytes& out, uint64_t value);
size_t varint_size(uint64_t value) noexcept;
// Decodes one varint from the front of input.
Result<VarintDecoded, EncodingError> varint_decode(ByteSpan input) noexcept;

// ------------------------------------------------------------------------------------------
template <size_t N>
Result<ByteArray<N>, EncodingError> hex_decode_array(std::string_view text) {
    if (text.size() != 2 * N) {
        return fail(text.size() % 2 != 0 ? EncodingError::odd_length : EncodingError::wrong_length);
    }
    auto decoded = hex_decode(text);
    if (!decoded) return fail(decoded.error());
    ByteArray<N> out{};
    for (size_t i = 0; i < N; ++i) out[i] = (*decoded)[i];
    return out;
}

}  // namespace fleek
