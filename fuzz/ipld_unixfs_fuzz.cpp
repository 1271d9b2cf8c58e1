// UnixFS Data messages (inside DAG-PB nodes): decoding never crashes; a decoded message encodes
// to bytes that decode to the same message, and that encoding is a fixed point.
#include "ipld/unixfs.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::ipld;
    if (auto decoded = decode_unixfs(ByteSpan(data, size))) {
        const Bytes encoded = encode_unixfs(*decoded);
        auto again = decode_unixfs(encoded);
        FLEEK_ASSERT(again.has_value() && *again == *decoded);
        FLEEK_ASSERT(encode_unixfs(*again) == encoded);
        (void)to_string(decoded->type);
    }
    return 0;
}
