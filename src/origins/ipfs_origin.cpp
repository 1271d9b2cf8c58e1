#include "origins/ipfs_origin.h"

#include "content/directory.h"
#include "ipld/car.h"
#include "ipld/dag.h"
#include "origins/ipfs_dag_store.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <set>

namespace fleek::origins {

using ipld::Cid;
namespace multicodec = ipld::multicodec;

std::string_view to_string(OriginErrorCode code) noexcept {
    switch (code) {
        case OriginErrorCode::invalid_request: return "invalid request";
        case OriginErrorCode::disabled: return "origin disabled";
        case OriginErrorCode::not_found: return "not found at the origin";
        case OriginErrorCode::unavailable: return "origin unavailable";
        case OriginErrorCode::verification_failed: return "the origin sent data that failed verification";
        case OriginErrorCode::too_large: return "over a limit";
        case OriginErrorCode::unsupported: return "unsupported content";
        case OriginErrorCode::store_failed: return "storing failed";
        case OriginErrorCode::refused_address: return "the origin's address may not be reached";
    }
    return "unknown origin error";
}

namespace {


}  // namespace

IpfsOrigin::IpfsOrigin(IpfsOriginOptions options, content::Blockstore& blockstore, Resolver& resolver)
    : m_options(std::move(options)), m_blockstore(blockstore), m_resolver(resolver), m_held(blockstore, resolver) {
    // The operator chose the gateways: their hosts are reachable whatever their addresses; a
    // redirect from one of them elsewhere meets the address policy.
    for (const auto& gateway : m_options.gateways) {
        if (auto host = url_host(gateway)) m_options.address_policy.allow_host(*host);
    }
}

IpfsOrigin::~IpfsOrigin() = default;

IpfsOriginStats IpfsOrigin::stats() const {
    IpfsOriginStats stats;
    stats.fetches = m_fetches.load();
    stats.car_requests = m_counters.car_requests.load();
    stats.raw_requests = m_counters.raw_requests.load();
    stats.rejected_blocks = m_counters.rejected_blocks.load();
    stats.unexpected_blocks = m_counters.unexpected_blocks.load();
    stats.oversized_blocks = m_counters.oversized_blocks.load();
    stats.resumed_blocks = m_counters.resumed_blocks.load();
    stats.partial_cars = m_counters.partial_cars.load();
    stats.connections = m_connections.load();
    return stats;
}

std::unique_ptr<GatewayClient> IpfsOrigin::take_client() {
    {
        std::lock_guard lock(m_clients_mutex);
        if (!m_idle_clients.empty()) {
            auto client = std::move(m_idle_clients.back());
            m_idle_clients.pop_back();
            return client;
        }
    }
    GatewayClientOptions options;
    options.connect_timeout_ms = m_options.connect_timeout_ms;
    options.request_timeout_ms = m_options.request_timeout_ms;
    options.low_speed_bytes_per_s = m_options.low_speed_bytes_per_s;
    options.low_speed_time_s = m_options.low_speed_time_s;
    options.max_parallel = static_cast<size_t>(std::max<uint64_t>(m_options.parallel_requests, 1));
    options.cancel = &m_cancelled;
    options.address_policy = &m_options.address_policy;
    return std::make_unique<GatewayClient>(options);
}

void IpfsOrigin::return_client(std::unique_ptr<GatewayClient> client) {
    constexpr size_t max_idle_clients = 4;
    std::lock_guard lock(m_clients_mutex);
    if (client->usable() && m_idle_clients.size() < max_idle_clients) m_idle_clients.push_back(std::move(client));
}

bool IpfsOrigin::content_complete(const IpfsRecord& record) {
    switch (record.kind) {
        case ResolvedKind::symlink: return true;
        case ResolvedKind::file: return m_blockstore.info(record.hash).has_value();
        case ResolvedKind::directory: break;
    }
    // Every file and directory below, each directory read (and verified) once.
    std::set<Hash32> seen;
    std::vector<std::pair<Hash32, uint64_t>> stack{{record.hash, 0}};
    uint64_t entries = 0;
    while (!stack.empty()) {
        const auto [hash, depth] = stack.back();
        stack.pop_back();
        if (!seen.insert(hash).second) continue;
        if (depth > m_options.max_depth) return false;
        auto directory = m_blockstore.directory(hash);
        if (!directory) return false;
        for (const auto& entry : directory->entries()) {
            if (++entries > m_options.max_blocks) return false;
            if (entry.kind == content::EntryKind::file && !m_blockstore.info(entry.hash)) return false;
            if (entry.kind == content::EntryKind::directory) stack.emplace_back(entry.hash, depth + 1);
        }
    }
    return true;
}

Result<FetchedIpfs, OriginError> IpfsOrigin::fetch(const Cid& requested) {
    const Cid cid = requested.to_v1();
    // Already held: the record, the CAR with its blocks (still indexed) and all its content.
    auto record = m_resolver.ipfs(cid);
    if (!record) return fail(origin_error(OriginErrorCode::store_failed, record.error()));
    if (*record) {
        if (!m_blockstore.info((*record)->car)) m_held.forget_if_gone((*record)->car);
        if (m_blockstore.info((*record)->car) && m_held.has(cid) && content_complete(**record)) {
            FetchedIpfs cached;
            cached.cid = requested;
            cached.record = **record;
            cached.cached = true;
            return cached;
        }
        FLEEK_LOG_INFO("origins.ipfs", "{} was fetched before but its blocks or content left the store: fetching it again", cid.to_string());
    }
    return m_flights.run(cid.bytes(), [&]() -> Result<FetchedIpfs, OriginError> {
        auto result = fetch_uncached(requested);
        if (result) {
            FLEEK_LOG_INFO("origins.ipfs", "fetched {}: {} blocks ({} from gateways), {} bytes -> {}", requested.to_string(), result->blocks,
                           result->fetched_blocks, result->block_bytes, hex_encode(result->record.hash));
        } else {
            FLEEK_LOG_WARN("origins.ipfs", "fetching {} failed: {}", requested.to_string(), result.error().message);
        }
        return result;
    });
}

Result<FetchedIpfs, OriginError> IpfsOrigin::fetch_uncached(const Cid& cid) {
    if (m_options.gateways.empty()) return fail(origin_error(OriginErrorCode::disabled, "no IPFS gateways are configured (origins.ipfs_gateways)"));
    if (cid.codec() != multicodec::dag_pb && cid.codec() != multicodec::raw) {
        return fail(origin_error(OriginErrorCode::unsupported,
                                 fmt::format("{} is {}: only UnixFS (dag-pb and raw) is cached", cid.to_string(), ipld::multicodec_name(cid.codec()))));
    }
    if (!ipld::is_supported_hash(cid.hash_code())) {
        return fail(origin_error(OriginErrorCode::unsupported,
                                 fmt::format("{} uses {}, which this node cannot verify", cid.to_string(), ipld::multicodec_name(cid.hash_code()))));
    }
    ++m_fetches;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_options.fetch_deadline_ms);
    auto client = take_client();
    const uint64_t connections_before = client->connections_opened();
    auto gathered = gather_dag(m_options, m_blockstore, m_held, *client, m_counters, cid, deadline);
    m_connections += client->connections_opened() - connections_before;
    return_client(std::move(client));
    if (!gathered) return fail(gathered.error());
    const Hash32 car = gathered->car;
    // Content that cannot be stored leaves no CAR of ours behind; when the store failed, the
    // complete CAR stays indexed so that the next attempt needs no gateway.
    const auto give_up = [&](OriginError error) -> Result<FetchedIpfs, OriginError> {
        if (!gathered->new_car) return fail(std::move(error));
        if (error.code != OriginErrorCode::store_failed) {
            (void)m_blockstore.remove(car);
            return fail(std::move(error));
        }
        Resolver::IpfsBatch blocks_only;
        for (const auto& [key, block] : gathered->blocks) blocks_only.blocks.emplace_back(key, BlockLocation{car, block.offset, block.size});
        (void)m_resolver.put_ipfs(blocks_only);
        return fail(std::move(error));
    };

    // Store the files and directories the DAG describes and remember it all (ipfs_dag_store.h).
    std::map<Bytes, CarBlock> held;
    for (const auto& [key, block] : gathered->blocks) held.emplace(key, CarBlock{block.offset, block.size});
    auto root = store_unixfs_dag(m_blockstore, m_resolver, cid, car, held, m_options.max_depth, gathered->new_car);
    if (!root) return give_up(root.error());

    FetchedIpfs fetched;
    fetched.cid = cid;
    fetched.record = *root;
    fetched.blocks = gathered->blocks.size();
    fetched.block_bytes = gathered->block_bytes;
    fetched.fetched_blocks = gathered->fetched_blocks;
    return fetched;
}

}  // namespace fleek::origins
