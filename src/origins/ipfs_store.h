// The IPFS blocks a node keeps, as a BlockSource: the resolver says in which stored CARs a block
// is and where; the blockstore returns those bytes verified by BLAKE3; and the block is checked
// against its CID once more before anyone gets it, so a trustless-gateway response never holds a
// byte that does not hash to the CID it is sent under.
//
// The block index follows the blockstore, which evicts CARs like any other content: a block
// location whose CAR the store no longer holds is noticed on read, and every location inside
// that CAR is then forgotten (Resolver::forget_car), so the index never keeps pointing at
// content that left.
#pragma once

#include "content/blockstore.h"
#include "ipld/dag.h"
#include "origins/resolver.h"

#include <atomic>

namespace fleek::origins {

class IpfsStore : public ipld::BlockSource {
public:
    IpfsStore(content::Blockstore& blockstore, Resolver& resolver) : m_blockstore(blockstore), m_resolver(resolver) {}

    // nullopt when the node does not hold the block (never fetched, or its CARs were evicted).
    Result<std::optional<Bytes>, std::string> get(const ipld::Cid& cid) override;
    // The size of a block the node holds, without reading it.
    std::optional<uint64_t> block_size(const ipld::Cid& cid);
    bool has(const ipld::Cid& cid) { return block_size(cid).has_value(); }
    // Where a block the node holds is, in a CAR the blockstore still has.
    Result<std::optional<BlockLocation>, std::string> locate(const ipld::Cid& cid);

    // Forgets the block locations inside `car` when the blockstore no longer holds it.
    void forget_if_gone(const Hash32& car);
    // CARs found gone and forgotten so far.
    uint64_t forgotten_cars() const { return m_forgotten_cars.load(); }

    content::Blockstore& blockstore() { return m_blockstore; }
    Resolver& resolver() { return m_resolver; }

private:
    content::Blockstore& m_blockstore;
    Resolver& m_resolver;
    std::atomic<uint64_t> m_forgotten_cars{0};
};

}  // namespace fleek::origins
