#include "origins/ipfs_origin.h"

#include "content/directory.h"
#include "ipld/car.h"
#include "ipld/dag.h"
#include "origins/http_client.h"
#include "origins/ipfs_dag_store.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

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

std::string trim_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

}  // namespace

struct IpfsOrigin::Fetch {
    Fetch(IpfsOrigin& owner, const Cid& root_cid) : origin(owner), root(root_cid) {}

    IpfsOrigin& origin;
    Cid root;
    std::unique_ptr<content::Blockstore::Writer> car;
    uint64_t car_offset = 0;
    struct Held {
        uint64_t offset;
        uint32_t size;
        std::vector<Cid> links;
    };
    std::map<Bytes, Held> blocks;  // by multihash
    uint64_t block_bytes = 0;
    std::vector<std::string> notes;  // what each source did wrong, for the final message
    std::set<size_t> distrusted;     // gateways that sent a block not matching its CID
    size_t not_found_answers = 0;
    size_t attempts = 0;
    std::optional<OriginError> fatal;

    const IpfsOriginOptions& options() const { return origin.m_options; }

    Result<void, OriginError> start() {
        auto writer = origin.m_blockstore.begin_write();
        if (!writer) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(writer.error()))));
        car = std::move(*writer);
        Bytes header;
        ipld::append_car_header(header, {root});
        if (auto written = car->write(header); !written) {
            return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(written.error()))));
        }
        car_offset = header.size();
        return {};
    }

    bool holds(const Cid& cid) const {
        return cid.hash_code() == multicodec::identity || blocks.count(Bytes(cid.multihash().begin(), cid.multihash().end())) != 0;
    }

    // Keeps a block whose bytes were already checked against `cid`.
    Result<void, OriginError> add_block(const Cid& cid, ByteSpan bytes) {
        if (cid.hash_code() == multicodec::identity) return {};
        Bytes key(cid.multihash().begin(), cid.multihash().end());
        if (blocks.count(key) != 0) return {};
        if (bytes.size() > options().max_block_bytes) {
            return fail(origin_error(OriginErrorCode::too_large, fmt::format("block {} has {} bytes (limit {})", cid.to_string(),
                                                                             bytes.size(), options().max_block_bytes)));
        }
        if (blocks.size() + 1 > options().max_blocks) {
            return fail(origin_error(OriginErrorCode::too_large, fmt::format("more than {} blocks", options().max_blocks)));
        }
        if (block_bytes + bytes.size() > options().max_content_bytes) {
            return fail(origin_error(OriginErrorCode::too_large, fmt::format("more than {} bytes", options().max_content_bytes)));
        }
        if (cid.codec() != multicodec::dag_pb && cid.codec() != multicodec::raw) {
            return fail(origin_error(OriginErrorCode::unsupported,
                                     fmt::format("block {} is {}: only UnixFS (dag-pb and raw) is cached", cid.to_string(),
                                                 ipld::multicodec_name(cid.codec()))));
        }
        auto links = ipld::block_links(cid, bytes);
        if (!links) return fail(origin_error(OriginErrorCode::unsupported, links.error().message()));
        const Bytes prefix = ipld::car_section_prefix(cid, bytes.size());
        for (const ByteSpan piece : {ByteSpan(prefix), bytes}) {
            if (auto written = car->write(piece); !written) {
                return fail(origin_error(written.error() == content::BlockstoreError::too_large ? OriginErrorCode::too_large
                                                                                               : OriginErrorCode::store_failed,
                                         std::string(content::to_string(written.error()))));
            }
        }
        blocks.emplace(std::move(key), Held{car_offset + prefix.size(), static_cast<uint32_t>(bytes.size()), std::move(*links)});
        car_offset += prefix.size() + bytes.size();
        block_bytes += bytes.size();
        return {};
    }

    // Blocks the DAG links to that we do not hold yet, depth first from the root.
    Result<std::vector<Cid>, OriginError> missing() {
        std::vector<Cid> out;
        std::set<Bytes> seen;
        std::vector<std::pair<const Cid*, uint64_t>> stack{{&root, 0}};
        while (!stack.empty()) {
            auto [cid, depth] = stack.back();
            stack.pop_back();
            if (depth > options().max_depth) {
                return fail(origin_error(OriginErrorCode::too_large, fmt::format("the DAG is deeper than {} levels", options().max_depth)));
            }
            if (cid->hash_code() == multicodec::identity) continue;
            Bytes key(cid->multihash().begin(), cid->multihash().end());
            if (!seen.insert(key).second) continue;
            const auto found = blocks.find(key);
            if (found == blocks.end()) {
                out.push_back(*cid);
                continue;
            }
            for (auto it = found->second.links.rbegin(); it != found->second.links.rend(); ++it) stack.emplace_back(&*it, depth + 1);
        }
        return out;
    }

    HttpGetOptions http_options(const char* accept, uint64_t max_body) const {
        HttpGetOptions http;
        http.connect_timeout_ms = options().connect_timeout_ms;
        http.total_timeout_ms = options().request_timeout_ms;
        http.max_body_bytes = max_body;
        http.headers = {std::string("Accept: ") + accept};
        http.cancel = &origin.m_cancelled;
        http.address_policy = &options().address_policy;
        return http;
    }

    void try_car(size_t gateway_index) {
        const std::string& gateway = options().gateways[gateway_index];
        const std::string url = fmt::format("{}/ipfs/{}?format=car&dag-scope=all", trim_slash(gateway), root.to_string());
        ++origin.m_car_requests;
        ++attempts;
        ipld::CarLimits limits;
        limits.max_section_bytes = options().max_block_bytes + ipld::cid_size_max;
        std::optional<ipld::CarError> car_error;
        ipld::CarStreamReader reader(limits, nullptr, [&](const ipld::CarStreamReader::Block& block) {
            auto added = add_block(block.cid, block.bytes);
            if (!added) {
                fatal = added.error();
                return false;
            }
            return true;
        });
        const uint64_t before = blocks.size();
        const HttpGetResult result = http_get(url, http_options("application/vnd.ipld.car; version=1; order=dfs; dups=n",
                                                                options().max_content_bytes + options().max_blocks * 128),
                                              [&](ByteSpan bytes) {
                                                  auto fed = reader.feed(bytes);
                                                  if (!fed) {
                                                      car_error = fed.error();
                                                      return false;
                                                  }
                                                  return true;
                                              });
        if (fatal) return;
        if (result.ok() && !car_error) {
            if (auto done = reader.finish(); !done) car_error = done.error();
        }
        if (car_error && car_error->code == ipld::CarErrorCode::section_too_large) {
            fatal = origin_error(OriginErrorCode::too_large, fmt::format("{} sent a block over the limit of {} bytes ({})", gateway,
                                                                         options().max_block_bytes, car_error->message()));
            return;
        }
        if (car_error && car_error->code != ipld::CarErrorCode::stopped) {
            if (car_error->code == ipld::CarErrorCode::hash_mismatch || car_error->code == ipld::CarErrorCode::unverifiable_block) {
                distrusted.insert(gateway_index);
                ++origin.m_rejected_blocks;
                notes.push_back(fmt::format("{} sent a CAR with a block that does not match its CID ({}); nothing of that block was kept",
                                            gateway, car_error->message()));
                FLEEK_LOG_WARN("origins.ipfs", "{}: {}", gateway, notes.back());
            } else {
                notes.push_back(fmt::format("{}: unusable CAR: {}", gateway, car_error->message()));
            }
            return;
        }
        if (!result.ok()) {
            if (result.status == 404 || result.status == 410) ++not_found_answers;
            notes.push_back(fmt::format("{}: CAR request: {}", gateway, result.describe()));
            FLEEK_LOG_DEBUG("origins.ipfs", "{}", notes.back());
            return;
        }
        FLEEK_LOG_DEBUG("origins.ipfs", "{}: CAR of {} gave {} new blocks", gateway, root.to_string(), blocks.size() - before);
    }

    // Asks the gateways that did not lie for one block; true when it arrived.
    bool try_raw(const Cid& cid) {
        for (size_t i = 0; i < options().gateways.size(); ++i) {
            if (distrusted.count(i) != 0) continue;
            const std::string& gateway = options().gateways[i];
            const std::string url = fmt::format("{}/ipfs/{}?format=raw", trim_slash(gateway), cid.to_string());
            ++origin.m_raw_requests;
            ++attempts;
            Bytes body;
            const HttpGetResult result = http_get(url, http_options("application/vnd.ipld.raw", options().max_block_bytes), [&](ByteSpan bytes) {
                body.insert(body.end(), bytes.begin(), bytes.end());
                return true;
            });
            if (result.too_large) {
                fatal = origin_error(OriginErrorCode::too_large, fmt::format("block {} from {} is over the limit of {} bytes", cid.to_string(),
                                                                             gateway, options().max_block_bytes));
                return false;
            }
            if (!result.ok()) {
                if (result.status == 404 || result.status == 410) ++not_found_answers;
                notes.push_back(fmt::format("{}: block {}: {}", gateway, cid.to_string(), result.describe()));
                continue;
            }
            if (!cid.verify(body)) {
                distrusted.insert(i);
                ++origin.m_rejected_blocks;
                notes.push_back(fmt::format("{} sent block {} with bytes that do not match the CID; not kept", gateway, cid.to_string()));
                FLEEK_LOG_WARN("origins.ipfs", "{}", notes.back());
                continue;
            }
            if (auto added = add_block(cid, body); !added) {
                fatal = added.error();
                return false;
            }
            return true;
        }
        return false;
    }

    OriginError failure(const std::vector<Cid>& missing_blocks) const {
        std::string message = fmt::format("could not fetch {} block(s) of {} (first: {})", missing_blocks.size(), root.to_string(),
                                          missing_blocks.front().to_string());
        for (const auto& note : notes) message += "; " + note;
        OriginErrorCode code = OriginErrorCode::unavailable;
        if (!distrusted.empty() && distrusted.size() == options().gateways.size()) {
            code = OriginErrorCode::verification_failed;
        } else if (attempts > 0 && not_found_answers == attempts) {
            code = OriginErrorCode::not_found;
        } else if (!distrusted.empty()) {
            code = OriginErrorCode::verification_failed;
        }
        return origin_error(code, message);
    }
};

IpfsOrigin::IpfsOrigin(IpfsOriginOptions options, content::Blockstore& blockstore, Resolver& resolver)
    : m_options(std::move(options)), m_blockstore(blockstore), m_resolver(resolver) {
    // The operator chose the gateways: their hosts are reachable whatever their addresses; a
    // redirect from one of them elsewhere meets the address policy.
    for (const auto& gateway : m_options.gateways) {
        if (auto host = url_host(gateway)) m_options.address_policy.allow_host(*host);
    }
}

IpfsOrigin::~IpfsOrigin() = default;

IpfsOriginStats IpfsOrigin::stats() const {
    return {m_fetches.load(), m_car_requests.load(), m_raw_requests.load(), m_rejected_blocks.load()};
}

Result<FetchedIpfs, OriginError> IpfsOrigin::fetch(const Cid& requested) {
    const Cid cid = requested.to_v1();
    // Already held: the record, its content and the blocks' CAR are all in the store.
    auto record = m_resolver.ipfs(cid);
    if (!record) return fail(origin_error(OriginErrorCode::store_failed, record.error()));
    if (*record && m_blockstore.info((*record)->car) && ((*record)->kind == ResolvedKind::symlink || m_blockstore.info((*record)->hash))) {
        FetchedIpfs cached;
        cached.cid = requested;
        cached.record = **record;
        cached.cached = true;
        return cached;
    }
    return m_flights.run(cid.bytes(), [&]() -> Result<FetchedIpfs, OriginError> {
        auto result = fetch_uncached(requested);
        if (result) {
            FLEEK_LOG_INFO("origins.ipfs", "fetched {}: {} blocks, {} bytes -> {}", requested.to_string(), result->blocks,
                           result->block_bytes, hex_encode(result->record.hash));
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
    Fetch fetch(*this, cid);
    if (auto started = fetch.start(); !started) return fail(started.error());

    // 1. The whole DAG as one CAR, from each gateway in turn until nothing is missing.
    std::vector<Cid> missing;
    for (size_t i = 0; i < m_options.gateways.size(); ++i) {
        fetch.try_car(i);
        if (fetch.fatal) return fail(*fetch.fatal);
        auto still = fetch.missing();
        if (!still) return fail(still.error());
        missing = std::move(*still);
        if (missing.empty()) break;
    }
    // 2. What is still missing, block by block.
    while (!missing.empty()) {
        size_t progress = 0;
        for (const Cid& block : missing) {
            if (fetch.try_raw(block)) ++progress;
            if (fetch.fatal) return fail(*fetch.fatal);
        }
        auto still = fetch.missing();
        if (!still) return fail(still.error());
        if (progress == 0) return fail(fetch.failure(*still));
        missing = std::move(*still);
    }

    // 3. Keep the blocks: commit the CAR.
    auto car = fetch.car->commit();
    if (!car) return fail(origin_error(OriginErrorCode::store_failed, fmt::format("storing the CAR: {}", content::to_string(car.error()))));
    // 4 and 5 (shared with adopting a CAR fetched from peers, ipfs_dag_store.h).
    std::map<Bytes, CarBlock> held;
    for (const auto& [key, block] : fetch.blocks) held.emplace(key, CarBlock{block.offset, block.size});
    auto root = store_unixfs_dag(m_blockstore, m_resolver, cid, *car, held, m_options.max_depth);
    if (!root) return fail(root.error());

    FetchedIpfs fetched;
    fetched.cid = cid;
    fetched.record = *root;
    fetched.blocks = fetch.blocks.size();
    fetched.block_bytes = fetch.block_bytes;
    return fetched;
}

}  // namespace fleek::origins
