#include "net/frame.h"

#include "util/assert.h"

#include <algorithm>

namespace fleek::net {

std::string_view to_string(Channel channel) noexcept {
    switch (channel) {
        case Channel::consensus: return "consensus";
        case Channel::gossip: return "gossip";
        case Channel::sync: return "sync";
        case Channel::request: return "request";
        case Channel::content: return "content";
    }
    return "unknown";
}

std::string_view to_string(FrameError error) noexcept {
    switch (error) {
        case FrameError::bad_channel: return "unknown channel byte";
        case FrameError::too_large: return "frame length over the maximum";
    }
    return "unknown frame error";
}

bool is_valid_channel_byte(uint8_t byte) noexcept { return byte < channel_count || byte == control_channel_byte; }

ByteArray<frame_header_bytes> encode_frame_header(uint8_t channel_byte, uint32_t payload_size) noexcept {
    ByteArray<frame_header_bytes> header{};
    for (int i = 0; i < 4; ++i) header[static_cast<size_t>(i)] = static_cast<uint8_t>(payload_size >> (8 * i));
    header[4] = channel_byte;
    return header;
}

Bytes encode_frame(Channel channel, ByteSpan payload) {
    FLEEK_ASSERT(payload.size() <= UINT32_MAX);
    const auto header = encode_frame_header(static_cast<uint8_t>(channel), static_cast<uint32_t>(payload.size()));
    Bytes out;
    out.reserve(frame_header_bytes + payload.size());
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

Result<void, FrameError> FrameDecoder::feed(ByteSpan input, std::vector<Frame>& out) {
    if (m_error) return fail(*m_error);
    while (!input.empty()) {
        if (m_header_filled < frame_header_bytes) {
            const size_t take = std::min(frame_header_bytes - m_header_filled, input.size());
            std::copy_n(input.begin(), take, m_header.begin() + static_cast<std::ptrdiff_t>(m_header_filled));
            m_header_filled += take;
            input = input.subspan(take);
            if (m_header_filled < frame_header_bytes) break;
            uint32_t length = 0;
            for (int i = 0; i < 4; ++i) length |= static_cast<uint32_t>(m_header[static_cast<size_t>(i)]) << (8 * i);
            if (!is_valid_channel_byte(m_header[4])) {
                m_error = FrameError::bad_channel;
                return fail(*m_error);
            }
            if (length > m_frame_bytes_max) {
                m_error = FrameError::too_large;
                return fail(*m_error);
            }
            m_payload_size = length;
            m_payload_filled = 0;
            m_payload.clear();
            m_payload.reserve(m_payload_size);
        }
        const size_t take = std::min(m_payload_size - m_payload_filled, input.size());
        if (m_payload.size() > m_payload_filled) {  // room made by direct_space
            const size_t into_room = std::min(take, m_payload.size() - m_payload_filled);
            std::copy_n(input.begin(), into_room, m_payload.begin() + static_cast<std::ptrdiff_t>(m_payload_filled));
            m_payload.insert(m_payload.end(), input.begin() + static_cast<std::ptrdiff_t>(into_room),
                             input.begin() + static_cast<std::ptrdiff_t>(take));
        } else {
            m_payload.insert(m_payload.end(), input.begin(), input.begin() + static_cast<std::ptrdiff_t>(take));
        }
        m_payload_filled += take;
        input = input.subspan(take);
        if (m_payload_filled == m_payload_size) finish_frame(out);
    }
    return {};
}

void FrameDecoder::finish_frame(std::vector<Frame>& out) {
    FLEEK_ASSERT(m_payload.size() == m_payload_size);
    out.push_back(Frame{m_header[4], std::move(m_payload)});
    m_payload = Bytes();
    m_payload_size = 0;
    m_payload_filled = 0;
    m_header_filled = 0;
}

std::span<uint8_t> FrameDecoder::direct_space(size_t min_bytes, size_t max_bytes) {
    if (m_error || m_header_filled < frame_header_bytes) return {};
    const size_t missing = m_payload_size - m_payload_filled;
    if (missing == 0 || missing < min_bytes) return {};
    // Grow the payload only by what the next read may fill, so a peer announcing a large frame
    // and sending little makes us touch little memory.
    if (m_payload.size() == m_payload_filled) m_payload.resize(m_payload_filled + std::min(missing, std::max<size_t>(max_bytes, 1)));
    return {m_payload.data() + m_payload_filled, m_payload.size() - m_payload_filled};
}

void FrameDecoder::commit_direct(size_t bytes, std::vector<Frame>& out) {
    FLEEK_ASSERT(m_header_filled == frame_header_bytes && bytes <= m_payload.size() - m_payload_filled);
    m_payload_filled += bytes;
    if (m_payload_filled == m_payload_size) finish_frame(out);
}

}  // namespace fleek::net
