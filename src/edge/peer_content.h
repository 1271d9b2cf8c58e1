// What the gateway asks of the node's content network (node/content_network.h) when a request
// misses the local store, and what it tells it after an origin fetch (docs/gateway.md, "Fetch on
// a miss"). An interface so the gateway does not depend on the node.
#pragma once

#include "edge/fetch_job.h"
#include "ipld/cid.h"
#include "origins/http_origin.h"
#include "origins/ipfs_origin.h"

#include <memory>
#include <string_view>

namespace fleek::edge {

// How a request was served, for /metrics.
enum class ServedFrom : uint8_t { local, peer, origin, not_found };

class PeerContent {
public:
    virtual ~PeerContent() = default;

    // Thread-safe, never blocks: the fetch of `hash` from peers, started or joined (one per hash
    // across the node), with blocks from `first_block` fetched first. Null when fetch on miss is
    // off.
    virtual std::shared_ptr<FetchJob> fetch_miss(const content::Hash32& hash, uint64_t first_block) = 0;
    // Blocking (the gateway runs it on its fetch pool): makes the IPFS DAG of `cid` local when it
    // is not: from peers through a resolver record (its CAR by BLAKE3, every block checked against
    // its CID), else from the IPFS origin. disabled when fetch on miss is off.
    virtual Result<void, origins::OriginError> fetch_ipfs_miss(const ipld::Cid& cid) = 0;
    // After this node resolved a pointer at its origin (PUT /ipfs, PUT /http): sign and publish
    // the resolver record. Thread-safe.
    virtual void resolved_ipfs(const origins::FetchedIpfs& fetched) = 0;
    virtual void resolved_http(std::string_view pointer, const origins::FetchedHttp& fetched) = 0;
    // Thread-safe counter.
    virtual void count(ServedFrom from) = 0;
};

}  // namespace fleek::edge
