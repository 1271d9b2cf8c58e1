#include "origins/ipfs_origin.h"

#include "content/directory.h"
#include "ipld/car.h"
#include "ipld/dag.h"
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

OriginError origin_error(OriginErrorCode code, std::string message) { return OriginError{code, std::move(message)}; }

// Reads blocks back from the committed CAR: the blockstore checks every byte against its BLAKE3
// tree, and the bytes were checked against their CID before they were written.
class CarBlobSource : public ipld::BlockSource {
public:
    CarBlobSource(content::Blockstore& store, const Hash32& car, const std::map<Bytes, GatheredBlock>& blocks)
        : m_store(store), m_car(car), m_blocks(blocks) {}

    Result<std::optional<Bytes>, std::string> get(const Cid& cid) override {
        if (cid.hash_code() == multicodec::identity) return std::optional<Bytes>(Bytes(cid.digest().begin(), cid.digest().end()));
        const auto found = m_blocks.find(Bytes(cid.multihash().begin(), cid.multihash().end()));
        if (found == m_blocks.end()) return std::optional<Bytes>();
        auto bytes = m_store.read_range(m_car, found->second.offset, found->second.size);
        if (!bytes) return fail(fmt::format("reading the stored CAR: {}", content::to_string(bytes.error())));
        return std::optional<Bytes>(std::move(*bytes));
    }

private:
    content::Blockstore& m_store;
    Hash32 m_car;
    const std::map<Bytes, GatheredBlock>& m_blocks;
};

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
    CarBlobSource source(m_blockstore, car, gathered->blocks);
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

    // Store the files and directories the DAG describes, children first.
    Resolver::IpfsBatch batch;
    std::map<Cid, std::pair<IpfsRecord, std::string>> done;  // by CIDv1: record, symlink target
    std::function<Result<std::pair<IpfsRecord, std::string>, OriginError>(const Cid&, uint64_t)> store =
        [&](const Cid& node_cid, uint64_t depth) -> Result<std::pair<IpfsRecord, std::string>, OriginError> {
        const Cid key = node_cid.to_v1();
        if (auto it = done.find(key); it != done.end()) return it->second;
        if (depth > m_options.max_depth) {
            return fail(origin_error(OriginErrorCode::too_large, fmt::format("directories nested deeper than {}", m_options.max_depth)));
        }
        auto node = ipld::load_node(source, node_cid);
        if (!node) return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), node.error().message())));
        IpfsRecord record;
        record.car = car;
        if (node->kind == ipld::NodeKind::file || node->kind == ipld::NodeKind::raw_file) {
            // A file stored before (this DAG fetched again, or another sharing it) is not rewritten.
            auto known = m_resolver.ipfs(key);
            if (known && *known && (*known)->kind == ResolvedKind::file && m_blockstore.info((*known)->hash)) {
                record.kind = ResolvedKind::file;
                record.hash = (*known)->hash;
                record.size = (*known)->size;
                batch.records.emplace_back(key, record);
                done.emplace(key, std::make_pair(record, std::string()));
                return std::make_pair(record, std::string());
            }
        }
        std::string target;
        switch (node->kind) {
            case ipld::NodeKind::raw_file:
            case ipld::NodeKind::file: {
                auto writer = m_blockstore.begin_write();
                if (!writer) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(writer.error()))));
                std::optional<content::BlockstoreError> write_error;
                auto read = ipld::read_file(source, *node, 0, UINT64_MAX, [&](ByteSpan bytes) {
                    auto written = (*writer)->write(bytes);
                    if (!written) write_error = written.error();
                    return written.has_value();
                });
                if (write_error) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(*write_error))));
                if (!read) return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), read.error().message())));
                const uint64_t size = (*writer)->bytes_written();
                auto hash = (*writer)->commit();
                if (!hash) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(hash.error()))));
                record.kind = ResolvedKind::file;
                record.hash = *hash;
                record.size = size;
                break;
            }
            case ipld::NodeKind::directory:
            case ipld::NodeKind::hamt_shard: {
                auto links = ipld::list_directory(source, *node);
                if (!links) return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), links.error().message())));
                std::vector<content::DirectoryEntry> entries;
                entries.reserve(links->size());
                for (const auto& link : *links) {
                    if (!content::is_valid_entry_name(link.name)) {
                        return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: entry name `{}` is not allowed in a directory",
                                                                                          node_cid.to_string(), link.name)));
                    }
                    auto child = store(link.cid, depth + 1);
                    if (!child) return fail(child.error());
                    content::DirectoryEntry entry;
                    entry.name = link.name;
                    switch (child->first.kind) {
                        case ResolvedKind::file: entry.kind = content::EntryKind::file, entry.hash = child->first.hash; break;
                        case ResolvedKind::directory: entry.kind = content::EntryKind::directory, entry.hash = child->first.hash; break;
                        case ResolvedKind::symlink: entry.kind = content::EntryKind::symlink, entry.target = child->second; break;
                    }
                    entries.push_back(std::move(entry));
                }
                auto directory = content::Directory::make(std::move(entries));
                if (!directory) {
                    return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{}: {}", node_cid.to_string(), content::to_string(directory.error()))));
                }
                auto hash = m_blockstore.put_directory(*directory);
                if (!hash) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(hash.error()))));
                record.kind = ResolvedKind::directory;
                record.hash = *hash;
                record.size = directory->entries().size();
                break;
            }
            case ipld::NodeKind::symlink: {
                target = std::string(as_string_view(node->unixfs.data.value_or(Bytes())));
                record.kind = ResolvedKind::symlink;
                record.size = target.size();
                break;
            }
            case ipld::NodeKind::other:
                return fail(origin_error(OriginErrorCode::unsupported, fmt::format("{} is not a UnixFS file, directory or symlink", node_cid.to_string())));
        }
        batch.records.emplace_back(key, record);
        done.emplace(key, std::make_pair(record, target));
        return std::make_pair(record, target);
    };
    auto root = store(cid, 0);
    if (!root) return give_up(root.error());
    if (root->first.kind == ResolvedKind::symlink) {
        return give_up(origin_error(OriginErrorCode::unsupported, fmt::format("{} is a symlink; a symlink is cached only inside a directory", cid.to_string())));
    }

    // Remember it all in one batch (a reused CAR's blocks are indexed already).
    if (gathered->new_car) {
        batch.blocks.reserve(gathered->blocks.size());
        for (const auto& [key, block] : gathered->blocks) batch.blocks.emplace_back(key, BlockLocation{car, block.offset, block.size});
    }
    if (auto put = m_resolver.put_ipfs(batch); !put) return fail(origin_error(OriginErrorCode::store_failed, put.error()));

    FetchedIpfs fetched;
    fetched.cid = cid;
    fetched.record = root->first;
    fetched.blocks = gathered->blocks.size();
    fetched.block_bytes = gathered->block_bytes;
    fetched.fetched_blocks = gathered->fetched_blocks;
    return fetched;
}

}  // namespace fleek::origins
