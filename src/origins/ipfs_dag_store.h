// Steps 4 and 5 of an IPFS fetch (src/origins/README.md), shared by the origin fetch
// (ipfs_origin.cpp) and the adoption of a CAR fetched from peers (ipfs_adopt.h): given the
// DAG's blocks held in a committed CAR, store every file and directory it describes as BLAKE3
// content, children first, and record CID -> {kind, hash, size, CAR} for every node and
// multihash -> {CAR, offset, size} for every block in one resolver batch.
#pragma once

#include "content/blockstore.h"
#include "ipld/dag.h"
#include "origins/origin.h"
#include "origins/resolver.h"

#include <map>

namespace fleek::origins {

// Where one block's bytes are in the CAR.
struct CarBlock {
    uint64_t offset = 0;  // of the block's first byte
    uint32_t size = 0;
};

// Reads blocks back from a committed CAR: the blockstore checks every byte against its BLAKE3
// tree, and the bytes were checked against their CID before the CAR was written (or adopted).
class CarBlobSource : public ipld::BlockSource {
public:
    CarBlobSource(content::Blockstore& store, const Hash32& car, const std::map<Bytes, CarBlock>& blocks)
        : m_store(store), m_car(car), m_blocks(blocks) {}
    Result<std::optional<Bytes>, std::string> get(const ipld::Cid& cid) override;

private:
    content::Blockstore& m_store;
    Hash32 m_car;
    const std::map<Bytes, CarBlock>& m_blocks;
};

// Stores the files and directories of the UnixFS DAG under `root` (its blocks: `blocks`, by
// multihash, in the committed CAR `car`) and records them and the blocks' locations. Returns the
// root's record. A root that is a symlink is refused (unsupported); so are non-UnixFS nodes and
// directory entries with names a Fleek directory cannot hold. A file the resolver already maps
// to content the blockstore holds is not rewritten. `index_blocks` is false when the CAR was
// indexed before (a fetch that reused it).
Result<IpfsRecord, OriginError> store_unixfs_dag(content::Blockstore& blockstore, Resolver& resolver, const ipld::Cid& root,
                                                 const Hash32& car, const std::map<Bytes, CarBlock>& blocks, uint64_t max_depth,
                                                 bool index_blocks = true);

}  // namespace fleek::origins
