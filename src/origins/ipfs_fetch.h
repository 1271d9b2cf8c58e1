// Gathering the blocks of one IPFS DAG for the IPFS origin (ipfs_origin.h), before anything of
// its content is stored:
//
//   1. resume: the blocks the node already holds (a finished DAG's CAR, the CAR a failed fetch
//      kept, another DAG sharing blocks) are walked from the root; they are not asked again;
//   2. CAR: while the root is missing, each gateway in turn is asked for the whole DAG as one CAR;
//   3. raw blocks: whatever is still missing is asked block by block (`?format=raw`), up to
//      `parallel_requests` at once over reused connections, each block from the gateways in
//      order until one gives it; blocks found inside arriving blocks are asked as they appear,
//      unless the node holds them (another DAG shares them): those are taken from the store.
//
// Every block is checked against its CID, and kept only when the DAG reaches it: the root, or a
// link of a kept block (decoded with the codec that link names). A block outside the DAG, one over
// `max_block_bytes`, or a CAR section over it ends that gateway's answer, never the fetch; a
// gateway that sends bytes not matching their CID is not asked again. What the DAG itself makes
// impossible (a block that matches its CID but does not decode, a codec other than dag-pb and raw,
// more blocks, bytes, depth or expanded size than allowed) ends the fetch with a typed error and
// stores nothing. What is remembered is bounded: wanted and kept blocks by max_blocks, the links
// kept for the expanded-size walk (directories only, distinct per block) by 4 * max_blocks.
//
// The blocks go, in arrival order, into a new CARv1 (header root = the requested CID) that is
// committed only once the DAG is complete and its expanded size (the sum of the sizes of the
// distinct files it describes, directories followed) is within `max_expanded_bytes`. A DAG whose
// every block is already in one stored CAR reuses that CAR. When gateways fail before the DAG
// is complete, the verified blocks gathered so far are committed as a partial CAR and indexed,
// so that the next fetch resumes from them.
#pragma once

#include "content/blockstore.h"
#include "ipld/dag.h"
#include "origins/ipfs_gateway_client.h"
#include "origins/ipfs_store.h"
#include "origins/origin.h"
#include "origins/resolver.h"

#include <atomic>
#include <chrono>
#include <map>

namespace fleek::origins {

struct IpfsOriginOptions;

struct IpfsFetchCounters {
    std::atomic<uint64_t> car_requests{0};
    std::atomic<uint64_t> raw_requests{0};
    std::atomic<uint64_t> rejected_blocks{0};    // did not match their CID
    std::atomic<uint64_t> unexpected_blocks{0};  // matched, but are not part of the DAG asked for
    std::atomic<uint64_t> oversized_blocks{0};   // a block or CAR section over max_block_bytes
    std::atomic<uint64_t> resumed_blocks{0};     // found already held instead of asked again
    std::atomic<uint64_t> partial_cars{0};       // kept by fetches that failed, for resuming
};

// One block of the gathered DAG: where it is in the DAG's CAR, and what the DAG walk needs.
struct GatheredBlock {
    ipld::Cid cid;              // with the codec the DAG links it by
    uint64_t offset = 0;        // of its bytes in the CAR
    uint32_t size = 0;
    std::vector<ipld::Cid> links;
    ipld::NodeKind kind = ipld::NodeKind::other;
    uint64_t file_size = 0;     // raw and UnixFS file nodes
};

struct GatheredDag {
    Hash32 car{};        // the committed CAR holding every block of the DAG
    bool new_car = false;  // committed by this fetch (false: every block was in that stored CAR)
    std::map<Bytes, GatheredBlock> blocks;  // by multihash
    uint64_t block_bytes = 0;
    uint64_t fetched_blocks = 0;  // asked from gateways by this fetch
    uint64_t resumed_blocks = 0;  // already held
    uint64_t expanded_bytes = 0;
};

// Gathers the DAG of `root` (see above). Blocking; `client` is used from this thread only.
Result<GatheredDag, OriginError> gather_dag(const IpfsOriginOptions& options, content::Blockstore& blockstore, IpfsStore& held,
                                            GatewayClient& client, IpfsFetchCounters& counters, const ipld::Cid& root,
                                            std::chrono::steady_clock::time_point deadline);

}  // namespace fleek::origins
