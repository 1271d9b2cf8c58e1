// Transport frames from the network: the incremental decoder never crashes, gives the same
// frames however the input is split (and when payloads are read into directly), and what it
// returns re-encodes to the bytes it consumed.
#include "net/frame.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::net;
    if (size < 1) return 0;
    const size_t frame_bytes_max = data[0] * 8u;  // small maxima so oversized lengths are common
    const ByteSpan input(data + 1, size - 1);

    FrameDecoder whole(frame_bytes_max);
    std::vector<Frame> frames;
    const auto result = whole.feed(input, frames);

    // Split at three points derived from the input.
    FrameDecoder pieces(frame_bytes_max);
    std::vector<Frame> split_frames;
    Result<void, FrameError> split_result;
    size_t offset = 0;
    for (size_t step : {input.size() / 3, (input.size() * 2) / 3 + 1, input.size()}) {
        const size_t end = std::min(step, input.size());
        if (end < offset) continue;
        split_result = pieces.feed(input.subspan(offset, end - offset), split_frames);
        offset = end;
        if (!split_result) break;
    }
    FLEEK_ASSERT(result.has_value() == split_result.has_value());
    FLEEK_ASSERT(frames.size() == split_frames.size());

    // Direct reads (straight into the payload, as the transport does for large frames),
    // alternating with feed: the same frames and the same outcome.
    FrameDecoder direct(frame_bytes_max);
    std::vector<Frame> direct_frames;
    Result<void, FrameError> direct_result;
    const size_t chunk = std::max<size_t>(1, data[0] / 4);
    for (size_t at = 0; at < input.size() && direct_result;) {
        const auto room = direct.direct_space(chunk, chunk * 3);
        if (!room.empty()) {
            FLEEK_ASSERT(room.size() <= chunk * 3);
            const size_t take = std::min(room.size(), input.size() - at);
            std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(at), take, room.begin());
            direct.commit_direct(take, direct_frames);
            at += take;
        } else {
            const size_t take = std::min(chunk, input.size() - at);
            direct_result = direct.feed(input.subspan(at, take), direct_frames);
            at += take;
        }
    }
    FLEEK_ASSERT(result.has_value() == direct_result.has_value());
    FLEEK_ASSERT(frames.size() == direct_frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
        FLEEK_ASSERT(frames[i].payload == direct_frames[i].payload && frames[i].channel_byte == direct_frames[i].channel_byte);
    }
    if (result) FLEEK_ASSERT(direct.partial_bytes() == whole.partial_bytes());

    Bytes again;
    for (size_t i = 0; i < frames.size(); ++i) {
        FLEEK_ASSERT(frames[i].payload == split_frames[i].payload && frames[i].channel_byte == split_frames[i].channel_byte);
        FLEEK_ASSERT(is_valid_channel_byte(frames[i].channel_byte) && frames[i].payload.size() <= frame_bytes_max);
        const auto header = encode_frame_header(frames[i].channel_byte, static_cast<uint32_t>(frames[i].payload.size()));
        again.insert(again.end(), header.begin(), header.end());
        again.insert(again.end(), frames[i].payload.begin(), frames[i].payload.end());
    }
    FLEEK_ASSERT(again.size() <= input.size() && std::equal(again.begin(), again.end(), input.begin()));
    if (result) FLEEK_ASSERT(again.size() + whole.partial_bytes() == input.size());
    return 0;
}
