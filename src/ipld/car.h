// Content-addressed archives (docs/formats/ipfs-car.md).
//
// CARv1 = varint(header length) | DAG-CBOR header {"roots": [CID...], "version": 1}
//         | sections: varint(length) | CID | block bytes   (length = CID size + block size)
// CARv2 = 11-byte pragma | 40-byte header (16 characteristics, u64 LE data offset, data size,
//         index offset) | a CARv1 payload at data offset | optional index at index offset.
//
// CarStreamReader is a push parser for CARs arriving over the network or read from a file in
// pieces: feed() bytes in any split, it calls back with the header and with every block, after
// checking the block against its CID (a block whose hash function we cannot compute is an
// error: nothing unverified comes out). Limits bound the header, each section and the totals.
// read_car() reads a whole CAR in memory (v1 or v2) and, for v2, also checks its index: every
// index entry must point at a section holding a block with that digest. Errors name the problem
// and the byte offset where it was found.
#pragma once

#include "ipld/cid.h"
#include "util/encoding.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fleek::ipld {

enum class CarErrorCode : uint8_t {
    truncated,             // input ended inside the header, a section or the v2 structure
    invalid_varint,
    header_too_large,
    invalid_header,        // not the DAG-CBOR map {roots, version}
    unsupported_version,
    zero_length_section,
    section_too_large,
    invalid_cid,
    unverifiable_block,    // a hash function we cannot compute
    hash_mismatch,         // the block's bytes do not hash to its CID
    invalid_v2_header,     // offsets outside the file or overlapping
    invalid_index,
    index_mismatch,        // the index names an offset that holds another block
    too_many_blocks,
    too_much_data,
    stopped,               // the block callback asked to stop
};
std::string_view to_string(CarErrorCode code) noexcept;

struct CarError {
    CarErrorCode code;
    uint64_t offset = 0;  // byte offset in the CAR where the problem was found
    std::string detail;
    // "<what> at byte <offset>: <detail>"
    std::string message() const;
};

struct CarHeader {
    uint64_t version = 1;
    std::vector<Cid> roots;
    friend bool operator==(const CarHeader&, const CarHeader&) = default;
};

struct CarV2Header {
    ByteArray<16> characteristics{};
    uint64_t data_offset = 0;
    uint64_t data_size = 0;
    uint64_t index_offset = 0;  // 0: no index
    bool fully_indexed() const noexcept { return (characteristics[0] & 0x80) != 0; }
};

inline constexpr size_t car_v2_pragma_size = 11;
inline constexpr size_t car_v2_header_size = 40;
// The pragma: varint(10) and the DAG-CBOR map {"version": 2}.
inline constexpr uint8_t car_v2_pragma[car_v2_pragma_size] = {0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72,
                                                              0x73, 0x69, 0x6f, 0x6e, 0x02};

struct CarLimits {
    uint64_t max_header_bytes = uint64_t{1} << 20;
    uint64_t max_section_bytes = uint64_t{8} << 20;
    uint64_t max_blocks = UINT64_MAX;
    uint64_t max_total_bytes = UINT64_MAX;  // of block bytes
};

// The DAG-CBOR header (without its length prefix).
Bytes encode_car_header(const CarHeader& header);
Result<CarHeader, CarError> decode_car_header(ByteSpan bytes);

// Appends a CARv1 header (with its length prefix) or a section to `out`.
void append_car_header(Bytes& out, const std::vector<Cid>& roots);
void append_car_section(Bytes& out, const Cid& cid, ByteSpan block);
inline size_t car_section_size(const Cid& cid, size_t block_size) {
    const size_t length = cid.bytes().size() + block_size;
    return varint_size(length) + length;
}
// The bytes before the block in a section: varint(length) and the CID.
Bytes car_section_prefix(const Cid& cid, size_t block_size);

class CarStreamReader {
public:
    struct Block {
        const Cid& cid;
        ByteSpan bytes;
        uint64_t offset;  // of the section's length varint, from the start of the CAR
        uint64_t payload_offset;  // the same, from the start of the CARv1 payload (v2: data offset)
    };
    // Return false to stop reading (feed() then fails with CarErrorCode::stopped).
    using HeaderFunction = std::function<bool(const CarHeader&)>;
    using BlockFunction = std::function<bool(const Block&)>;

    CarStreamReader(CarLimits limits, HeaderFunction on_header, BlockFunction on_block);

    // Consumes bytes; fails on the first problem, after which the reader accepts nothing more.
    Result<void, CarError> feed(ByteSpan bytes);
    // The end of input: fails if it ended inside a header or section.
    Result<void, CarError> finish();

    uint64_t blocks() const noexcept { return m_blocks; }
    uint64_t block_bytes() const noexcept { return m_block_bytes; }
    const std::optional<CarV2Header>& v2_header() const noexcept { return m_v2; }

private:
    enum class State : uint8_t { start, v2_header, skip_to_data, header_length, header, section_length, section, skip_rest, failed };
    Result<void, CarError> step();
    Result<void, CarError> failure(CarErrorCode code, uint64_t offset, std::string detail);

    CarLimits m_limits;
    HeaderFunction m_on_header;
    BlockFunction m_on_block;
    State m_state = State::start;
    Bytes m_buffer;       // bytes of the current unit not yet complete
    size_t m_needed = 0;  // bytes the current unit needs
    uint64_t m_offset = 0;       // CAR offset of the first byte in m_buffer
    uint64_t m_payload_start = 0;
    uint64_t m_payload_end = UINT64_MAX;  // v2: end of the data payload
    uint64_t m_blocks = 0;
    uint64_t m_block_bytes = 0;
    std::optional<CarV2Header> m_v2;
    bool m_header_seen = false;
};

struct CarBlockRef {
    Cid cid;
    uint64_t offset;        // section start in the file
    uint64_t block_offset;  // first byte of the block in the file
    uint64_t block_size;
};

struct CarContents {
    CarHeader header;  // the v1 header (for v2: the inner one)
    std::optional<CarV2Header> v2;
    std::vector<CarBlockRef> blocks;  // in file order, every one verified
    uint64_t index_entries = 0;       // v2 index entries checked
};

// Reads and verifies a whole CAR held in memory (v1, or v2 with or without index).
Result<CarContents, CarError> read_car(ByteSpan bytes, const CarLimits& limits = {});

// Reads the CARv2 index at `index` (the bytes from index offset to the end of the file) into
// (multihash code, digest, payload offset) entries. IndexSorted (0x0400) and
// MultihashIndexSorted (0x0401) are supported; bucket byte lengths as go-car writes them.
struct CarIndexEntry {
    uint64_t hash_code;  // 0 when the index does not say (IndexSorted)
    Bytes digest;
    uint64_t offset;     // from the start of the CARv1 payload
};
Result<std::vector<CarIndexEntry>, CarError> read_car_index(ByteSpan index, uint64_t file_offset);

}  // namespace fleek::ipld
