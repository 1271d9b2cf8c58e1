// Raw ingest frames from benchmark clients (node/raw_ingest.h): next_raw_frame never crashes,
// a frame it returns lies inside the buffer and re-encodes to the bytes it consumed, and it
// waits (nullopt) exactly when the buffer ends inside a frame.
#include "node/raw_ingest.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::node;
    ByteSpan rest(data, size);
    while (true) {
        auto frame = next_raw_frame(rest);
        if (!frame) {
            FLEEK_ASSERT(rest.size() >= 4);
            return 0;
        }
        if (!*frame) {
            FLEEK_ASSERT(rest.size() < 4 || rest.size() < 4 + (size_t{rest[0]} | size_t{rest[1]} << 8 | size_t{rest[2]} << 16 |
                                                                 size_t{rest[3]} << 24));
            return 0;
        }
        const RawFrame& found = **frame;
        FLEEK_ASSERT(found.frame_bytes == 4 + found.transaction.size() && found.frame_bytes <= rest.size());
        FLEEK_ASSERT(found.transaction.data() == rest.data() + 4);
        const Bytes again = encode_raw_frame(found.transaction);
        FLEEK_ASSERT(std::equal(again.begin(), again.end(), rest.begin()));
        rest = rest.subspan(found.frame_bytes);
    }
}
