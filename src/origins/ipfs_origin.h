// The IPFS origin (src/origins/README.md): fetches a UnixFS DAG by CID from trustless gateways,
// keeps its blocks (a CAR in the blockstore, indexed in the resolver), and stores the file or
// directory it describes as BLAKE3 content.
//
// For each gateway in order it asks for the whole DAG as one CAR (`?format=car`, Accept
// application/vnd.ipld.car); every block is checked against its CID as it arrives, before it is
// written anywhere. A gateway that fails, times out or sends a block that does not match is left
// for the next one; blocks still missing at the end are asked one by one as raw blocks
// (`?format=raw`) from the gateways that did not lie. Limits bound the bytes, the blocks, the
// size of one block and the depth of the DAG. Concurrent fetches of one CID share one fetch.
#pragma once

#include "content/blockstore.h"
#include "ipld/cid.h"
#include "origins/address_policy.h"
#include "origins/origin.h"
#include "origins/resolver.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace fleek::origins {

struct IpfsOriginOptions {
    std::vector<std::string> gateways;  // base URLs: "https://trustless-gateway.link"
    uint64_t connect_timeout_ms = 5'000;
    uint64_t request_timeout_ms = 120'000;  // per HTTP request
    uint64_t max_content_bytes = uint64_t{4} << 30;  // all blocks of one DAG
    uint64_t max_blocks = 1'000'000;
    uint64_t max_block_bytes = uint64_t{4} << 20;
    uint64_t max_depth = 256;
    // Where requests may connect; the gateways' own hosts are always allowed (the operator
    // listed them), redirects elsewhere are checked (address_policy.h).
    AddressPolicy address_policy;
};

struct FetchedIpfs {
    ipld::Cid cid;
    IpfsRecord record;
    uint64_t blocks = 0;        // blocks of the DAG
    uint64_t block_bytes = 0;
    bool cached = false;        // already held: nothing was fetched
};

struct IpfsOriginStats {
    uint64_t fetches = 0;        // fetches started (shared ones count once)
    uint64_t car_requests = 0;
    uint64_t raw_requests = 0;
    uint64_t rejected_blocks = 0;  // blocks that did not match their CID
};

class IpfsOrigin {
public:
    IpfsOrigin(IpfsOriginOptions options, content::Blockstore& blockstore, Resolver& resolver);
    ~IpfsOrigin();

    // Blocking: fetches (or finds already cached) the DAG of `cid` and returns what it became.
    Result<FetchedIpfs, OriginError> fetch(const ipld::Cid& cid);
    IpfsOriginStats stats() const;
    // Makes running and later fetches fail soon (node shutdown).
    void cancel() { m_cancelled = true; }
    const IpfsOriginOptions& options() const { return m_options; }

    struct Fetch;  // one fetch in progress (ipfs_origin.cpp)

private:
    Result<FetchedIpfs, OriginError> fetch_uncached(const ipld::Cid& cid);

    IpfsOriginOptions m_options;
    content::Blockstore& m_blockstore;
    Resolver& m_resolver;
    SingleFlight<Bytes, Result<FetchedIpfs, OriginError>> m_flights;
    std::atomic<bool> m_cancelled{false};
    std::atomic<uint64_t> m_fetches{0};
    std::atomic<uint64_t> m_car_requests{0};
    std::atomic<uint64_t> m_raw_requests{0};
    std::atomic<uint64_t> m_rejected_blocks{0};
};

}  // namespace fleek::origins
