// Resolver values read back from RocksDB, and signed resolver records, queries and answers from
// the network (docs/formats/ipfs-resolver.md, resolver-records.md): decoding never crashes and
// is canonical; signature checks run on whatever decodes.
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
    if (auto record = codec::decode<ResolverRecord>(input)) {
        FLEEK_ASSERT(same(codec::encode(*record)));
        FLEEK_ASSERT(record->pointer() == codec::decode<ResolverPointer>(record->pointer().key()).value());
        const NodeKeyCheck everyone = [](const crypto::NodePublicKey&) { return true; };
        (void)verify_resolver_record(*record, everyone, 1'700'000'000'000);
    }
    if (auto query = codec::decode<ResolverQuery>(input)) FLEEK_ASSERT(same(codec::encode(*query)));
    if (auto answer = codec::decode<ResolverAnswer>(input)) {
        FLEEK_ASSERT(answer->records.size() <= resolver_answer_records_max);
        FLEEK_ASSERT(same(codec::encode(*answer)));
    }
    return 0;
}
