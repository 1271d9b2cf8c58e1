// UnixFS DAGs read from untrusted blocks (what the IPFS origin stores and the gateway serves):
// the blocks of a CAR are loaded, directories and HAMT shards listed, files read, the DAG
// traversed. Nothing crashes, every failure is a typed DagError, a file never yields more bytes
// than its root says, and every entry a HAMT listing accepts is found again by a hash lookup
// (listing checks that each entry sits in the bucket its name hashes to).
#include "ipld/car.h"
#include "ipld/dag.h"
#include "util/assert.h"

#include <map>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::ipld;
    const ByteSpan input(data, size);
    CarLimits limits;
    limits.max_header_bytes = 4096;
    limits.max_section_bytes = 1 << 20;
    limits.max_blocks = 4096;
    auto car = read_car(input, limits);
    if (!car) return 0;
    std::map<Cid, Bytes> blocks;
    for (const auto& block : car->blocks) {
        const ByteSpan bytes = input.subspan(block.block_offset, block.block_size);
        blocks.emplace(block.cid, Bytes(bytes.begin(), bytes.end()));
    }
    MemoryBlockSource source(blocks);
    size_t looked_at = 0;
    for (const auto& [cid, bytes] : blocks) {
        if (++looked_at > 64) break;
        auto node = load_node(source, cid);
        if (!node) {
            (void)node.error().message();
            continue;
        }
        if (node->kind == NodeKind::directory || node->kind == NodeKind::hamt_shard) {
            auto listing = list_directory(source, *node);
            if (!listing) {
                (void)listing.error().message();
                continue;
            }
            size_t checked = 0;
            for (const auto& entry : *listing) {
                if (++checked > 16) break;
                auto found = find_entry(source, *node, entry.name);
                FLEEK_ASSERT(found.has_value() && found->has_value() && (*found)->cid == entry.cid);
            }
        } else if (node->kind == NodeKind::file || node->kind == NodeKind::raw_file) {
            uint64_t read = 0;
            auto done = read_file(source, *node, 0, 1 << 20, [&](ByteSpan piece) {
                read += piece.size();
                return true;
            });
            FLEEK_ASSERT(read <= node->file_size());
            if (!done) (void)done.error().message();
        }
    }
    for (const Cid& root : car->header.roots) {
        TraversalLimits traversal;
        traversal.max_blocks = 4096;
        traversal.max_depth = 64;
        auto walked = traverse(source, root, DagScope::all, std::nullopt, traversal, [](const Cid&, ByteSpan) { return true; });
        if (!walked) (void)walked.error().message();
    }
    return 0;
}
