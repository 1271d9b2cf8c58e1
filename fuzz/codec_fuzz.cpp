// The canonical codec: decoding never crashes, and a record that decodes re-encodes to exactly
// the input bytes (one encoding per value).
#include "codec/codec.h"
#include "tests/support/codec_sample.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const ByteSpan input(data, size);
    auto decoded = codec::decode<testing::SampleRecord>(input);
    if (decoded) {
        const Bytes again = codec::encode(*decoded);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    }
    return 0;
}
