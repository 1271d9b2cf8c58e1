#include "util/u256.h"

namespace fleek {

namespace {
const U256& u256_max() {
    static const U256 max = ~U256(0);
    return max;
}
}  // namespace

std::string_view to_string(U256ParseError error) noexcept {
    switch (error) {
        case U256ParseError::empty: return "empty amount";
        case U256ParseError::invalid_character: return "amount must be decimal digits only";
        case U256ParseError::leading_zero: return "amount has a leading zero";
        case U256ParseError::overflow: return "amount does not fit in 256 bits";
    }
    return "invalid amount";
}

ByteArray<32> u256_to_le_bytes(const U256& value) {
    ByteArray<32> out{};
    U256 rest = value;
    for (size_t i = 0; i < 32; ++i) {
        out[i] = static_cast<uint8_t>(rest & 0xff);
        rest >>= 8;
    }
    return out;
}

U256 u256_from_le_bytes(std::span<const uint8_t, 32> bytes) {
    U256 value = 0;
    for (size_t i = 32; i-- > 0;) {
        value <<= 8;
        value |= bytes[i];
    }
    return value;
}

Result<U256, U256ParseError> u256_parse_decimal(std::string_view text) {
    if (text.empty()) return fail(U256ParseError::empty);
    if (text.size() > 1 && text[0] == '0') return fail(U256ParseError::leading_zero);
    U256 value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return fail(U256ParseError::invalid_character);
        const unsigned digit = static_cast<unsigned>(c - '0');
        if (value > (u256_max() - digit) / 10) return fail(U256ParseError::overflow);
        value = value * 10 + digit;
    }
    return value;
}

std::string u256_to_decimal(const U256& value) { return value.str(); }

std::optional<U256> checked_add(const U256& a, const U256& b) {
    if (a > u256_max() - b) return std::nullopt;
    return a + b;
}

std::optional<U256> checked_sub(const U256& a, const U256& b) {
    if (b > a) return std::nullopt;
    return a - b;
}

std::optional<U256> checked_mul(const U256& a, const U256& b) {
    if (a != 0 && b > u256_max() / a) return std::nullopt;
    return a * b;
}

std::optional<U256> checked_mul_div(const U256& a, const U256& b, const U256& divisor) {
    using U512 = boost::multiprecision::number<boost::multiprecision::cpp_int_backend<
        512, 512, boost::multiprecision::unsigned_magnitude, boost::multiprecision::unchecked, void>>;
    if (divisor == 0) return std::nullopt;
    const U512 quotient = U512(a) * U512(b) / U512(divisor);
    if (quotient > U512(u256_max())) return std::nullopt;
    return static_cast<U256>(quotient);
}

}  // namespace fleek
