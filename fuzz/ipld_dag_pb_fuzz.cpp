// DAG-PB nodes from gateways and CARs: decoding never crashes and is canonical (what decodes
// re-encodes to exactly the input), and the UnixFS reader built on it rejects rather than trusts
// any inconsistency.
#include "ipld/dag.h"
#include "ipld/dag_pb.h"
#include "util/assert.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::ipld;
    const ByteSpan input(data, size);
    if (auto node = decode_dag_pb(input)) {
        const Bytes again = encode_dag_pb(*node);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        FLEEK_ASSERT(encoded_size(*node) == size);
        const Cid cid = Cid::of(multicodec::dag_pb, input);
        if (auto decoded = decode_node(cid, input)) {
            // A file's sizes add up when it decodes; listing and reading use only what it holds.
            std::map<Cid, Bytes> blocks{{cid, again}};
            MemoryBlockSource source(blocks);
            if (decoded->kind == NodeKind::file && decoded->pb.links.empty()) {
                Bytes out;
                FLEEK_ASSERT(read_file(source, *decoded, 0, UINT64_MAX, [&](ByteSpan bytes) {
                                 out.insert(out.end(), bytes.begin(), bytes.end());
                                 return true;
                             }).has_value());
                FLEEK_ASSERT(out.size() == decoded->file_size());
            }
            if (decoded->kind == NodeKind::directory || decoded->kind == NodeKind::hamt_shard) {
                (void)list_directory(source, *decoded);
                (void)find_entry(source, *decoded, "name");
            }
            (void)traverse(source, cid, DagScope::all, std::nullopt, {}, [](const Cid&, ByteSpan) { return true; });
        }
    }
    return 0;
}
