// Transport frames (docs/formats/transport.md): `u32 LE payload length | u8 channel | payload`.
//
// The decoder is incremental and pure: feed it whatever bytes the socket produced, in any split,
// and it returns the complete frames. It refuses a channel byte it does not know and a payload
// length over its maximum before buffering anything of that frame, so a peer cannot make it
// allocate more than `frame_bytes_max` plus one header.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace fleek::net {

// The multiplexed channels of one peer connection. `content` carries peer content transfers
// (docs/formats/content-transfer.md).
enum class Channel : uint8_t { consensus = 0, gossip = 1, sync = 2, request = 3, content = 4 };
inline constexpr size_t channel_count = 5;
std::string_view to_string(Channel channel) noexcept;

// The transport's own frames (keepalive pings); never delivered to the application.
inline constexpr uint8_t control_channel_byte = 0xff;
inline constexpr size_t frame_header_bytes = 5;

enum class FrameError : uint8_t {
    bad_channel,  // a channel byte that is neither an application channel nor the control channel
    too_large,    // a payload length over the decoder's maximum
};
std::string_view to_string(FrameError error) noexcept;

// `channel_byte` is 0..4 (an application Channel) or control_channel_byte.
struct Frame {
    uint8_t channel_byte = 0;
    Bytes payload;

    bool is_control() const noexcept { return channel_byte == control_channel_byte; }
    Channel channel() const noexcept { return static_cast<Channel>(channel_byte); }
};

bool is_valid_channel_byte(uint8_t byte) noexcept;

// The 5 header bytes of a frame with `payload_size` bytes of payload.
ByteArray<frame_header_bytes> encode_frame_header(uint8_t channel_byte, uint32_t payload_size) noexcept;
// Header and payload in one buffer.
Bytes encode_frame(Channel channel, ByteSpan payload);

class FrameDecoder {
public:
    explicit FrameDecoder(size_t frame_bytes_max) noexcept : m_frame_bytes_max(frame_bytes_max) {}

    // Consumes all of `input`, appending each completed frame to `out`. After an error the
    // decoder is spent: every later call returns the same error (the connection must close).
    Result<void, FrameError> feed(ByteSpan input, std::vector<Frame>& out);

    // Reading straight into a payload (no copy through a read buffer): while a frame's payload is
    // being received and at least `min_bytes` of it are missing, room for the next missing bytes
    // of it (at most `max_bytes`; the payload grows as it is filled, never past the length its
    // header announced, which was checked against the maximum); empty otherwise. The caller reads
    // into it and reports how many bytes arrived with commit_direct before any other call.
    std::span<uint8_t> direct_space(size_t min_bytes, size_t max_bytes);
    // `bytes` (at most the room direct_space gave) arrived in that room; a completed frame is
    // appended to `out`.
    void commit_direct(size_t bytes, std::vector<Frame>& out);

    // True when bytes of an unfinished frame are buffered (a peer that stops here sent a
    // truncated frame).
    bool mid_frame() const noexcept { return m_header_filled > 0; }
    // Bytes of the unfinished frame received so far, and the size it announced (0 while the
    // header itself is incomplete).
    size_t partial_bytes() const noexcept { return m_header_filled + m_payload_filled; }
    size_t partial_frame_bytes() const noexcept { return m_header_filled == frame_header_bytes ? frame_header_bytes + m_payload_size : 0; }

private:
    void finish_frame(std::vector<Frame>& out);

    size_t m_frame_bytes_max;
    ByteArray<frame_header_bytes> m_header{};
    size_t m_header_filled = 0;
    size_t m_payload_size = 0;
    size_t m_payload_filled = 0;  // bytes of m_payload received (it may be larger: room for direct reads)
    Bytes m_payload;
    std::optional<FrameError> m_error;
};

}  // namespace fleek::net
