// The IPFS origin (src/origins/README.md): fetches a UnixFS DAG by CID from trustless gateways,
// keeps its blocks (a CAR in the blockstore, indexed in the resolver), and stores the file or
// directory it describes as BLAKE3 content.
//
// The blocks are gathered by ipfs_fetch.h: what the node already holds first, then the whole DAG
// as one CAR from each gateway in turn while the root is missing, then the missing blocks one by
// one (`?format=raw`), many at once over reused connections. Every block is checked against its
// CID and kept only if the DAG reaches it; a gateway that misbehaves is left for the next one.
// Limits bound the bytes, the blocks, the size of one block, the depth of the DAG and the size
// of the files it expands to; each request has timeouts and a low-speed limit, each fetch a
// deadline. Concurrent fetches of one CID share one fetch.
#pragma once

#include "content/blockstore.h"
#include "ipld/cid.h"
#include "origins/address_policy.h"
#include "origins/ipfs_fetch.h"
#include "origins/ipfs_store.h"
#include "origins/origin.h"
#include "origins/resolver.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fleek::origins {

struct IpfsOriginOptions {
    std::vector<std::string> gateways;  // base URLs: "https://trustless-gateway.link"
    uint64_t connect_timeout_ms = 5'000;
    uint64_t request_timeout_ms = 120'000;  // per HTTP request
    uint64_t fetch_deadline_ms = 3'600'000;  // all requests of one fetch
    uint64_t low_speed_bytes_per_s = 1024;  // a request slower than this ...
    uint64_t low_speed_time_s = 30;         // ... for this long is abandoned (0: never)
    uint64_t parallel_requests = 8;         // raw-block requests in flight at once
    uint64_t max_content_bytes = uint64_t{4} << 30;  // all blocks of one DAG
    uint64_t max_blocks = 1'000'000;
    uint64_t max_block_bytes = uint64_t{4} << 20;
    uint64_t max_depth = 256;
    // Where requests may connect; the gateways' own hosts are always allowed (the operator
    // listed them), redirects elsewhere are checked (address_policy.h).
    AddressPolicy address_policy;
    uint64_t max_expanded_bytes = uint64_t{16} << 30;  // the files the DAG describes, before any is written
};

struct FetchedIpfs {
    ipld::Cid cid;
    IpfsRecord record;
    uint64_t blocks = 0;        // blocks of the DAG
    uint64_t block_bytes = 0;
    uint64_t fetched_blocks = 0;  // of which asked from gateways by this fetch
    bool cached = false;        // already held: nothing was fetched
};

struct IpfsOriginStats {
    uint64_t fetches = 0;        // fetches started (shared ones count once)
    uint64_t car_requests = 0;
    uint64_t raw_requests = 0;
    uint64_t rejected_blocks = 0;    // blocks that did not match their CID
    uint64_t unexpected_blocks = 0;  // blocks matching their CID but outside the DAG asked for
    uint64_t oversized_blocks = 0;   // blocks or CAR sections over max_block_bytes
    uint64_t resumed_blocks = 0;     // found already held instead of asked again
    uint64_t partial_cars = 0;       // kept by failed fetches for the next attempt
    uint64_t connections = 0;        // connections opened to gateways
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

private:
    Result<FetchedIpfs, OriginError> fetch_uncached(const ipld::Cid& cid);
    // Whether the content a record names is all still in the blockstore (files, and every entry
    // of a directory, recursively).
    bool content_complete(const IpfsRecord& record);
    std::unique_ptr<GatewayClient> take_client();
    void return_client(std::unique_ptr<GatewayClient> client);

    IpfsOriginOptions m_options;
    content::Blockstore& m_blockstore;
    Resolver& m_resolver;
    IpfsStore m_held;
    SingleFlight<Bytes, Result<FetchedIpfs, OriginError>> m_flights;
    std::atomic<bool> m_cancelled{false};
    std::atomic<uint64_t> m_fetches{0};
    std::atomic<uint64_t> m_connections{0};
    IpfsFetchCounters m_counters;
    std::mutex m_clients_mutex;
    std::vector<std::unique_ptr<GatewayClient>> m_idle_clients;  // their connections stay open
};

}  // namespace fleek::origins
