// Serving a CID from a resolver record (docs/formats/resolver-records.md, "Using a claim"): the
// node fetched the DAG's CAR from peers by its BLAKE3 hash and now adopts it as if an IPFS
// gateway had sent it. A claim is a signed statement, not a proof, so nothing of it is trusted:
// every block is checked against its CID, the DAG under the root must be complete, and the files
// and directories are rebuilt from the blocks exactly as after an origin fetch (steps 4 and 5,
// ipfs_dag_store.h). The caller then compares the derived root record with the claim.
#pragma once

#include "content/blockstore.h"
#include "ipld/cid.h"
#include "origins/ipfs_origin.h"
#include "origins/resolver.h"

namespace fleek::origins {

struct AdoptLimits {
    uint64_t max_content_bytes = uint64_t{4} << 30;  // block bytes of the DAG
    uint64_t max_blocks = 1'000'000;
    uint64_t max_block_bytes = uint64_t{4} << 20;
    uint64_t max_depth = 256;
};

// Reads the CARv1 `car` from the blockstore, checks every block against its CID (blocks not
// reachable from `root` are ignored, not indexed), checks the DAG under `root` is complete and
// within the limits, stores its files and directories and records them. Nothing is recorded when
// any check fails: verification_failed (a block that does not match its CID, a CAR that does not
// parse, a DAG with missing blocks), too_large, unsupported (not UnixFS) or store_failed.
Result<FetchedIpfs, OriginError> adopt_car(content::Blockstore& blockstore, Resolver& resolver, const ipld::Cid& root,
                                           const Hash32& car, const AdoptLimits& limits);

}  // namespace fleek::origins
