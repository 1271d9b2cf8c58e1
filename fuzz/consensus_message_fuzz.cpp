// Consensus wire messages (docs/formats/consensus-messages.md): decoding never crashes, and a
// message that decodes re-encodes to exactly the input bytes (one encoding per message).
#include "consensus/types.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const ByteSpan input(data, size);
    auto decoded = consensus::decode_message(input);
    if (decoded) {
        const Bytes again = consensus::encode_message(*decoded);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        (void)consensus::epoch_of(*decoded);
        (void)consensus::plane_of(*decoded);
    }
    return 0;
}
