// The verified stream decoder and the block verifier behind it. The expected root is taken from
// the input's own header, so mutated proofs and blocks are judged against a real root. Property:
// the verifier never hands out a block that is not the content's, so whenever a whole stream
// from block 0 is accepted, the bytes handed out hash (plain BLAKE3) to the root.
#include "content/stream.h"
#include "crypto/hash.h"
#include "util/assert.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::content;
    if (size < stream_header_size) return 0;
    Hash32 root;
    std::memcpy(root.data(), data + 5, 32);
    StreamVerifier verifier(root);
    Bytes received;
    const auto sink = [&](uint64_t, ByteSpan block) {
        received.insert(received.end(), block.begin(), block.end());
        return true;
    };
    // Feed in two pieces to exercise the buffering paths.
    const size_t split = size / 3;
    if (verifier.feed(ByteSpan(data, split), sink)) (void)verifier.feed(ByteSpan(data + split, size - split), sink);
    if (verifier.finish()) {
        const StreamHeader& header = *verifier.header();
        if (header.first_block == 0 && header.end_block == block_count(header.content_length)) {
            FLEEK_ASSERT(received.size() == header.content_length);
            FLEEK_ASSERT(crypto::blake3(received) == root);
        }
    }
    return 0;
}
