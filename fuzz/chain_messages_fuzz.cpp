// Chain messages from peers and from the chain store (docs/formats/chain.md): chain blocks,
// block signatures, certified blocks, sync requests and responses. Whatever decodes re-encodes
// to exactly the input; nothing crashes.
#include "node/chain_block.h"
#include "util/assert.h"

namespace {

template <class T>
void round_trip(const uint8_t* data, size_t size) {
    using namespace fleek;
    if (auto decoded = codec::decode<T>(ByteSpan(data, size))) {
        const Bytes again = codec::encode(*decoded);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::node;
    round_trip<ChainBlock>(data, size);
    if (auto block = fleek::codec::decode<ChainBlock>(fleek::ByteSpan(data, size))) (void)block->digest();
    round_trip<BlockSignature>(data, size);
    round_trip<CertifiedBlock>(data, size);
    round_trip<SyncRequest>(data, size);
    round_trip<SyncResponse>(data, size);
    return 0;
}
