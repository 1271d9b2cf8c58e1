// The IPFS blocks a node keeps, as a BlockSource: the resolver says in which stored CAR a block
// is and where; the blockstore returns those bytes verified by BLAKE3; and the block is checked
// against its CID once more before anyone gets it, so a trustless-gateway response never holds a
// byte that does not hash to the CID it is sent under.
#pragma once

#include "content/blockstore.h"
#include "ipld/dag.h"
#include "origins/resolver.h"

namespace fleek::origins {

class IpfsStore : public ipld::BlockSource {
public:
    IpfsStore(content::Blockstore& blockstore, Resolver& resolver) : m_blockstore(blockstore), m_resolver(resolver) {}

    // nullopt when the node does not hold the block (never fetched, or its CAR was evicted).
    Result<std::optional<Bytes>, std::string> get(const ipld::Cid& cid) override;
    // The size of a block the node holds, without reading it.
    std::optional<uint64_t> block_size(const ipld::Cid& cid);
    bool has(const ipld::Cid& cid) { return block_size(cid).has_value(); }

    content::Blockstore& blockstore() { return m_blockstore; }
    Resolver& resolver() { return m_resolver; }

private:
    content::Blockstore& m_blockstore;
    Resolver& m_resolver;
};

}  // namespace fleek::origins
