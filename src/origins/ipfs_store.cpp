#include "origins/ipfs_store.h"

#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

namespace fleek::origins {

Result<std::optional<Bytes>, std::string> IpfsStore::get(const ipld::Cid& cid) {
    if (cid.hash_code() == ipld::multicodec::identity) return std::optional<Bytes>(Bytes(cid.digest().begin(), cid.digest().end()));
    auto location = m_resolver.block(cid.multihash());
    if (!location) return fail(location.error());
    if (!*location) return std::optional<Bytes>();
    auto bytes = m_blockstore.read_range((*location)->car, (*location)->offset, (*location)->size);
    if (!bytes) {
        if (bytes.error() == content::BlockstoreError::not_found || bytes.error() == content::BlockstoreError::corrupt) {
            // The CAR left the store (evicted, or quarantined): the block is gone with it.
            FLEEK_LOG_DEBUG("origins.ipfs", "block {} is in CAR {}, which the store no longer holds", cid.to_string(),
                            hex_encode((*location)->car));
            return std::optional<Bytes>();
        }
        return fail(fmt::format("reading block {}: {}", cid.to_string(), content::to_string(bytes.error())));
    }
    if (bytes->size() != (*location)->size || !cid.verify(*bytes)) {
        // The CAR's bytes are verified by BLAKE3, so this means the index is wrong: never serve it.
        FLEEK_LOG_ERROR("origins.ipfs", "block {} read from CAR {} does not match its CID", cid.to_string(), hex_encode((*location)->car));
        return std::optional<Bytes>();
    }
    return std::optional<Bytes>(std::move(*bytes));
}

std::optional<uint64_t> IpfsStore::block_size(const ipld::Cid& cid) {
    if (cid.hash_code() == ipld::multicodec::identity) return cid.digest().size();
    auto location = m_resolver.block(cid.multihash());
    if (!location || !*location) return std::nullopt;
    if (!m_blockstore.info((*location)->car)) return std::nullopt;
    return (*location)->size;
}

}  // namespace fleek::origins
