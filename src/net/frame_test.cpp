#include "net/frame.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace fleek::net {
namespace {

Bytes payload_of(size_t size, uint8_t seed) {
    Bytes out(size);
    for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i * 7);
    return out;
}

TEST(FrameTest, HeaderIsLittleEndianLengthThenChannel) {
    const Bytes frame = encode_frame(Channel::sync, Bytes{0xaa, 0xbb, 0xcc});
    EXPECT_EQ(frame, (Bytes{3, 0, 0, 0, 2, 0xaa, 0xbb, 0xcc}));
    const auto header = encode_frame_header(control_channel_byte, 0x01020304);
    EXPECT_EQ(Bytes(header.begin(), header.end()), (Bytes{4, 3, 2, 1, 0xff}));
}

TEST(FrameTest, DecodesFramesSplitAtEveryByte) {
    Bytes stream;
    std::vector<size_t> boundaries{0};
    std::vector<Frame> expected;
    const Channel channels[] = {Channel::consensus, Channel::gossip, Channel::sync, Channel::request};
    for (size_t i = 0; i < 9; ++i) {
        Frame frame{static_cast<uint8_t>(channels[i % 4]), payload_of(i * 5, static_cast<uint8_t>(i))};
        const Bytes encoded = encode_frame(frame.channel(), frame.payload);
        stream.insert(stream.end(), encoded.begin(), encoded.end());
        boundaries.push_back(stream.size());
        expected.push_back(std::move(frame));
    }
    const auto ping = encode_frame_header(control_channel_byte, 0);
    stream.insert(stream.end(), ping.begin(), ping.end());
    boundaries.push_back(stream.size());
    expected.push_back(Frame{control_channel_byte, {}});

    for (size_t split = 0; split <= stream.size(); ++split) {
        FrameDecoder decoder(1024);
        std::vector<Frame> out;
        ASSERT_TRUE(decoder.feed(ByteSpan(stream).first(split), out));
        const bool at_boundary = std::find(boundaries.begin(), boundaries.end(), split) != boundaries.end();
        EXPECT_EQ(decoder.mid_frame(), !at_boundary) << split;
        ASSERT_TRUE(decoder.feed(ByteSpan(stream).subspan(split), out));
        ASSERT_EQ(out.size(), expected.size()) << "split at " << split;
        for (size_t i = 0; i < out.size(); ++i) {
            EXPECT_EQ(out[i].channel_byte, expected[i].channel_byte);
            EXPECT_EQ(out[i].payload, expected[i].payload);
        }
        EXPECT_FALSE(decoder.mid_frame());
    }
    // One byte at a time.
    FrameDecoder decoder(1024);
    std::vector<Frame> out;
    for (uint8_t byte : stream) ASSERT_TRUE(decoder.feed(ByteSpan(&byte, 1), out));
    EXPECT_EQ(out.size(), expected.size());
    EXPECT_TRUE(out.back().is_control());
}

// Reading straight into a payload: room appears only mid-payload with enough missing, never
// past the announced length, grows only by what the next read may fill, and mixing direct reads
// with feed gives the same frames as feeding everything.
TEST(FrameTest, DirectReadsFillThePayloadInPlace) {
    const Bytes big = payload_of(100000, 3);
    const Bytes small = payload_of(10, 9);
    Bytes stream = encode_frame(Channel::request, big);
    const Bytes second = encode_frame(Channel::gossip, small);
    stream.insert(stream.end(), second.begin(), second.end());

    FrameDecoder decoder(1 << 20);
    std::vector<Frame> frames;
    EXPECT_TRUE(decoder.direct_space(1, 4096).empty());  // no header yet
    ASSERT_TRUE(decoder.feed(ByteSpan(stream).first(frame_header_bytes + 1000), frames));
    size_t offset = frame_header_bytes + 1000;
    EXPECT_TRUE(decoder.direct_space(100000, 4096).empty());  // less than that is missing
    while (true) {
        auto room = decoder.direct_space(500, 30000);
        if (room.empty()) break;
        EXPECT_LE(room.size(), 30000u);
        const size_t missing = big.size() - (offset - frame_header_bytes);
        EXPECT_LE(room.size(), missing);
        const size_t got = std::min<size_t>(room.size() / 2 + 1, missing);  // reads fill part of the room
        std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(offset), got, room.begin());
        decoder.commit_direct(got, frames);
        offset += got;
        EXPECT_EQ(decoder.partial_bytes(), offset < frame_header_bytes + big.size() ? offset : 0u);
    }
    // Fewer than 500 bytes were missing: the rest goes through feed, with the next frame.
    EXPECT_LT(frame_header_bytes + big.size() - offset, 500u);
    ASSERT_TRUE(decoder.feed(ByteSpan(stream).subspan(offset), frames));
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].channel(), Channel::request);
    EXPECT_EQ(frames[0].payload, big);
    EXPECT_EQ(frames[1].payload, small);
    EXPECT_FALSE(decoder.mid_frame());

    // A frame completed by a direct read alone.
    FrameDecoder exact(1 << 20);
    std::vector<Frame> out;
    ASSERT_TRUE(exact.feed(ByteSpan(stream).first(frame_header_bytes), out));
    auto room = exact.direct_space(1, 1 << 20);
    ASSERT_EQ(room.size(), big.size());
    std::copy(big.begin(), big.end(), room.begin());
    exact.commit_direct(big.size(), out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload, big);
    EXPECT_FALSE(exact.mid_frame());
}

TEST(FrameTest, TruncatedFrameStaysPending) {
    const Bytes frame = encode_frame(Channel::gossip, payload_of(100, 1));
    FrameDecoder decoder(1024);
    std::vector<Frame> out;
    ASSERT_TRUE(decoder.feed(ByteSpan(frame).first(40), out));
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(decoder.mid_frame());
    EXPECT_EQ(decoder.partial_bytes(), 40u);
    EXPECT_EQ(decoder.partial_frame_bytes(), 105u);
}

TEST(FrameTest, RefusesOversizedLengthBeforeBufferingIt) {
    FrameDecoder decoder(1000);
    std::vector<Frame> out;
    ASSERT_TRUE(decoder.feed(encode_frame(Channel::request, payload_of(1000, 3)), out));
    ASSERT_EQ(out.size(), 1u);
    const auto header = encode_frame_header(0, 1001);
    const auto result = decoder.feed(header, out);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error(), FrameError::too_large);
    // Spent: later input gets the same error.
    EXPECT_FALSE(decoder.feed(encode_frame(Channel::request, {}), out));
    EXPECT_EQ(out.size(), 1u);

    FrameDecoder huge(16u << 20);
    const Bytes max_length{0xff, 0xff, 0xff, 0xff, 0x00};
    EXPECT_EQ(huge.feed(max_length, out).error(), FrameError::too_large);
}

TEST(FrameTest, RefusesUnknownChannel) {
    for (int channel = 0; channel < 256; ++channel) {
        FrameDecoder decoder(16);
        std::vector<Frame> out;
        const auto header = encode_frame_header(static_cast<uint8_t>(channel), 0);
        const auto result = decoder.feed(header, out);
        if (channel < 5 || channel == 0xff) {
            EXPECT_TRUE(result) << channel;
            EXPECT_EQ(out.size(), 1u);
        } else {
            ASSERT_FALSE(result) << channel;
            EXPECT_EQ(result.error(), FrameError::bad_channel);
            EXPECT_TRUE(out.empty());
        }
    }
}

TEST(FrameTest, FramesBeforeAnErrorAreReturned) {
    Bytes stream = encode_frame(Channel::consensus, Bytes{1, 2});
    const Bytes bad{0, 0, 0, 0, 9};
    stream.insert(stream.end(), bad.begin(), bad.end());
    FrameDecoder decoder(16);
    std::vector<Frame> out;
    EXPECT_FALSE(decoder.feed(stream, out));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].payload, (Bytes{1, 2}));
}

}  // namespace
}  // namespace fleek::net
