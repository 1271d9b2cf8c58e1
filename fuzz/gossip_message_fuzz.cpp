// Gossip frames from the network: decoding never crashes and is canonical (an accepted frame
// re-encodes to the same bytes); digests and signature checks run on whatever decodes.
#include "net/gossip.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::net;
    const ByteSpan input(data, size);
    auto frame = decode_gossip_frame(input);
    if (!frame) return 0;
    Bytes again;
    if (frame->kind == GossipFrameKind::message) {
        again = encode_message_frame(*frame->message);
        (void)frame->message->verify();
    } else {
        again = encode_digests_frame(frame->kind, frame->digests);
    }
    FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    return 0;
}
