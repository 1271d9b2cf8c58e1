// 256-bit unsigned integers for amounts in base units (FLK has 18 decimals, stables 6).
// Arithmetic that could overflow goes through the checked_* helpers, which return nullopt
// instead of wrapping or throwing.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <boost/multiprecision/cpp_int.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace fleek {

using U256 = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
    256, 256, boost::multiprecision::unsigned_magnitude, boost::multiprecision::unchecked, void>>;

enum class U256ParseError : uint8_t { empty, invalid_character, leading_zero, overflow };
std::string_view to_string(U256ParseError error) noexcept;

// Little-endian, 32 bytes: the canonical encoding.
ByteArray<32> u256_to_le_bytes(const U256& value);
U256 u256_from_le_bytes(std::span<const uint8_t, 32> bytes);

// Decimal text without sign, separators or leading zeros ("0" is the only spelling of zero).
Result<U256, U256ParseError> u256_parse_decimal(std::string_view text);
std::string u256_to_decimal(const U256& value);

std::optional<U256> checked_add(const U256& a, const U256& b);
std::optional<U256> checked_sub(const U256& a, const U256& b);
std::optional<U256> checked_mul(const U256& a, const U256& b);
// ⌊a × b / divisor⌋ computed exactly with a 512-bit product: nullopt when divisor is 0 or the
// quotient does not fit 256 bits (never when b ≤ divisor). For shares and rates of amounts.
std::optional<U256> checked_mul_div(const U256& a, const U256& b, const U256& divisor);

}  // namespace fleek
