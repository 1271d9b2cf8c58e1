#include "util/u256.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek {
namespace {

const std::string max_decimal =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

TEST(U256, DecimalRoundTrip) {
    for (std::string_view text : {"0", "1", "1000000000000000000", "340282366920938463463374607431768211456"}) {
        auto value = u256_parse_decimal(text);
        ASSERT_TRUE(value.has_value()) << text;
        EXPECT_EQ(u256_to_decimal(*value), text);
    }
    EXPECT_EQ(u256_to_decimal(u256_parse_decimal(max_decimal).value()), max_decimal);
}

TEST(U256, RejectsBadDecimals) {
    EXPECT_EQ(u256_parse_decimal("").error(), U256ParseError::empty);
    EXPECT_EQ(u256_parse_decimal("01").error(), U256ParseError::leading_zero);
    EXPECT_EQ(u256_parse_decimal("-1").error(), U256ParseError::invalid_character);
    EXPECT_EQ(u256_parse_decimal("1.5").error(), U256ParseError::invalid_character);
    EXPECT_EQ(u256_parse_decimal("1e18").error(), U256ParseError::invalid_character);
    // max + 1
    EXPECT_EQ(u256_parse_decimal("115792089237316195423570985008687907853269984665640564039457584007913129639936").error(),
              U256ParseError::overflow);
}

TEST(U256, LittleEndianBytes) {
    const U256 value = u256_parse_decimal("258").value();  // 0x0102
    const ByteArray<32> bytes = u256_to_le_bytes(value);
    EXPECT_EQ(bytes[0], 0x02);
    EXPECT_EQ(bytes[1], 0x01);
    for (size_t i = 2; i < 32; ++i) EXPECT_EQ(bytes[i], 0);
    EXPECT_EQ(u256_from_le_bytes(bytes), value);
    const U256 max = u256_parse_decimal(max_decimal).value();
    EXPECT_EQ(hex_encode(u256_to_le_bytes(max)), std::string(64, 'f'));
}

TEST(U256, CheckedArithmetic) {
    const U256 max = u256_parse_decimal(max_decimal).value();
    EXPECT_FALSE(checked_add(max, 1).has_value());
    EXPECT_EQ(checked_add(max - 1, 1).value(), max);
    EXPECT_FALSE(checked_sub(U256(1), U256(2)).has_value());
    EXPECT_EQ(checked_sub(U256(5), U256(2)).value(), U256(3));
    EXPECT_FALSE(checked_mul(max, 2).has_value());
    EXPECT_EQ(checked_mul(U256(0), max).value(), U256(0));
    EXPECT_EQ(checked_mul(U256(6), U256(7)).value(), U256(42));
}

TEST(U256, CheckedMulDivIsExactWherePlainArithmeticWraps) {
    const U256 max = ~U256(0);
    // max × 10,000 / 10,000 wraps with 256-bit arithmetic; the exact quotient is max.
    EXPECT_NE(max * 10'000 / 10'000, max);
    EXPECT_EQ(checked_mul_div(max, 10'000, 10'000).value(), max);
    EXPECT_EQ(checked_mul_div(max, 1000, 10'000).value(), max / 10);  // (2^256 − 1) / 10, truncated
    EXPECT_EQ(checked_mul_div(max, max, max).value(), max);
    EXPECT_EQ(checked_mul_div(U256(7), U256(3), U256(2)).value(), U256(10));  // ⌊21/2⌋
    EXPECT_FALSE(checked_mul_div(max, 2, 1).has_value());  // the quotient does not fit
    EXPECT_FALSE(checked_mul_div(U256(1), U256(1), U256(0)).has_value());
    // (2^255) × 3 / 2 = 3 × 2^254 fits although the product does not.
    const U256 half = U256(1) << 255;
    EXPECT_EQ(checked_mul_div(half, 3, 2).value(), (U256(3) << 254));
}

}  // namespace
}  // namespace fleek
