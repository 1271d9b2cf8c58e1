#include "util/encoding.h"

#include <gtest/gtest.h>

#include <random>

namespace fleek {
namespace {

Bytes hex(std::string_view text) { return hex_decode(text).value(); }

TEST(Hex, EncodesLowercaseAndDecodesBothCases) {
    EXPECT_EQ(hex_encode(Bytes{}), "");
    EXPECT_EQ(hex_encode(Bytes{0x00, 0x01, 0xab, 0xff}), "0001abff");
    EXPECT_EQ(hex_decode("0001ABff").value(), (Bytes{0x00, 0x01, 0xab, 0xff}));
    EXPECT_EQ(hex_decode("").value(), Bytes{});
}

TEST(Hex, RejectsOddLengthAndBadCharacters) {
    EXPECT_EQ(hex_decode("abc").error(), EncodingError::odd_length);
    EXPECT_EQ(hex_decode("zz").error(), EncodingError::invalid_character);
    EXPECT_EQ(hex_decode("0x00").error(), EncodingError::invalid_character);
    EXPECT_EQ(hex_decode(" 00").error(), EncodingError::odd_length);
    EXPECT_EQ(hex_decode("0 00").error(), EncodingError::invalid_character);
}

TEST(Hex, FixedSizeDecodeChecksLength) {
    EXPECT_EQ((hex_decode_array<2>("abcd").value()), (ByteArray<2>{0xab, 0xcd}));
    EXPECT_EQ((hex_decode_array<2>("abcdef").error()), EncodingError::wrong_length);
    EXPECT_EQ((hex_decode_array<2>("abc").error()), EncodingError::odd_length);
    EXPECT_EQ(strip_0x("0xab"), "ab");
    EXPECT_EQ(strip_0x("0Xab"), "ab");
    EXPECT_EQ(strip_0x("ab"), "ab");
}

// Vectors from Bitcoin Core's src/test/data/base58_encode_decode.json.
TEST(Base58, BitcoinVectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"636363", "aPEr"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"572e4794", "3EFU7m"},
        {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
        {"10c8511e", "Rt5zm"},
        {"00000000000000000000", "1111111111"},
    };
    for (const auto& [bytes, text] : vectors) {
        EXPECT_EQ(base58_encode(hex(bytes)), text) << bytes;
        EXPECT_EQ(base58_decode(text).value(), hex(bytes)) << text;
    }
}

TEST(Base58, RejectsCharactersOutsideTheAlphabet) {
    for (std::string_view bad : {"0", "O", "I", "l", "3EFU7m ", "+", "\xff"}) {
        EXPECT_EQ(base58_decode(bad).error(), EncodingError::invalid_character) << bad;
    }
    EXPECT_EQ(base58_decode(std::string(base58_max_text_size + 1, '2')).error(), EncodingError::too_long);
}

TEST(Base58, RoundTripsRandomBytes) {
    std::mt19937 rng(42);
    for (int i = 0; i < 300; ++i) {
        Bytes bytes(rng() % 100);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng() % (i % 3 == 0 ? 2 : 256));
        EXPECT_EQ(base58_decode(base58_encode(bytes)).value(), bytes);
    }
}

// RFC 4648 section 10, lowercase and without padding.
TEST(Base32, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},           {"f", "my"},           {"fo", "mzxq"},          {"foo", "mzxw6"},
        {"foob", "mzxw6yq"}, {"fooba", "mzxw6ytb"}, {"foobar", "mzxw6ytboi"},
    };
    for (const auto& [plain, text] : vectors) {
        EXPECT_EQ(base32_encode(as_bytes(plain)), text);
        EXPECT_EQ(base32_decode(text).value(), to_bytes(plain));
    }
}

TEST(Base32, RejectsNonCanonicalAndInvalidInput) {
    EXPECT_EQ(base32_decode("mz").error(), EncodingError::non_canonical);  // "my" is the spelling of "f"
    EXPECT_EQ(base32_decode("m").error(), EncodingError::invalid_length);
    EXPECT_EQ(base32_decode("mzx").error(), EncodingError::invalid_length);
    EXPECT_EQ(base32_decode("MY").error(), EncodingError::invalid_character);
    EXPECT_EQ(base32_decode("my==").error(), EncodingError::invalid_character);
    EXPECT_EQ(base32_decode("m1").error(), EncodingError::invalid_character);
}

TEST(Base32, RoundTripsRandomBytes) {
    std::mt19937 rng(7);
    for (int i = 0; i < 300; ++i) {
        Bytes bytes(rng() % 70);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng());
        EXPECT_EQ(base32_decode(base32_encode(bytes)).value(), bytes);
    }
}

// Examples of the multiformats unsigned-varint specification.
TEST(Base36, MultibaseVectors) {
    // "yes mani !" is the multiformats/multibase base36 vector (`k2lcpzo5yikidynfl`); the other was
    // computed independently with Python's big integers.
    EXPECT_EQ(base36_encode(as_bytes("Decentralize everything!!")), "343ixo7d49hqj1ium15pgy1wzww5fxrid21td7l");
    EXPECT_EQ(base36_encode(as_bytes("yes mani !")), "2lcpzo5yikidynfl");
    EXPECT_EQ(base36_encode(Bytes{0x00, 0x79, 0x65, 0x73, 0x20, 0x6d, 0x61, 0x6e, 0x69, 0x20, 0x21}), "02lcpzo5yikidynfl");
    EXPECT_EQ(base36_decode("2lcpzo5yikidynfl").value(), to_bytes("yes mani !"));
    EXPECT_EQ(base36_decode("").value(), Bytes{});
}

TEST(Base36, RejectsUppercaseAndOtherCharacters) {
    EXPECT_EQ(base36_decode("2LCPZO").error(), EncodingError::invalid_character);
    EXPECT_EQ(base36_decode("2lc-pz").error(), EncodingError::invalid_character);
    EXPECT_EQ(base36_decode(std::string(600, '1')).error(), EncodingError::too_long);
}

TEST(Base36, RoundTripsRandomBytes) {
    std::mt19937 rng(36);
    for (size_t size = 0; size < 80; ++size) {
        Bytes bytes(size);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng() % (size % 3 == 0 ? 2 : 256));
        EXPECT_EQ(base36_decode(base36_encode(bytes)).value(), bytes) << size;
    }
}

TEST(Varint, SpecificationExamples) {
    const std::pair<uint64_t, std::string_view> vectors[] = {
        {1, "01"}, {127, "7f"}, {128, "8001"}, {255, "ff01"}, {300, "ac02"}, {16384, "808001"},
        {varint_max_value, "ffffffffffffffff7f"},
    };
    for (const auto& [value, encoding] : vectors) {
        Bytes out;
        varint_append(out, value);
        EXPECT_EQ(hex_encode(out), encoding);
        EXPECT_EQ(varint_size(value), out.size());
        auto decoded = varint_decode(hex(encoding));
        ASSERT_TRUE(decoded.has_value());
        EXPECT_EQ(decoded->value, value);
        EXPECT_EQ(decoded->size, out.size());
    }
}

TEST(Varint, DecodesOnlyTheFirstValue) {
    auto decoded = varint_decode(hex("ac02ff"));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->value, 300u);
    EXPECT_EQ(decoded->size, 2u);
}

TEST(Varint, RejectsTruncatedOverlongAndNonMinimal) {
    EXPECT_EQ(varint_decode(Bytes{}).error(), EncodingError::truncated);
    EXPECT_EQ(varint_decode(hex("80")).error(), EncodingError::truncated);
    EXPECT_EQ(varint_decode(hex("ffffffffffffffffff01")).error(), EncodingError::overflow);
    EXPECT_EQ(varint_decode(hex("8000")).error(), EncodingError::non_canonical);
    EXPECT_EQ(varint_decode(hex("ff00")).error(), EncodingError::non_canonical);
    EXPECT_EQ(varint_decode(hex("00")).value().value, 0u);
}

TEST(EncodingError, EveryErrorHasAMessage) {
    for (int e = 0; e <= static_cast<int>(EncodingError::overflow); ++e) {
        EXPECT_NE(to_string(static_cast<EncodingError>(e)), "unknown encoding error");
    }
}

}  // namespace
}  // namespace fleek
