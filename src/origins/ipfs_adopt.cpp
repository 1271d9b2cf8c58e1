#include "origins/ipfs_adopt.h"

#include "ipld/car.h"
#include "ipld/dag.h"
#include "origins/ipfs_dag_store.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <set>

namespace fleek::origins {

using ipld::Cid;
namespace multicodec = ipld::multicodec;

namespace {

struct Held {
    CarBlock location;
    std::vector<Cid> links;
};

}  // namespace

Result<FetchedIpfs, OriginError> adopt_car(content::Blockstore& blockstore, Resolver& resolver, const Cid& requested,
                                           const Hash32& car, const AdoptLimits& limits) {
    const Cid root = requested.to_v1();
    if (root.codec() != multicodec::dag_pb && root.codec() != multicodec::raw) {
        return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: only UnixFS (dag-pb and raw) is cached", root.to_string())));
    }
    auto tree = blockstore.tree(car);
    if (!tree) return fail(origin_error(OriginErrorCode::store_failed, fmt::format("the CAR: {}", content::to_string(tree.error()))));

    // Every block, checked against its CID by the reader before we see it.
    ipld::CarLimits car_limits;
    car_limits.max_section_bytes = limits.max_block_bytes + ipld::cid_size_max;
    car_limits.max_blocks = limits.max_blocks;
    car_limits.max_total_bytes = limits.max_content_bytes;
    std::map<Bytes, Held> blocks;
    std::optional<OriginError> refused;
    ipld::CarStreamReader reader(car_limits, nullptr, [&](const ipld::CarStreamReader::Block& block) {
        if (block.cid.hash_code() == multicodec::identity) return true;
        Bytes key(block.cid.multihash().begin(), block.cid.multihash().end());
        if (blocks.count(key) != 0) return true;
        std::vector<Cid> links;
        if (block.cid.codec() == multicodec::dag_pb || block.cid.codec() == multicodec::raw) {
            auto decoded = ipld::block_links(block.cid, block.bytes);
            if (!decoded) {
                refused = origin_error(OriginErrorCode::unsupported, fmt::format("block {}: {}", block.cid.to_string(), decoded.error().message()));
                return false;
            }
            links = std::move(*decoded);
        }
        const uint64_t at = block.offset + ipld::car_section_size(block.cid, block.bytes.size()) - block.bytes.size();
        blocks.emplace(std::move(key), Held{CarBlock{at, static_cast<uint32_t>(block.bytes.size())}, std::move(links)});
        return true;
    });
    const uint64_t count = (*tree)->blocks();
    for (uint64_t k = 0; k < count && !refused; ++k) {
        auto bytes = blockstore.read_block(car, k);
        if (!bytes) return fail(origin_error(OriginErrorCode::store_failed, fmt::format("reading the CAR: {}", content::to_string(bytes.error()))));
        if (auto fed = reader.feed((*bytes)->view()); !fed) {
            if (refused) break;
            const bool over = fed.error().code == ipld::CarErrorCode::section_too_large || fed.error().code == ipld::CarErrorCode::too_many_blocks ||
                              fed.error().code == ipld::CarErrorCode::too_much_data;
            return fail(origin_error(over ? OriginErrorCode::too_large : OriginErrorCode::verification_failed,
                                     fmt::format("the CAR {}: {}", hex_encode(car), fed.error().message())));
        }
    }
    if (refused) return fail(*refused);
    if (auto finished = reader.finish(); !finished) {
        return fail(origin_error(OriginErrorCode::verification_failed, fmt::format("the CAR {}: {}", hex_encode(car), finished.error().message())));
    }
    if (reader.v2_header()) {
        return fail(origin_error(OriginErrorCode::verification_failed, "the CAR is a CARv2; the network exchanges CARv1 only"));
    }

    // The DAG under the root, complete: every block reachable from it is held.
    std::map<Bytes, CarBlock> reachable;
    uint64_t block_bytes = 0;
    std::set<Bytes> seen;
    std::vector<std::pair<Cid, uint64_t>> stack{{root, 0}};
    while (!stack.empty()) {
        auto [cid, depth] = stack.back();
        stack.pop_back();
        if (depth > limits.max_depth) {
            return fail(origin_error(OriginErrorCode::too_large, fmt::format("the DAG is deeper than {} levels", limits.max_depth)));
        }
        if (cid.hash_code() == multicodec::identity) continue;
        Bytes key(cid.multihash().begin(), cid.multihash().end());
        if (!seen.insert(key).second) continue;
        const auto found = blocks.find(key);
        if (found == blocks.end()) {
            return fail(origin_error(OriginErrorCode::verification_failed,
                                     fmt::format("the CAR does not hold block {} of {}", cid.to_string(), root.to_string())));
        }
        if (cid.codec() != multicodec::dag_pb && cid.codec() != multicodec::raw) {
            return fail(origin_error(OriginErrorCode::unsupported, fmt::format("block {} is {}: only UnixFS is cached", cid.to_string(),
                                                                               ipld::multicodec_name(cid.codec()))));
        }
        reachable.emplace(key, found->second.location);
        block_bytes += found->second.location.size;
        for (auto it = found->second.links.rbegin(); it != found->second.links.rend(); ++it) stack.emplace_back(*it, depth + 1);
    }

    auto record = store_unixfs_dag(blockstore, resolver, root, car, reachable, limits.max_depth);
    if (!record) return fail(record.error());
    FetchedIpfs fetched;
    fetched.cid = root;
    fetched.record = *record;
    fetched.blocks = reachable.size();
    fetched.block_bytes = block_bytes;
    return fetched;
}

}  // namespace fleek::origins
