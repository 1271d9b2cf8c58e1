#include "codec/codec.h"

#include "tests/support/codec_sample.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::codec {
namespace {

using testing::SampleKind;
using testing::SampleRecord;
using testing::sample_record;

// The same bytes are shown in docs/formats/canonical-encoding.md.
constexpr std::string_view sample_hex =
    "01"                                                                // version u8
    "8610"                                                              // port u16 = 4230
    "07000000"                                                          // count u32
    "0807060504030201"                                                  // nonce u64
    "000064a7b3b6e00d000000000000000000000000000000000000000000000000"  // amount u256 = 10^18
    "01"                                                                // flag
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"  // hash, fixed 32
    "04000000deadbeef"                                                  // payload bytes
    "05000000666c65656b"                                                // name "fleek"
    "02"                                                                // kind tag = gamma
    "01005c260500000000"                                                // deadline Some(86400000)
    "020000000100000002000000";                                         // values [1, 2]

TEST(Codec, GoldenEncoding) {
    const Bytes encoded = encode(sample_record());
    EXPECT_EQ(hex_encode(encoded), sample_hex);
    auto decoded = decode<SampleRecord>(encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, sample_record());
}

TEST(Codec, EmptyValuesRoundTrip) {
    const SampleRecord empty;
    const Bytes encoded = encode(empty);
    auto decoded = decode<SampleRecord>(encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, empty);
    EXPECT_EQ(encode(*decoded), encoded);
}

TEST(Codec, EveryTruncationIsRejected) {
    const Bytes encoded = encode(sample_record());
    for (size_t size = 0; size < encoded.size(); ++size) {
        auto decoded = decode<SampleRecord>(ByteSpan(encoded).first(size));
        ASSERT_FALSE(decoded.has_value()) << size;
        EXPECT_EQ(decoded.error(), DecodeError::truncated) << size;
    }
}

TEST(Codec, TrailingBytesAreRejected) {
    Bytes encoded = encode(sample_record());
    encoded.push_back(0);
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::trailing_bytes);
}

// Offsets into sample_hex / 2.
constexpr size_t flag_offset = 1 + 2 + 4 + 8 + 32;
constexpr size_t payload_offset = flag_offset + 1 + 32;
constexpr size_t name_offset = payload_offset + 4 + 4;
constexpr size_t kind_offset = name_offset + 4 + 5;
constexpr size_t option_offset = kind_offset + 1;
constexpr size_t values_offset = option_offset + 9;

TEST(Codec, RejectsInvalidBool) {
    Bytes encoded = encode(sample_record());
    encoded[flag_offset] = 2;
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::invalid_bool);
    encoded = encode(sample_record());
    encoded[option_offset] = 7;
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::invalid_bool);
}

TEST(Codec, RejectsLengthsOverTheFieldMaximum) {
    Bytes encoded = encode(sample_record());
    encoded[payload_offset] = SampleRecord::payload_size_max + 1;
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::length_too_large);
    encoded = encode(sample_record());
    encoded[payload_offset + 3] = 0xff;  // 4 GiB claimed
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::length_too_large);
    encoded = encode(sample_record());
    encoded[values_offset] = SampleRecord::values_count_max + 1;
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::length_too_large);
}

TEST(Codec, RejectsCountsTheInputCannotHold) {
    Bytes encoded = encode(sample_record());
    encoded[values_offset] = 3;  // three u32 announced, two present
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::truncated);
}

TEST(Codec, RejectsUnknownTags) {
    Bytes encoded = encode(sample_record());
    encoded[kind_offset] = testing::sample_kind_count;
    EXPECT_EQ(decode<SampleRecord>(encoded).error(), DecodeError::unknown_tag);
}

TEST(Codec, RejectsInvalidUtf8) {
    for (const Bytes& bad : {Bytes{0xff}, Bytes{0xc0, 0x80}, Bytes{0xed, 0xa0, 0x80}, Bytes{0xe2, 0x82},
                             Bytes{0xf4, 0x90, 0x80, 0x80}}) {
        SampleRecord record = sample_record();
        record.name.assign(bad.begin(), bad.end());
        EXPECT_EQ(decode<SampleRecord>(encode(record)).error(), DecodeError::invalid_utf8);
    }
    SampleRecord record = sample_record();
    record.name = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // café € 😀
    EXPECT_EQ(decode<SampleRecord>(encode(record)).value(), record);
}

TEST(Codec, ReaderPrimitives) {
    const Bytes input = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    Reader reader(input);
    EXPECT_EQ(reader.u16().value(), 0x0201);
    EXPECT_EQ(reader.u32().value(), 0x06050403u);
    EXPECT_EQ(reader.remaining(), 2u);
    EXPECT_EQ(reader.offset(), 6u);
    EXPECT_EQ(reader.finish().error(), DecodeError::trailing_bytes);
    EXPECT_EQ(reader.u64().error(), DecodeError::truncated);
    EXPECT_EQ(reader.u16().value(), 0x0807);
    EXPECT_TRUE(reader.finish().has_value());
}

TEST(Codec, EveryErrorHasAMessage) {
    for (int e = 0; e <= static_cast<int>(DecodeError::invalid_value); ++e) {
        EXPECT_NE(to_string(static_cast<DecodeError>(e)), "decode error");
    }
}

}  // namespace
}  // namespace fleek::codec
