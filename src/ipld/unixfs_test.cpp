#include "ipld/unixfs.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::ipld {
namespace {

TEST(Unixfs, KnownEncodings) {
    // A directory node's Data (content.md §5.4) and kubo's empty file leaf (QmbFMke1...).
    UnixfsData directory;
    directory.type = UnixfsType::directory;
    EXPECT_EQ(hex_encode(encode_unixfs(directory)), "0801");
    UnixfsData empty_file;
    empty_file.type = UnixfsType::file;
    empty_file.filesize = 0;
    EXPECT_EQ(hex_encode(encode_unixfs(empty_file)), "08021800");
    UnixfsData parent;
    parent.type = UnixfsType::file;
    parent.filesize = 262145;
    parent.blocksizes = {262144, 1};
    EXPECT_EQ(hex_encode(encode_unixfs(parent)), "0802188180102080801020" "01");
}

TEST(Unixfs, EveryFieldRoundTrips) {
    UnixfsData data;
    data.type = UnixfsType::hamt_shard;
    data.data = Bytes{0x01, 0x02};
    data.filesize = 7;
    data.blocksizes = {1, 2, 300};
    data.hash_type = 0x22;
    data.fanout = 256;
    data.mode = 0755;
    data.mtime = UnixTime{-5, 123};
    const Bytes encoded = encode_unixfs(data);
    EXPECT_EQ(decode_unixfs(encoded).value(), data);
    data.mtime = UnixTime{1700000000, std::nullopt};
    EXPECT_EQ(decode_unixfs(encode_unixfs(data)).value(), data);
}

TEST(Unixfs, AcceptsAnyFieldOrderAndPackedBlocksizes) {
    // filesize before Type; blocksizes packed (field 4, wire type 2).
    const Bytes bytes{0x18, 0x03, 0x08, 0x02, 0x22, 0x02, 0x01, 0x02};
    const UnixfsData data = decode_unixfs(bytes).value();
    EXPECT_EQ(data.type, UnixfsType::file);
    EXPECT_EQ(data.filesize, 3u);
    EXPECT_EQ(data.blocksizes, (std::vector<uint64_t>{1, 2}));
}

TEST(Unixfs, RejectsMalformedData) {
    EXPECT_EQ(decode_unixfs(Bytes{}).error(), UnixfsError::missing_type);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x06}).error(), UnixfsError::invalid_type);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x02, 0x08, 0x02}).error(), UnixfsError::duplicate_field);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x02, 0x18, 0x01, 0x18, 0x01}).error(), UnixfsError::duplicate_field);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x02, 0x48, 0x01}).error(), UnixfsError::unknown_field);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x02, 0x12, 0x05, 0x00}).error(), UnixfsError::truncated);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x82, 0x00}).error(), UnixfsError::invalid_varint);
    // mtime with nanoseconds out of range, and without seconds.
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x02, 0x42, 0x07, 0x08, 0x01, 0x15, 0x00, 0xca, 0x9a, 0x3b}).error(), UnixfsError::invalid_mtime);
    EXPECT_EQ(decode_unixfs(Bytes{0x08, 0x02, 0x42, 0x05, 0x15, 0x01, 0x00, 0x00, 0x00}).error(), UnixfsError::invalid_mtime);
    for (int e = 0; e <= static_cast<int>(UnixfsError::invalid_mtime); ++e) {
        EXPECT_NE(to_string(static_cast<UnixfsError>(e)), "unknown UnixFS error");
    }
}

}  // namespace
}  // namespace fleek::ipld
