#include "content/transfer.h"

#include "codec/codec.h"
#include "util/assert.h"

namespace fleek::content {

namespace {

constexpr size_t request_bytes = transfer_prefix_bytes + 32 + 8 + 8 + 2;
constexpr size_t credit_bytes = transfer_prefix_bytes + 4;
constexpr size_t cancel_bytes = transfer_prefix_bytes;
constexpr size_t file_bytes = transfer_prefix_bytes + 8 + 8 + 8;
constexpr size_t directory_bytes = transfer_prefix_bytes + 4;
constexpr size_t directory_part_header_bytes = transfer_prefix_bytes + 4;
constexpr size_t error_bytes = transfer_prefix_bytes + 1;

// The size a fixed-size type must have, or 0 for the variable-size ones.
Result<size_t, TransferFormatError> fixed_size_of(uint8_t type) {
    switch (static_cast<TransferType>(type)) {
        case TransferType::request: return request_bytes;
        case TransferType::credit: return credit_bytes;
        case TransferType::cancel: return cancel_bytes;
        case TransferType::file: return file_bytes;
        case TransferType::directory: return directory_bytes;
        case TransferType::error: return error_bytes;
        case TransferType::block:
        case TransferType::directory_part: return size_t{0};
    }
    return fail(TransferFormatError::unknown_type);
}

bool is_valid_code(uint8_t code) {
    return code >= static_cast<uint8_t>(TransferErrorCode::not_found) && code <= static_cast<uint8_t>(TransferErrorCode::unavailable);
}

// Reads of fields whose presence the size checks above already guarantee.
uint64_t must(const Result<uint64_t, codec::DecodeError>& value) {
    FLEEK_ASSERT(value.has_value());
    return *value;
}

Result<TransferBody, TransferFormatError> decode_body(TransferType type, codec::Reader& reader) {
    switch (type) {
        case TransferType::request: {
            TransferRequest request;
            request.hash = reader.array<32>().value();
            request.first_block = must(reader.u64());
            request.end_block = must(reader.u64());
            request.window = reader.u16().value();
            if (request.window == 0 || request.window > transfer_window_max) return fail(TransferFormatError::invalid_field);
            if (request.first_block >= transfer_blocks_max || request.end_block > transfer_blocks_max) {
                return fail(TransferFormatError::invalid_field);
            }
            if (request.end_block != 0 && request.end_block <= request.first_block) return fail(TransferFormatError::invalid_field);
            return request;
        }
        case TransferType::credit: {
            const uint32_t blocks = reader.u32().value();
            if (blocks == 0 || blocks > transfer_credit_max) return fail(TransferFormatError::invalid_field);
            return TransferCredit{blocks};
        }
        case TransferType::cancel: return TransferCancel{};
        case TransferType::file: {
            TransferFile file;
            file.content_length = must(reader.u64());
            file.first_block = must(reader.u64());
            file.end_block = must(reader.u64());
            if (file.content_length > transfer_content_length_max || file.first_block >= file.end_block ||
                file.end_block > block_count(file.content_length)) {
                return fail(TransferFormatError::invalid_field);
            }
            return file;
        }
        case TransferType::block: {
            TransferBlock block;
            block.index = must(reader.u64());
            const uint8_t count = reader.u8().value();
            if (count > proof_hashes_max || block.index >= transfer_blocks_max) return fail(TransferFormatError::invalid_field);
            if (reader.remaining() < size_t{count} * 32) return fail(TransferFormatError::truncated);
            block.proof.reserve(count);
            for (uint8_t i = 0; i < count; ++i) block.proof.push_back(reader.array<32>().value());
            block.bytes = reader.fixed(reader.remaining()).value();
            if (block.bytes.size() > block_size) return fail(TransferFormatError::invalid_field);
            return block;
        }
        case TransferType::directory: {
            const uint32_t length = reader.u32().value();
            if (length < transfer_directory_bytes_min || length > transfer_directory_bytes_max) {
                return fail(TransferFormatError::invalid_field);
            }
            return TransferDirectory{length};
        }
        case TransferType::directory_part: {
            TransferDirectoryPart part;
            part.offset = reader.u32().value();
            part.bytes = reader.fixed(reader.remaining()).value();
            if (part.bytes.empty() || part.bytes.size() > transfer_directory_part_bytes_max ||
                uint64_t{part.offset} + part.bytes.size() > transfer_directory_bytes_max) {
                return fail(TransferFormatError::invalid_field);
            }
            return part;
        }
        case TransferType::error: {
            const uint8_t code = reader.u8().value();
            if (!is_valid_code(code)) return fail(TransferFormatError::invalid_field);
            return TransferError{static_cast<TransferErrorCode>(code)};
        }
    }
    return fail(TransferFormatError::unknown_type);
}

void write_prefix(codec::Writer& writer, TransferType type, uint64_t request_id) {
    writer.u8(static_cast<uint8_t>(type));
    writer.u64(request_id);
}

}  // namespace

std::string_view to_string(TransferErrorCode code) noexcept {
    switch (code) {
        case TransferErrorCode::not_found: return "not found";
        case TransferErrorCode::busy: return "busy";
        case TransferErrorCode::bad_request: return "bad request";
        case TransferErrorCode::bad_range: return "range outside the content";
        case TransferErrorCode::too_large: return "too large";
        case TransferErrorCode::unavailable: return "unavailable";
    }
    return "unknown answer";
}

std::string_view to_string(TransferFormatError error) noexcept {
    switch (error) {
        case TransferFormatError::empty: return "empty message";
        case TransferFormatError::unknown_type: return "unknown message type";
        case TransferFormatError::truncated: return "truncated message";
        case TransferFormatError::trailing_bytes: return "bytes after the message";
        case TransferFormatError::too_large: return "message too large";
        case TransferFormatError::invalid_field: return "field out of bounds";
    }
    return "transfer format error";
}

Result<TransferMessage, TransferFormatError> decode_transfer_message(ByteSpan payload) {
    if (payload.empty()) return fail(TransferFormatError::empty);
    if (payload.size() > transfer_message_bytes_max) return fail(TransferFormatError::too_large);
    auto fixed = fixed_size_of(payload[0]);
    if (!fixed) return fail(fixed.error());
    const auto type = static_cast<TransferType>(payload[0]);
    const size_t minimum = *fixed != 0 ? *fixed
                           : type == TransferType::block ? transfer_block_header_bytes
                                                         : directory_part_header_bytes;
    if (payload.size() < minimum) return fail(TransferFormatError::truncated);
    if (*fixed != 0 && payload.size() > *fixed) return fail(TransferFormatError::trailing_bytes);

    codec::Reader reader(payload.subspan(1));
    TransferMessage message;
    message.request_id = must(reader.u64());
    auto body = decode_body(type, reader);
    if (!body) return fail(body.error());
    FLEEK_ASSERT(reader.remaining() == 0);
    message.body = std::move(*body);
    return message;
}

Bytes encode_transfer_message(const TransferMessage& message) {
    codec::Writer writer(transfer_block_header_bytes);
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, TransferRequest>) {
                write_prefix(writer, TransferType::request, message.request_id);
                writer.fixed(body.hash);
                writer.u64(body.first_block);
                writer.u64(body.end_block);
                writer.u16(body.window);
            } else if constexpr (std::is_same_v<T, TransferCredit>) {
                write_prefix(writer, TransferType::credit, message.request_id);
                writer.u32(body.blocks);
            } else if constexpr (std::is_same_v<T, TransferCancel>) {
                write_prefix(writer, TransferType::cancel, message.request_id);
            } else if constexpr (std::is_same_v<T, TransferFile>) {
                write_prefix(writer, TransferType::file, message.request_id);
                writer.u64(body.content_length);
                writer.u64(body.first_block);
                writer.u64(body.end_block);
            } else if constexpr (std::is_same_v<T, TransferBlock>) {
                writer.fixed(encode_transfer_block(message.request_id, body.index, body.proof, body.bytes));
            } else if constexpr (std::is_same_v<T, TransferDirectory>) {
                write_prefix(writer, TransferType::directory, message.request_id);
                writer.u32(body.encoding_length);
            } else if constexpr (std::is_same_v<T, TransferDirectoryPart>) {
                writer.fixed(encode_transfer_directory_part(message.request_id, body.offset, body.bytes));
            } else {
                static_assert(std::is_same_v<T, TransferError>);
                write_prefix(writer, TransferType::error, message.request_id);
                writer.u8(static_cast<uint8_t>(body.code));
            }
        },
        message.body);
    return writer.take();
}

namespace {

void write_block_header(codec::Writer& writer, uint64_t request_id, uint64_t index, const Proof& proof) {
    FLEEK_ASSERT(proof.size() <= proof_hashes_max);
    write_prefix(writer, TransferType::block, request_id);
    writer.u64(index);
    writer.u8(static_cast<uint8_t>(proof.size()));
    for (const Hash32& hash : proof) writer.fixed(hash);
}

}  // namespace

Bytes encode_transfer_block(uint64_t request_id, uint64_t index, const Proof& proof, ByteSpan block) {
    FLEEK_ASSERT(block.size() <= block_size);
    codec::Writer writer(transfer_block_message_bytes(proof.size(), block.size()));
    write_block_header(writer, request_id, index, proof);
    writer.fixed(block);
    return writer.take();
}

Bytes encode_transfer_block_header(uint64_t request_id, uint64_t index, const Proof& proof) {
    codec::Writer writer(transfer_block_message_bytes(proof.size(), 0));
    write_block_header(writer, request_id, index, proof);
    return writer.take();
}

Bytes encode_transfer_directory_part(uint64_t request_id, uint32_t offset, ByteSpan bytes) {
    FLEEK_ASSERT(!bytes.empty() && bytes.size() <= transfer_directory_part_bytes_max);
    codec::Writer writer(directory_part_header_bytes + bytes.size());
    write_prefix(writer, TransferType::directory_part, request_id);
    writer.u32(offset);
    writer.fixed(bytes);
    return writer.take();
}

std::optional<TransferDirection> transfer_direction(ByteSpan payload) noexcept {
    if (payload.empty()) return std::nullopt;
    return payload[0] < 0x80 ? TransferDirection::to_provider : TransferDirection::to_requester;
}

}  // namespace fleek::content
