#include "origins/ipfs_store.h"

#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

namespace fleek::origins {

void IpfsStore::forget_if_gone(const Hash32& car) {
    if (m_blockstore.info(car)) return;
    auto forgotten = m_resolver.forget_car(car);
    if (!forgotten) {
        FLEEK_LOG_WARN("origins.ipfs", "forgetting the blocks of CAR {}: {}", hex_encode(car), forgotten.error());
        return;
    }
    if (*forgotten > 0) {
        ++m_forgotten_cars;
        FLEEK_LOG_INFO("origins.ipfs", "CAR {} left the store: forgot its {} block location(s)", hex_encode(car), *forgotten);
    }
}

Result<std::optional<Bytes>, std::string> IpfsStore::get(const ipld::Cid& cid) {
    if (cid.hash_code() == ipld::multicodec::identity) return std::optional<Bytes>(Bytes(cid.digest().begin(), cid.digest().end()));
    auto locations = m_resolver.block_locations(cid.multihash());
    if (!locations) return fail(locations.error());
    for (const BlockLocation& location : *locations) {
        auto bytes = m_blockstore.read_range(location.car, location.offset, location.size);
        if (!bytes) {
            if (bytes.error() == content::BlockstoreError::not_found || bytes.error() == content::BlockstoreError::corrupt) {
                // The CAR left the store (evicted, or quarantined): its blocks go with it.
                forget_if_gone(location.car);
                continue;
            }
            return fail(fmt::format("reading block {}: {}", cid.to_string(), content::to_string(bytes.error())));
        }
        if (bytes->size() != location.size || !cid.verify(*bytes)) {
            // The CAR's bytes are verified by BLAKE3, so this means the index is wrong: never serve it.
            FLEEK_LOG_ERROR("origins.ipfs", "block {} read from CAR {} does not match its CID", cid.to_string(), hex_encode(location.car));
            continue;
        }
        return std::optional<Bytes>(std::move(*bytes));
    }
    return std::optional<Bytes>();
}

Result<std::optional<BlockLocation>, std::string> IpfsStore::locate(const ipld::Cid& cid) {
    auto locations = m_resolver.block_locations(cid.multihash());
    if (!locations) return fail(locations.error());
    for (const BlockLocation& location : *locations) {
        if (m_blockstore.info(location.car)) return std::optional<BlockLocation>(location);
        forget_if_gone(location.car);
    }
    return std::optional<BlockLocation>();
}

std::optional<uint64_t> IpfsStore::block_size(const ipld::Cid& cid) {
    if (cid.hash_code() == ipld::multicodec::identity) return cid.digest().size();
    auto location = locate(cid);
    if (!location || !*location) return std::nullopt;
    return (*location)->size;
}

}  // namespace fleek::origins
