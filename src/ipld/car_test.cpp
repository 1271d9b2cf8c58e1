#include "ipld/car.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace fleek::ipld {
namespace {

using testing::read_text;
using testing::sha256_hex;
using testing::source_path;

// ipld/go-car test data, copied unchanged into tests/vectors/car (tests/vectors/README.md).
const std::map<std::string, std::string> vector_sha256 = {
    {"badheaderlength.car", "116533145b049e839aa209500136a24ec95e26953eb00abf4e827ef1d4c51a52"},
    {"badsectionlength.car", "04d1540e47c243b870e2e1cb743c0e8b71dcc36d003a2c974d5d5c42ef9b4fcf"},
    {"sample-corrupt-pragma.car", "8a93b271a2d999151e659d0362993e46c0445f725344a8600729425aeb82ff41"},
    {"sample-rootless-v42.car", "77c117d7f164aa2652acc8aa9a846783a15a2a80d87aa27d26b9056fe1ce011b"},
    {"sample-rw-bs-v2.car", "e38340d98291f9373eb39093490000585087c3e98e60e07513359b9e30502755"},
    {"sample-unixfs-v2.car", "d853bb976818df5ba74c14d9d0c391a81b04177e85bb3c429a7b9f6e7ff66e6b"},
    {"sample-v1-tailing-corrupt-section.car", "7a7e805e797cd141ec607dd6c91dc07ff7f2d4888f720e0eda120158a6765b4a"},
    {"sample-v1-with-zero-len-section.car", "78660600384938581a990055b6dfa28145282dd6799428fcde1a1caaf16c5f71"},
    {"sample-v1.car", "a94c376598d06d2cf4061079c8b25f7d544a94766da710182c839f754951a730"},
    {"sample-v2-corrupt-data-and-index.car", "dafe2fbd731ceffcce09239b578badd12299e1ed2413e87b8a8529dd5fa9f02e"},
    {"sample-v2-indexless.car", "4c1b83a2160343b08e40e5e2cb5d85a57424e491f04d102d2490ea6c64dc660f"},
    {"sample-wrapped-v2.car", "0e41236279febfd398ef836ea65f99a2c42596c212563304d2273ca852047ad9"},
    {"simple-unixfs-missing-blocks.car", "56b66c96f7776b690fea7c42a4115097101ef320e7dd2eac331272da8e138f21"},
    {"simple-unixfs.car", "48992440c173107497abf293fc01891a22554ac8bbf6c9605dcbafd57ad26534"},
    {"wikipedia-cryptographic-hash-function.car", "7e0b7d764b52ad35f4264ae7e67f0e39522e0f873c7ed27e94f71bea723b5bed"},
};

std::string vector(const std::string& name) {
    const std::string bytes = read_text(source_path("tests/vectors/car/" + name));
    EXPECT_EQ(sha256_hex(bytes), vector_sha256.at(name)) << name;
    return bytes;
}

TEST(Car, VectorsArePinned) {
    for (const auto& [name, digest] : vector_sha256) EXPECT_EQ(sha256_hex(read_text(source_path("tests/vectors/car/" + name))), digest);
}

TEST(Car, ReadsGoCarSampleV1) {
    // 1049 blocks: 1043 dag-cbor blocks hashed with blake2b-256 and 6 identity raw blocks.
    const std::string bytes = vector("sample-v1.car");
    const CarContents car = read_car(as_bytes(bytes)).value();
    EXPECT_FALSE(car.v2.has_value());
    EXPECT_EQ(car.header.version, 1u);
    ASSERT_EQ(car.header.roots.size(), 1u);
    EXPECT_EQ(car.header.roots[0].codec(), multicodec::dag_cbor);
    EXPECT_EQ(car.blocks.size(), 1049u);
    size_t identity = 0;
    for (const auto& block : car.blocks) identity += block.cid.hash_code() == multicodec::identity;
    EXPECT_EQ(identity, 6u);
}

TEST(Car, ReadsCarV2WithAndWithoutIndex) {
    const std::string v1 = vector("sample-v1.car");
    const CarContents reference = read_car(as_bytes(v1)).value();
    for (const std::string name : {"sample-wrapped-v2.car", "sample-v2-indexless.car"}) {
        const std::string bytes = vector(name);
        const CarContents car = read_car(as_bytes(bytes)).value();
        ASSERT_TRUE(car.v2.has_value()) << name;
        EXPECT_EQ(car.v2->data_offset, 51u);
        EXPECT_EQ(car.v2->data_size, v1.size());
        EXPECT_EQ(car.header, reference.header);
        ASSERT_EQ(car.blocks.size(), reference.blocks.size());
        for (size_t i = 0; i < car.blocks.size(); ++i) {
            EXPECT_EQ(car.blocks[i].cid, reference.blocks[i].cid);
            EXPECT_EQ(car.blocks[i].offset, reference.blocks[i].offset + 51);
        }
    }
    // The index of the wrapped sample: MultihashIndexSorted, one bucket per code, byte-length
    // buckets (the go-car quirk), identity CIDs not indexed.
    const std::string wrapped = vector("sample-wrapped-v2.car");
    const CarContents car = read_car(as_bytes(wrapped)).value();
    EXPECT_EQ(car.v2->index_offset, 479958u);
    EXPECT_EQ(car.index_entries, 1043u);
    for (const std::string name : {"sample-rw-bs-v2.car", "sample-unixfs-v2.car"}) {
        const std::string bytes = vector(name);
        const CarContents small = read_car(as_bytes(bytes)).value();
        EXPECT_EQ(small.blocks.size(), 3u) << name;
        EXPECT_EQ(small.index_entries, 3u) << name;
    }
}

TEST(Car, IndexThatPointsElsewhereIsRejected) {
    std::string bytes = vector("sample-unixfs-v2.car");
    // Flip a digest byte inside the index: it then names a block the data does not hold there.
    const size_t index_offset = 335;
    bytes[index_offset + 2 + 4 + 8 + 4 + 4 + 8 + 3] ^= 0x01;  // codec varint, counts, code, width, length
    const auto car = read_car(as_bytes(bytes));
    ASSERT_FALSE(car.has_value());
    EXPECT_EQ(car.error().code, CarErrorCode::index_mismatch);
}

struct Rejected {
    std::string name;
    CarErrorCode code;
    std::string fragment;  // the message names the problem
};

TEST(Car, CorruptVectorsAreRejectedWithAClearError) {
    const std::vector<Rejected> cases = {
        {"badheaderlength.car", CarErrorCode::header_too_large, "CAR header too large at byte 0"},
        {"badsectionlength.car", CarErrorCode::section_too_large, "section too large at byte 18: section 0 claims"},
        // Its header claims 18 bytes; the file ends after 15 of them.
        {"sample-corrupt-pragma.car", CarErrorCode::truncated, "truncated CAR at byte 16: inside the header"},
        {"sample-rootless-v42.car", CarErrorCode::unsupported_version, "version 42"},
        // The last section claims more bytes than the file has.
        {"sample-v1-tailing-corrupt-section.car", CarErrorCode::truncated, "inside section 1048"},
        {"sample-v1-with-zero-len-section.car", CarErrorCode::zero_length_section, "zero-length section at byte 479907"},
        {"sample-v2-corrupt-data-and-index.car", CarErrorCode::invalid_v2_header, "data offset 18446744073709550254 and size 479907 are impossible"},
    };
    for (const auto& item : cases) {
        const std::string bytes = vector(item.name);
        const auto car = read_car(as_bytes(bytes));
        ASSERT_FALSE(car.has_value()) << item.name;
        EXPECT_EQ(car.error().code, item.code) << item.name << ": " << car.error().message();
        EXPECT_NE(car.error().message().find(item.fragment), std::string::npos) << item.name << ": " << car.error().message();
    }
    // A valid CAR whose DAG lacks blocks is a valid CAR: completeness is the DAG reader's business.
    EXPECT_EQ(read_car(as_bytes(vector("simple-unixfs-missing-blocks.car"))).value().blocks.size(), 17u);
}

TEST(Car, TruncationAnywhereIsReported) {
    const std::string bytes = vector("simple-unixfs.car");
    const CarContents whole = read_car(as_bytes(bytes)).value();
    ASSERT_GE(whole.blocks.size(), 2u);
    // Where a CAR may end: after its header (no blocks) or after any section.
    std::map<uint64_t, size_t> boundaries{{whole.blocks[0].offset, 0}};
    for (size_t i = 0; i < whole.blocks.size(); ++i) boundaries[whole.blocks[i].block_offset + whole.blocks[i].block_size] = i + 1;
    ASSERT_EQ(boundaries.rbegin()->first, bytes.size());
    size_t shorter = 0;
    size_t truncated = 0;
    for (size_t cut = 1; cut < bytes.size(); ++cut) {
        const auto car = read_car(as_bytes(std::string_view(bytes).substr(0, cut)));
        const auto boundary = boundaries.find(cut);
        if (boundary != boundaries.end()) {
            // Cut exactly between sections: a valid, shorter CAR with the blocks before the cut.
            ASSERT_TRUE(car.has_value()) << cut << ": " << car.error().message();
            ASSERT_EQ(car->blocks.size(), boundary->second) << cut;
            for (size_t i = 0; i < car->blocks.size(); ++i) EXPECT_EQ(car->blocks[i].cid, whole.blocks[i].cid) << cut;
            ++shorter;
            continue;
        }
        ASSERT_FALSE(car.has_value()) << "a CAR cut at byte " << cut << " inside a section or its header was accepted";
        const CarErrorCode expected = cut < whole.blocks[0].offset ? CarErrorCode::invalid_header : CarErrorCode::truncated;
        EXPECT_TRUE(car.error().code == expected || car.error().code == CarErrorCode::truncated) << cut << ": " << car.error().message();
        ++truncated;
    }
    EXPECT_EQ(shorter, whole.blocks.size());  // every boundary but the end of the file
    EXPECT_EQ(shorter + truncated, bytes.size() - 1);
}

TEST(Car, StreamingInAnySplitGivesTheSameBlocks) {
    const std::string bytes = vector("sample-wrapped-v2.car");
    const CarContents whole = read_car(as_bytes(bytes)).value();
    std::mt19937 rng(7);
    for (int round = 0; round < 3; ++round) {
        std::vector<Cid> seen;
        CarStreamReader reader({}, nullptr, [&](const CarStreamReader::Block& block) {
            seen.push_back(block.cid);
            return true;
        });
        size_t at = 0;
        while (at < bytes.size()) {
            const size_t piece = std::min<size_t>(bytes.size() - at, 1 + rng() % 70000);
            ASSERT_TRUE(reader.feed(as_bytes(std::string_view(bytes).substr(at, piece))).has_value());
            at += piece;
        }
        ASSERT_TRUE(reader.finish().has_value());
        ASSERT_EQ(seen.size(), whole.blocks.size());
        for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], whole.blocks[i].cid);
    }
}

TEST(Car, WriterOutputReadsBack) {
    const Cid a = Cid::of(multicodec::raw, as_bytes("a"));
    const Cid b = Cid::parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").value();
    Bytes car;
    append_car_header(car, {a, b});
    append_car_section(car, a, as_bytes("a"));
    const CarContents read = read_car(car).value();
    EXPECT_EQ(read.header.roots, (std::vector<Cid>{a, b}));
    ASSERT_EQ(read.blocks.size(), 1u);
    EXPECT_EQ(read.blocks[0].block_size, 1u);
    EXPECT_EQ(car[read.blocks[0].block_offset], 'a');
    EXPECT_EQ(car_section_size(a, 1), car.size() - read.blocks[0].offset);
    // The header bytes of content.md §5.6: map, "roots", array of tag 42 byte strings with the
    // 0x00 prefix, "version" 1.
    const Bytes header = encode_car_header(CarHeader{1, {b}});
    EXPECT_EQ(hex_encode(Bytes(header.begin(), header.begin() + 14)), "a265726f6f747381d82a58230012");
    EXPECT_EQ(hex_encode(Bytes(header.end() - 9, header.end())), "6776657273696f6e01");
    EXPECT_EQ(decode_car_header(header).value(), (CarHeader{1, {b}}));
    // Version 2 is the pragma: no roots (found by the fuzz target).
    const Bytes pragma = encode_car_header(CarHeader{2, {}});
    EXPECT_TRUE(std::equal(pragma.begin(), pragma.end(), car_v2_pragma + 1, car_v2_pragma + car_v2_pragma_size));
    EXPECT_EQ(decode_car_header(pragma).value().version, 2u);
}

TEST(Car, LimitsAndCallbacksStopReading) {
    const std::string bytes = vector("simple-unixfs.car");
    CarLimits limits;
    limits.max_blocks = 5;
    auto car = read_car(as_bytes(bytes), limits);
    ASSERT_FALSE(car.has_value());
    EXPECT_EQ(car.error().code, CarErrorCode::too_many_blocks);
    limits = {};
    limits.max_total_bytes = 100;
    EXPECT_EQ(read_car(as_bytes(bytes), limits).error().code, CarErrorCode::too_much_data);
    CarStreamReader reader({}, nullptr, [](const CarStreamReader::Block&) { return false; });
    EXPECT_EQ(reader.feed(as_bytes(bytes)).error().code, CarErrorCode::stopped);
    EXPECT_FALSE(reader.feed(as_bytes(bytes)).has_value());
}

TEST(Car, HeaderStrictness) {
    // Indefinite-length map, non-minimal length, unknown key, roots without the 0x00 prefix.
    EXPECT_FALSE(decode_car_header(Bytes{0xbf, 0xff}).has_value());
    EXPECT_FALSE(decode_car_header(Bytes{0xa1, 0x78, 0x07, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01}).has_value());
    EXPECT_FALSE(decode_car_header(Bytes{0xa2, 0x67, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0x01, 0x61, 'x', 0x01}).has_value());
    const Cid a = Cid::of(multicodec::raw, as_bytes("a"));
    Bytes header = encode_car_header(CarHeader{1, {a}});
    header[12] = 0x01;  // the identity multibase prefix byte
    EXPECT_FALSE(decode_car_header(header).has_value());
    for (int e = 0; e <= static_cast<int>(CarErrorCode::stopped); ++e) {
        EXPECT_NE(to_string(static_cast<CarErrorCode>(e)), "unknown CAR error");
    }
}

}  // namespace
}  // namespace fleek::ipld
