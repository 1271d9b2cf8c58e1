// UnixFS: files, directories, HAMT-sharded directories and symlinks on top of DAG-PB
// (docs/formats/ipfs-dag-pb-unixfs.md). This header holds the `Data` message of a dag-pb node:
//
//   message Data {
//     required DataType Type = 1;    // Raw 0, Directory 1, File 2, Metadata 3, Symlink 4, HAMTShard 5
//     optional bytes Data = 2;       // file bytes, symlink target, HAMT bitfield
//     optional uint64 filesize = 3;
//     repeated uint64 blocksizes = 4;  // content bytes under each link of a file node
//     optional uint64 hashType = 5;  // HAMT: 0x22 (murmur3-x64-64)
//     optional uint64 fanout = 6;    // HAMT: 256
//     optional uint32 mode = 7;
//     optional UnixTime mtime = 8;   // { int64 Seconds = 1; fixed32 FractionalNanoseconds = 2 }
//   }
//
// Decoding accepts the fields in any order (protobuf allows it) and packed blocksizes, but rejects
// unknown fields, a repeated optional field and a missing Type; encoding writes field-number
// order, blocksizes unpacked, as go-unixfs and js-ipfs-unixfs do.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace fleek::ipld {

enum class UnixfsType : uint8_t { raw = 0, directory = 1, file = 2, metadata = 3, symlink = 4, hamt_shard = 5 };
std::string_view to_string(UnixfsType type) noexcept;

struct UnixTime {
    int64_t seconds = 0;
    std::optional<uint32_t> nanoseconds;
    friend bool operator==(const UnixTime&, const UnixTime&) = default;
};

struct UnixfsData {
    UnixfsType type = UnixfsType::file;
    std::optional<Bytes> data;
    std::optional<uint64_t> filesize;
    std::vector<uint64_t> blocksizes;
    std::optional<uint64_t> hash_type;
    std::optional<uint64_t> fanout;
    std::optional<uint32_t> mode;
    std::optional<UnixTime> mtime;
    friend bool operator==(const UnixfsData&, const UnixfsData&) = default;
};

enum class UnixfsError : uint8_t { truncated, invalid_varint, unknown_field, duplicate_field, missing_type, invalid_type, invalid_mtime };
std::string_view to_string(UnixfsError error) noexcept;

Result<UnixfsData, UnixfsError> decode_unixfs(ByteSpan bytes);
Bytes encode_unixfs(const UnixfsData& data);

}  // namespace fleek::ipld
