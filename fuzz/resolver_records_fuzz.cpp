// Resolver values read back from RocksDB: decoding never crashes and is canonical.
#include "origins/resolver.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::origins;
    const ByteSpan input(data, size);
    const auto same = [&](const Bytes& again) { return again.size() == size && std::equal(again.begin(), again.end(), data); };
    if (auto record = decode_ipfs_record(input)) FLEEK_ASSERT(same(encode_ipfs_record(*record)));
    if (auto location = decode_block_location(input)) FLEEK_ASSERT(same(encode_block_location(*location)));
    if (auto record = decode_http_record(input)) FLEEK_ASSERT(same(encode_http_record(*record)));
    return 0;
}
