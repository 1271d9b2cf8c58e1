// Messages of the peer content transfer (docs/formats/content-transfer.md), carried one per frame
// on the transport's `content` channel.
//
//   type u8 | request id u64 LE | body
//   requester -> provider: request (hash, block range, window), credit (blocks), cancel
//   provider -> requester: file (content length, range), block (index, verified-stream proof,
//                          bytes), directory (encoding length), directory part (offset, bytes),
//                          error (code)
//
// The decoder is a pure function: it checks every size and bound of the format and returns views
// into the payload, so a block's bytes are never copied. What it cannot check alone (that a
// block belongs to the content, that a file message matches the request) is the requester's job.
#pragma once

#include "content/proof.h"
#include "content/stream.h"

#include <cstdint>
#include <string_view>
#include <variant>

namespace fleek::content {

inline constexpr uint64_t transfer_content_length_max = uint64_t{1} << 56;
inline constexpr uint64_t transfer_blocks_max = transfer_content_length_max / block_size;
inline constexpr uint16_t transfer_window_max = 64;
inline constexpr uint32_t transfer_credit_max = transfer_window_max;
inline constexpr uint32_t transfer_directory_bytes_min = 9;  // "FLKD", version, entry count
inline constexpr uint32_t transfer_directory_bytes_max = 16u << 20;
inline constexpr size_t transfer_directory_part_bytes_max = block_size;
inline constexpr size_t transfer_prefix_bytes = 1 + 8;  // type, request id
inline constexpr size_t transfer_block_header_bytes = transfer_prefix_bytes + 8 + 1;  // + index, proof count
inline constexpr size_t transfer_message_bytes_max = transfer_block_header_bytes + proof_hashes_max * 32 + block_size;

enum class TransferType : uint8_t {
    request = 0x01,
    credit = 0x02,
    cancel = 0x03,
    file = 0x81,
    block = 0x82,
    directory = 0x83,
    directory_part = 0x84,
    error = 0x8f,
};

// The provider's typed answers; each ends the transfer.
enum class TransferErrorCode : uint8_t {
    not_found = 1,
    busy = 2,
    bad_request = 3,
    bad_range = 4,
    too_large = 5,
    unavailable = 6,
};
std::string_view to_string(TransferErrorCode code) noexcept;

struct TransferRequest {
    Hash32 hash{};
    uint64_t first_block = 0;
    uint64_t end_block = 0;  // exclusive; 0 = through the last block
    uint16_t window = 0;     // 1..transfer_window_max
    friend bool operator==(const TransferRequest&, const TransferRequest&) = default;
};
struct TransferCredit {
    uint32_t blocks = 0;  // 1..transfer_credit_max
    friend bool operator==(const TransferCredit&, const TransferCredit&) = default;
};
struct TransferCancel {
    friend bool operator==(const TransferCancel&, const TransferCancel&) = default;
};
struct TransferFile {
    uint64_t content_length = 0;
    uint64_t first_block = 0;
    uint64_t end_block = 0;  // first < end <= block_count(content_length)
    friend bool operator==(const TransferFile&, const TransferFile&) = default;
};
// One block of the verified stream: its proof and its bytes (a view into the payload).
struct TransferBlock {
    uint64_t index = 0;
    Proof proof;
    ByteSpan bytes;
};
struct TransferDirectory {
    uint32_t encoding_length = 0;
    friend bool operator==(const TransferDirectory&, const TransferDirectory&) = default;
};
struct TransferDirectoryPart {
    uint32_t offset = 0;
    ByteSpan bytes;  // a view into the payload
};
struct TransferError {
    TransferErrorCode code = TransferErrorCode::bad_request;
    friend bool operator==(const TransferError&, const TransferError&) = default;
};

using TransferBody = std::variant<TransferRequest, TransferCredit, TransferCancel, TransferFile, TransferBlock,
                                  TransferDirectory, TransferDirectoryPart, TransferError>;

struct TransferMessage {
    uint64_t request_id = 0;
    TransferBody body;
};

enum class TransferFormatError : uint8_t {
    empty,           // no type byte
    unknown_type,
    truncated,       // shorter than its type needs
    trailing_bytes,  // longer than a fixed-size type
    too_large,       // over transfer_message_bytes_max
    invalid_field,   // a field outside its bounds (window, credit, range, length, proof count, code)
};
std::string_view to_string(TransferFormatError error) noexcept;

Result<TransferMessage, TransferFormatError> decode_transfer_message(ByteSpan payload);
Bytes encode_transfer_message(const TransferMessage& message);

// A block message built in one allocation: one copy of the block.
Bytes encode_transfer_block(uint64_t request_id, uint64_t index, const Proof& proof, ByteSpan block);
// A block message without the block: followed by the block's bytes, it is exactly
// encode_transfer_block (the provider's hot path sends the block from its own buffer, uncopied).
Bytes encode_transfer_block_header(uint64_t request_id, uint64_t index, const Proof& proof);
// A directory part message.
Bytes encode_transfer_directory_part(uint64_t request_id, uint32_t offset, ByteSpan bytes);
// Size of the block message for a block of `block_bytes` with `proof_hashes` hashes.
constexpr size_t transfer_block_message_bytes(size_t proof_hashes, size_t block_bytes) noexcept {
    return transfer_block_header_bytes + proof_hashes * 32 + block_bytes;
}

// Which side a payload is for, from its type byte alone (to route the channel's frames to the
// provider or the requester); nullopt for an empty payload.
enum class TransferDirection : uint8_t { to_provider, to_requester };
std::optional<TransferDirection> transfer_direction(ByteSpan payload) noexcept;

}  // namespace fleek::content
