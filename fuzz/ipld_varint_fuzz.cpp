// Varints as IPFS formats use them: the multiformats unsigned varint (CIDs, multihashes, CAR
// lengths; at most 9 bytes, minimal) and the protobuf varint of DAG-PB and UnixFS (up to 64 bits,
// minimal). Decoding never crashes; whatever decodes re-encodes to the bytes it came from.
#include "ipld/protobuf.h"
#include "util/assert.h"
#include "util/encoding.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const ByteSpan input(data, size);
    if (auto decoded = varint_decode(input)) {
        Bytes again;
        varint_append(again, decoded->value);
        FLEEK_ASSERT(again.size() == decoded->size && std::equal(again.begin(), again.end(), data));
        FLEEK_ASSERT(varint_size(decoded->value) == decoded->size);
    }
    ipld::pb::Cursor cursor(input);
    const size_t before = cursor.offset();
    if (auto value = cursor.varint()) {
        Bytes again;
        ipld::pb::append_varint(again, *value);
        FLEEK_ASSERT(again.size() == cursor.offset() - before && std::equal(again.begin(), again.end(), data));
        FLEEK_ASSERT(ipld::pb::varint_size(*value) == again.size());
    }
    ipld::pb::Cursor keys(input);
    while (!keys.done()) {
        auto key = keys.key();
        if (!key) break;
        bool ok = true;
        switch (key->type) {
            case ipld::pb::wire_varint: ok = keys.varint().has_value(); break;
            case ipld::pb::wire_bytes: ok = keys.length_delimited().has_value(); break;
            case ipld::pb::wire_fixed32: ok = keys.fixed32().has_value(); break;
            default: ok = false; break;
        }
        if (!ok) break;
        FLEEK_ASSERT(keys.offset() <= size);
    }
    return 0;
}
