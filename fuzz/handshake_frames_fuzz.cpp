// Handshake frames (docs/formats/handshake.md): node and client frame payloads, and the frame
// splitter a client reads a socket with. Whatever decodes re-encodes to exactly the input; the
// splitter hands out the same payloads however the input is cut, never one over its maximum.
#include "edge/handshake_frames.h"
#include "util/assert.h"

#include <algorithm>
#include <vector>

namespace {

using namespace fleek;
using namespace fleek::edge::handshake;

void check_reencodes(const Bytes& frame, ByteSpan payload) {
    FLEEK_ASSERT(frame.size() == payload.size() + frame_header_size);
    FLEEK_ASSERT(std::equal(payload.begin(), payload.end(), frame.begin() + frame_header_size));
}

std::vector<Bytes> split(ByteSpan input, size_t cut, bool& failed) {
    std::vector<Bytes> payloads;
    FrameSplitter splitter(node_frame_max_bytes);
    const auto collect = [&](ByteSpan payload) {
        FLEEK_ASSERT(!payload.empty() && payload.size() <= node_frame_max_bytes);
        payloads.emplace_back(payload.begin(), payload.end());
        return true;
    };
    failed = !splitter.feed(input.first(cut), collect) || !splitter.feed(input.subspan(cut), collect);
    return payloads;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const ByteSpan input(data, size);
    if (auto frame = decode_node_frame(input)) check_reencodes(encode_frame(*frame), input);
    if (auto frame = decode_client_frame(input)) check_reencodes(encode_frame(*frame), input);
    bool whole_failed = false;
    bool cut_failed = false;
    const auto whole = split(input, size, whole_failed);
    const auto cut = split(input, size / 2, cut_failed);
    FLEEK_ASSERT(whole == cut && whole_failed == cut_failed);
    return 0;
}
