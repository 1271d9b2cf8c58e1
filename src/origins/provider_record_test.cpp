#include "origins/provider_record.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::origins {
namespace {

// RFC 8032 §7.1 TEST 1.
crypto::NodeSecretKey rfc8032_test1() {
    return crypto::NodeSecretKey::from_seed(hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").value()).value();
}

crypto::Hash32 hello_hash() { return crypto::blake3(as_bytes("hello world\n")); }

// docs/formats/provider-records.md §Vector, computed by tests/vectors/origins/records_vector.py
// (struct, b3sum --derive-key, Python cryptography's Ed25519).
constexpr std::string_view vector_signed =
    "01d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    "dc5a4edb8240b018124052c330270696f96771a63b45250a5c17d3000e823355"
    "00401e18240a0600" "00" "009678d28b010000";
constexpr std::string_view vector_digest = "5cec0b6c7985fc5579cd85c0eef090be4f4f80b2d95828ce2146d3a0a2ea3176";
constexpr std::string_view vector_signature =
    "aa2c6a803d151f99ca4bdcbaefa31751a79dd42f67c72df30fb1fa67ea2c9350695373508a57931bfee5eb10145c1cec9946ffa3bd5018a6fbf5b306e7d9720a";

ProviderRecord vector_record() {
    return ProviderRecord::sign(rfc8032_test1(), hello_hash(), 1700000000000000, ProviderAction::announce, 1700043200000);
}

TEST(ProviderRecordFormat, GoldenVector) {
    const ProviderRecord record = vector_record();
    EXPECT_EQ(hex_encode(record.provider.bytes()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    EXPECT_EQ(hex_encode(record.signed_encoding()), vector_signed);
    EXPECT_EQ(hex_encode(record.digest()), vector_digest);
    EXPECT_EQ(hex_encode(record.signature.bytes()), vector_signature);
    const Bytes encoded = codec::encode(record);
    EXPECT_EQ(encoded.size(), provider_record_size);
    EXPECT_EQ(hex_encode(encoded), std::string(vector_signed) + std::string(vector_signature));
    EXPECT_TRUE(record.verify());
    // The record as another implementation wrote it decodes to the same record.
    EXPECT_EQ(codec::decode<ProviderRecord>(hex_decode(std::string(vector_signed) + std::string(vector_signature)).value()).value(), record);
    // The gossip batch of that one record.
    const ProviderRecord one[] = {record};
    EXPECT_EQ(hex_encode(encode_provider_batch(one)), "01000000" + std::string(vector_signed) + std::string(vector_signature));
}

TEST(ProviderRecordFormat, EveryFieldIsSigned) {
    const ProviderRecord record = vector_record();
    const Bytes encoded = codec::encode(record);
    // Flipping any one bit of the signed part leaves a record that decodes (or not) but never verifies.
    for (size_t byte = 0; byte < provider_record_size - 64; ++byte) {
        Bytes altered = encoded;
        altered[byte] ^= 0x01;
        auto decoded = codec::decode<ProviderRecord>(altered);
        if (decoded) {
            EXPECT_FALSE(decoded->verify()) << "byte " << byte;
        }
    }
    Bytes bad_signature = encoded;
    bad_signature.back() ^= 0x80;
    EXPECT_FALSE(codec::decode<ProviderRecord>(bad_signature).value().verify());
}

TEST(ProviderRecordFormat, DecodingIsStrict) {
    const Bytes encoded = codec::encode(vector_record());
    Bytes trailing = encoded;
    trailing.push_back(0);
    EXPECT_EQ(codec::decode<ProviderRecord>(trailing).error(), codec::DecodeError::trailing_bytes);
    EXPECT_EQ(codec::decode<ProviderRecord>(ByteSpan(encoded).first(encoded.size() - 1)).error(), codec::DecodeError::truncated);
    Bytes version = encoded;
    version[0] = 2;
    EXPECT_EQ(codec::decode<ProviderRecord>(version).error(), codec::DecodeError::unknown_tag);
    Bytes action = encoded;
    action[1 + 32 + 32 + 8] = 2;
    EXPECT_EQ(codec::decode<ProviderRecord>(action).error(), codec::DecodeError::unknown_tag);
    Bytes not_a_point = encoded;  // the identity: a small-order point, refused as a key
    std::fill(not_a_point.begin() + 1, not_a_point.begin() + 33, 0);
    not_a_point[1] = 1;
    EXPECT_EQ(codec::decode<ProviderRecord>(not_a_point).error(), codec::DecodeError::invalid_value);
}

TEST(ProviderRecordFormat, BatchesAreBounded) {
    EXPECT_EQ(decode_provider_batch(Bytes{0, 0, 0, 0}).error(), codec::DecodeError::invalid_value);  // empty
    codec::Writer too_many;
    too_many.u32(provider_batch_records_max + 1);
    EXPECT_EQ(decode_provider_batch(too_many.view()).error(), codec::DecodeError::length_too_large);
    codec::Writer short_input;  // a count the bytes cannot hold is refused before anything is allocated
    short_input.u32(200);
    EXPECT_EQ(decode_provider_batch(short_input.view()).error(), codec::DecodeError::truncated);

    const auto key = rfc8032_test1();
    std::vector<ProviderRecord> records;
    for (uint64_t i = 0; i < 600; ++i) {
        crypto::Hash32 content{};
        content[0] = static_cast<uint8_t>(i);
        content[1] = static_cast<uint8_t>(i >> 8);
        records.push_back(ProviderRecord::sign(key, content, i + 1, ProviderAction::announce, 1000));
    }
    const auto batches = provider_batches(records);
    ASSERT_EQ(batches.size(), 3u);  // 256 + 256 + 88
    std::vector<ProviderRecord> back;
    for (const auto& batch : batches) {
        EXPECT_LE(batch.size(), 64u * 1024);  // pushed whole by the gossip (push_bytes_max)
        auto decoded = decode_provider_batch(batch).value();
        back.insert(back.end(), decoded.begin(), decoded.end());
    }
    EXPECT_EQ(back, records);
}

TEST(ProviderRecordFormat, SnapshotMessagesRoundTrip) {
    ProviderSnapshotRequest first;
    EXPECT_EQ(hex_encode(codec::encode(first)), "0000040000");
    ProviderSnapshotRequest later{vector_record().key(), 100};
    EXPECT_EQ(codec::decode<ProviderSnapshotRequest>(codec::encode(later)).value(), later);
    EXPECT_EQ(codec::encode(later).size(), 1 + 64 + 4u);
    EXPECT_EQ(codec::decode<ProviderSnapshotRequest>(hex_decode("0000000000").value()).error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(codec::decode<ProviderSnapshotRequest>(hex_decode("0001040000").value()).error(), codec::DecodeError::invalid_value);
    EXPECT_EQ(codec::decode<ProviderSnapshotRequest>(hex_decode("0200040000").value()).error(), codec::DecodeError::invalid_bool);

    ProviderSnapshotPage page{std::nullopt, {vector_record()}, vector_record().key()};
    EXPECT_EQ(codec::decode<ProviderSnapshotPage>(codec::encode(page)).value(), page);
    ProviderSnapshotPage last{vector_record().key(), {}, std::nullopt};
    EXPECT_EQ(hex_encode(codec::encode(last)), "01" + hex_encode(vector_record().key()) + "00000000" + "00");
    codec::Writer too_many;
    too_many.u8(0);
    too_many.u32(provider_page_records_max + 1);
    EXPECT_EQ(codec::decode<ProviderSnapshotPage>(too_many.view()).error(), codec::DecodeError::length_too_large);
}

}  // namespace
}  // namespace fleek::origins
