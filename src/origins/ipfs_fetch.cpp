#include "origins/ipfs_fetch.h"

#include "ipld/car.h"
#include "origins/ipfs_origin.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <deque>
#include <set>

namespace fleek::origins {

using ipld::Cid;
namespace multicodec = ipld::multicodec;
using Clock = std::chrono::steady_clock;

namespace {

Bytes key_of(const Cid& cid) { return Bytes(cid.multihash().begin(), cid.multihash().end()); }

std::string trim_slash(std::string url) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

constexpr size_t max_notes = 24;  // what each source did wrong, kept for the final message

class DagFetch {
public:
    DagFetch(const IpfsOriginOptions& options, content::Blockstore& blockstore, IpfsStore& held, GatewayClient& client,
             IpfsFetchCounters& counters, const Cid& root, Clock::time_point deadline)
        : m_options(options), m_blockstore(blockstore), m_held(held), m_client(client), m_counters(counters), m_root(root),
          m_deadline(deadline), m_gateway_failures(options.gateways.size(), 0) {}

    Result<GatheredDag, OriginError> run() {
        auto writer = m_blockstore.begin_write();
        if (!writer) return fail(origin_error(OriginErrorCode::store_failed, std::string(content::to_string(writer.error()))));
        m_car = std::move(*writer);
        Bytes header;
        ipld::append_car_header(header, {m_root});
        if (auto written = m_car->write(header); !written) return fail(store_error(written.error()));
        m_car_offset = header.size();

        // 1. What the node already holds.
        want(m_root, 0);
        if (auto resumed = resume(); !resumed) return fail(resumed.error());
        if (m_wanted.empty() && m_reusable_car) return finish_reusing(*m_reusable_car);
        if (auto copied = copy_held(); !copied) return fail(copied.error());
        // 2. The whole DAG as one CAR, while the root is missing.
        for (size_t i = 0; i < m_options.gateways.size() && !m_fatal && m_wanted.count(key_of(m_root)) != 0; ++i) {
            if (m_distrusted.count(i) == 0 && !past_deadline()) try_car(i);
        }
        // 3. The rest, block by block.
        if (!m_fatal && !m_wanted.empty()) fetch_raw_blocks();
        if (m_fatal) return fail(*m_fatal);  // the writer is dropped: nothing stored
        if (!m_wanted.empty()) return fail(failure());
        return finish();
    }

private:
    enum class Added : uint8_t { kept, duplicate, unexpected, oversized, fatal };

    const IpfsOriginOptions& m_options;
    content::Blockstore& m_blockstore;
    IpfsStore& m_held;
    GatewayClient& m_client;
    IpfsFetchCounters& m_counters;
    Cid m_root;
    Clock::time_point m_deadline;

    std::unique_ptr<content::Blockstore::Writer> m_car;
    uint64_t m_car_offset = 0;
    struct Wanted {
        Cid cid;
        uint64_t depth;
    };
    std::map<Bytes, GatheredBlock> m_blocks;        // kept, by multihash
    std::map<Bytes, BlockLocation> m_stored_at;     // kept blocks still only in a stored CAR (resume)
    std::map<Bytes, Wanted> m_wanted;               // reachable, not kept yet
    std::deque<Bytes> m_queue;                      // wanted blocks in the order they were found
    std::optional<Hash32> m_reusable_car;           // every held block is in this one stored CAR
    uint64_t m_block_bytes = 0;
    uint64_t m_directory_links = 0;  // links kept by directory nodes, bounded
    uint64_t m_fetched_blocks = 0;
    uint64_t m_resumed_blocks = 0;

    std::vector<std::string> m_notes;
    size_t m_notes_dropped = 0;
    std::set<size_t> m_distrusted;                  // sent bytes not matching their CID
    std::set<size_t> m_down;                        // failed too often in a row (no HTTP answer)
    std::vector<uint32_t> m_gateway_failures;       // transport failures in a row, per gateway
    std::set<Bytes> m_oversized;                    // wanted blocks some gateway sent over the limit
    size_t m_not_found_answers = 0;
    size_t m_attempts = 0;
    bool m_deadline_passed = false;
    std::optional<OriginError> m_fatal;

    uint64_t depth_limit() const { return m_options.max_depth; }

    bool past_deadline() {
        if (Clock::now() >= m_deadline) m_deadline_passed = true;
        return m_deadline_passed;
    }

    OriginError store_error(content::BlockstoreError error) const {
        return origin_error(error == content::BlockstoreError::too_large ? OriginErrorCode::too_large : OriginErrorCode::store_failed,
                            fmt::format("storing the CAR: {}", content::to_string(error)));
    }

    void note(std::string text, bool warn = false) {
        if (warn) {
            FLEEK_LOG_WARN("origins.ipfs", "{}", text);
        } else {
            FLEEK_LOG_DEBUG("origins.ipfs", "{}", text);
        }
        if (m_notes.size() < max_notes) {
            m_notes.push_back(std::move(text));
        } else {
            ++m_notes_dropped;
        }
    }

    // Records that the DAG reaches `cid` at `depth`; identity blocks are read from their CID.
    void want(const Cid& cid, uint64_t depth) {
        if (m_fatal) return;
        if (depth > depth_limit()) {
            m_fatal = origin_error(OriginErrorCode::too_large, fmt::format("the DAG is deeper than {} levels", depth_limit()));
            return;
        }
        if (cid.hash_code() == multicodec::identity) {
            auto links = ipld::block_links(cid, {});
            if (!links) {
                m_fatal = origin_error(OriginErrorCode::unsupported, links.error().message());
                return;
            }
            for (const Cid& link : *links) want(link, depth + 1);
            return;
        }
        Bytes key = key_of(cid);
        if (m_blocks.count(key) != 0) return;
        auto [it, inserted] = m_wanted.try_emplace(key, Wanted{cid, depth});
        if (!inserted) {
            it->second.depth = std::min(it->second.depth, depth);
            return;
        }
        // Every wanted block is a distinct block of the DAG: this bounds what is remembered.
        if (m_wanted.size() + m_blocks.size() > m_options.max_blocks) {
            m_fatal = origin_error(OriginErrorCode::too_large, fmt::format("the DAG has more than {} blocks", m_options.max_blocks));
            return;
        }
        m_queue.push_back(std::move(key));
    }

    // Checks a block the DAG wants (its bytes already checked against its multihash) and keeps
    // its summary; `stored` says where it already is, otherwise it is written into the new CAR.
    Added keep(const Wanted& wanted, ByteSpan bytes, uint32_t size, const std::optional<BlockLocation>& stored) {
        const Cid& cid = wanted.cid;
        if (size > m_options.max_block_bytes) return Added::oversized;
        if (cid.codec() != multicodec::dag_pb && cid.codec() != multicodec::raw) {
            m_fatal = origin_error(OriginErrorCode::unsupported, fmt::format("block {} is {}: only UnixFS (dag-pb and raw) is cached",
                                                                             cid.to_string(), ipld::multicodec_name(cid.codec())));
            return Added::fatal;
        }
        if (m_blocks.size() + 1 > m_options.max_blocks) {
            m_fatal = origin_error(OriginErrorCode::too_large, fmt::format("more than {} blocks", m_options.max_blocks));
            return Added::fatal;
        }
        if (m_block_bytes + size > m_options.max_content_bytes) {
            m_fatal = origin_error(OriginErrorCode::too_large, fmt::format("more than {} bytes of blocks", m_options.max_content_bytes));
            return Added::fatal;
        }
        GatheredBlock block;
        block.cid = cid;
        block.size = size;
        std::vector<Cid> links;
        if (cid.codec() == multicodec::raw) {
            block.kind = ipld::NodeKind::raw_file;
            block.file_size = size;
        } else {
            // Bytes that match their CID are the only bytes any gateway can send for it: a block
            // that does not decode makes the DAG unreadable, whoever sends it.
            auto node = ipld::decode_node(cid, bytes);
            if (!node) {
                m_fatal = origin_error(OriginErrorCode::unsupported,
                                       fmt::format("block {} matches its CID but cannot be read ({}): the DAG cannot be stored",
                                                   cid.to_string(), node.error().message()));
                return Added::fatal;
            }
            block.kind = node->kind;
            block.file_size = node->file_size();
            links.reserve(node->pb.links.size());
            for (auto& link : node->pb.links) links.push_back(std::move(link.hash));
            // Directories keep their distinct children for the expanded-size walk; file nodes
            // need theirs only now (a file may link one leaf many times).
            if (block.kind == ipld::NodeKind::directory || block.kind == ipld::NodeKind::hamt_shard) {
                std::set<Bytes> distinct;
                for (const Cid& link : links) {
                    if (distinct.insert(key_of(link)).second) block.links.push_back(link);
                }
                m_directory_links += block.links.size();
                if (m_directory_links > 4 * m_options.max_blocks + 1024) {
                    m_fatal = origin_error(OriginErrorCode::too_large, fmt::format("the DAG's directories hold more than {} links",
                                                                                   4 * m_options.max_blocks + 1024));
                    return Added::fatal;
                }
            }
        }
        if (stored) {
            m_stored_at.emplace(key_of(cid), *stored);
        } else {
            auto written = write_section(cid, bytes);
            if (!written) {
                m_fatal = written.error();
                return Added::fatal;
            }
            block.offset = *written;
        }
        const uint64_t depth = wanted.depth;
        Bytes key = key_of(cid);
        m_wanted.erase(key);
        m_blocks.emplace(std::move(key), std::move(block));
        m_block_bytes += size;
        for (const Cid& link : links) want(link, depth + 1);
        return m_fatal ? Added::fatal : Added::kept;
    }

    // Writes one CAR section; returns the offset of the block's bytes.
    Result<uint64_t, OriginError> write_section(const Cid& cid, ByteSpan bytes) {
        const Bytes prefix = ipld::car_section_prefix(cid, bytes.size());
        for (const ByteSpan piece : {ByteSpan(prefix), bytes}) {
            if (auto written = m_car->write(piece); !written) return fail(store_error(written.error()));
        }
        const uint64_t offset = m_car_offset + prefix.size();
        m_car_offset += prefix.size() + bytes.size();
        return offset;
    }

    // A block a gateway sent (already checked against the multihash of `cid`).
    Added add_from_gateway(const Cid& cid, ByteSpan bytes) {
        if (cid.hash_code() == multicodec::identity) return Added::duplicate;
        const Bytes key = key_of(cid);
        if (m_blocks.count(key) != 0) return Added::duplicate;
        const auto wanted = m_wanted.find(key);
        if (wanted == m_wanted.end()) return Added::unexpected;
        if (bytes.size() > m_options.max_block_bytes) {
            m_oversized.insert(key);
            return Added::oversized;
        }
        const Wanted copy = wanted->second;
        const Added added = keep(copy, bytes, static_cast<uint32_t>(bytes.size()), std::nullopt);
        if (added == Added::kept) {
            ++m_fetched_blocks;
            m_oversized.erase(key);
        }
        return added;
    }

    // ------------------------------------------------------------------------- 1. resume

    Result<void, OriginError> resume() {
        std::set<Hash32> cars;
        // The queue grows as held blocks reveal their links; what is not held stays wanted.
        std::deque<Bytes> pending = m_queue;
        while (!pending.empty() && !m_fatal) {
            const Bytes key = pending.front();
            pending.pop_front();
            const auto wanted = m_wanted.find(key);
            if (wanted == m_wanted.end()) continue;
            const Wanted entry = wanted->second;
            auto location = m_held.locate(entry.cid);
            if (!location) return fail(origin_error(OriginErrorCode::store_failed, location.error()));
            if (!*location) continue;
            Bytes bytes;
            if (entry.cid.codec() != multicodec::raw) {
                // Read (BLAKE3-verified) and checked against the CID again: its links are followed.
                auto read = m_blockstore.read_range((*location)->car, (*location)->offset, (*location)->size);
                if (!read || !entry.cid.verify(*read)) continue;  // gone meanwhile: fetched again
                bytes = std::move(*read);
            }
            const size_t queued = m_queue.size();
            const Added added = keep(entry, bytes, (*location)->size, *location);
            if (added == Added::fatal) break;
            if (added != Added::kept) continue;  // over today's block limit: the gateways will say the same
            ++m_resumed_blocks;
            cars.insert((*location)->car);
            for (size_t i = queued; i < m_queue.size(); ++i) pending.push_back(m_queue[i]);
        }
        if (m_fatal) return fail(*m_fatal);
        // The wanted queue is rebuilt from what is still wanted, in order.
        std::deque<Bytes> still;
        for (auto& key : m_queue) {
            if (m_wanted.count(key) != 0) still.push_back(std::move(key));
        }
        m_queue = std::move(still);
        if (cars.size() == 1) m_reusable_car = *cars.begin();
        if (m_resumed_blocks > 0) {
            m_counters.resumed_blocks += m_resumed_blocks;
            FLEEK_LOG_INFO("origins.ipfs", "{}: {} block(s) already held, {} still wanted", m_root.to_string(), m_resumed_blocks,
                           m_wanted.size());
        }
        return {};
    }

    // Copies the held blocks into the new CAR, so that it holds the whole DAG.
    Result<void, OriginError> copy_held() {
        for (auto it = m_stored_at.begin(); it != m_stored_at.end(); it = m_stored_at.erase(it)) {
            const BlockLocation& location = it->second;
            GatheredBlock& block = m_blocks.at(it->first);
            auto bytes = m_blockstore.read_range(location.car, location.offset, location.size);
            if (!bytes || !block.cid.verify(*bytes)) {
                // Left the store since the walk: ask for it again.
                m_held.forget_if_gone(location.car);
                const Wanted wanted{block.cid, 0};
                m_block_bytes -= block.size;
                --m_resumed_blocks;
                m_blocks.erase(it->first);
                m_wanted.emplace(it->first, wanted);
                m_queue.push_front(it->first);
                continue;
            }
            auto written = write_section(block.cid, *bytes);
            if (!written) return fail(written.error());
            block.offset = *written;
        }
        return {};
    }

    // A wanted block the node holds after all: copied into the new CAR instead of asked.
    bool take_held(const Wanted& wanted) {
        auto location = m_held.locate(wanted.cid);
        if (!location || !*location) return false;
        auto bytes = m_blockstore.read_range((*location)->car, (*location)->offset, (*location)->size);
        if (!bytes || !wanted.cid.verify(*bytes)) return false;
        const Wanted copy = wanted;
        if (keep(copy, *bytes, (*location)->size, std::nullopt) != Added::kept) return m_fatal.has_value();
        ++m_resumed_blocks;
        ++m_counters.resumed_blocks;
        return true;
    }

    // ------------------------------------------------------------------------- 2. CAR

    void gateway_answered(size_t gateway) { m_gateway_failures[gateway] = 0; }

    void gateway_failed(size_t gateway, const HttpGetResult& result) {
        if (result.status == 404 || result.status == 410) ++m_not_found_answers;
        if (result.status != 0) return gateway_answered(gateway);
        // No HTTP answer (refused, timed out, too slow): after enough in a row, stop asking it.
        if (++m_gateway_failures[gateway] >= 2 * std::max<uint64_t>(m_options.parallel_requests, 1) && m_down.insert(gateway).second) {
            note(fmt::format("{}: no answer to {} requests in a row; not asked again", m_options.gateways[gateway],
                             m_gateway_failures[gateway]), true);
        }
    }

    void distrust(size_t gateway, std::string why) {
        m_distrusted.insert(gateway);
        ++m_counters.rejected_blocks;
        note(std::move(why), true);
    }

    void try_car(size_t gateway_index) {
        const std::string& gateway = m_options.gateways[gateway_index];
        const std::string url = fmt::format("{}/ipfs/{}?format=car&dag-scope=all", trim_slash(gateway), m_root.to_string());
        ++m_counters.car_requests;
        ++m_attempts;
        ipld::CarLimits limits;
        limits.max_section_bytes = m_options.max_block_bytes + ipld::cid_size_max;
        std::optional<ipld::CarError> car_error;
        std::optional<std::string> refused;  // why this CAR was left before its end
        uint64_t kept = 0;
        ipld::CarStreamReader reader(limits, nullptr, [&](const ipld::CarStreamReader::Block& block) {
            switch (add_from_gateway(block.cid, block.bytes)) {
                case Added::kept: ++kept; return true;
                case Added::duplicate: return true;
                case Added::unexpected:
                    ++m_counters.unexpected_blocks;
                    refused = fmt::format("{} sent block {}, which the DAG of {} does not reach; the rest of its CAR was ignored", gateway,
                                          block.cid.to_string(), m_root.to_string());
                    return false;
                case Added::oversized:
                    ++m_counters.oversized_blocks;
                    refused = fmt::format("{} sent block {} of {} bytes (limit {}); the rest of its CAR was ignored", gateway,
                                          block.cid.to_string(), block.bytes.size(), m_options.max_block_bytes);
                    return false;
                case Added::fatal: return false;
            }
            return false;
        });
        HttpGetResult result;
        bool asked = false;
        m_client.run(
            [&]() -> std::optional<GatewayRequest> {
                if (asked) return std::nullopt;
                asked = true;
                GatewayRequest request;
                request.url = url;
                request.accept = "application/vnd.ipld.car; version=1; order=dfs; dups=n";
                // The blocks and, per block, a section prefix (a length and a CID).
                const uint64_t framing = m_options.max_blocks > UINT64_MAX / 128 ? UINT64_MAX : m_options.max_blocks * 128;
                request.max_body_bytes = m_options.max_content_bytes > UINT64_MAX - framing ? UINT64_MAX : m_options.max_content_bytes + framing;
                request.on_body = [&](ByteSpan bytes) {
                    auto fed = reader.feed(bytes);
                    if (!fed) car_error = fed.error();
                    return fed.has_value();
                };
                request.on_done = [&](const HttpGetResult& done) { result = done; };
                return request;
            },
            m_deadline, [&] { return m_fatal.has_value(); });
        if (m_fatal) return;
        if (result.ok() && !car_error) {
            if (auto done = reader.finish(); !done) car_error = done.error();
        }
        if (refused) {
            gateway_answered(gateway_index);
            note(*refused, true);
        } else if (car_error && car_error->code == ipld::CarErrorCode::section_too_large) {
            gateway_answered(gateway_index);
            ++m_counters.oversized_blocks;
            note(fmt::format("{} sent a CAR section over the block limit of {} bytes ({}); the rest of its CAR was ignored", gateway,
                             m_options.max_block_bytes, car_error->message()), true);
        } else if (car_error && (car_error->code == ipld::CarErrorCode::hash_mismatch || car_error->code == ipld::CarErrorCode::unverifiable_block)) {
            distrust(gateway_index, fmt::format("{} sent a CAR with a block that does not match its CID ({}); nothing of that block was kept",
                                                gateway, car_error->message()));
        } else if (car_error && car_error->code != ipld::CarErrorCode::stopped) {
            gateway_answered(gateway_index);
            note(fmt::format("{}: unusable CAR: {}", gateway, car_error->message()));
        } else if (!result.ok()) {
            gateway_failed(gateway_index, result);
            note(fmt::format("{}: CAR request: {}", gateway, result.describe()));
        } else {
            gateway_answered(gateway_index);
        }
        FLEEK_LOG_DEBUG("origins.ipfs", "{}: CAR of {} gave {} new blocks", gateway, m_root.to_string(), kept);
    }

    // ------------------------------------------------------------------------- 3. raw blocks

    void fetch_raw_blocks() {
        const size_t gateways = m_options.gateways.size();
        std::map<Bytes, size_t> next_gateway;  // per block: the first gateway not asked yet
        std::set<Bytes> in_flight;
        const auto next = [&]() -> std::optional<GatewayRequest> {
            while (!m_queue.empty()) {
                Bytes key = std::move(m_queue.front());
                m_queue.pop_front();
                const auto wanted = m_wanted.find(key);
                if (wanted == m_wanted.end() || in_flight.count(key) != 0) continue;
                // Found below a block that arrived, but already held (another DAG shares it).
                const bool held = next_gateway.count(key) == 0 && take_held(wanted->second);
                if (m_fatal) return std::nullopt;
                if (held) continue;
                size_t& gateway = next_gateway[key];
                while (gateway < gateways && (m_distrusted.count(gateway) != 0 || m_down.count(gateway) != 0)) ++gateway;
                if (gateway >= gateways) continue;  // every gateway was asked: it stays missing
                const size_t asked = gateway++;
                const Cid cid = wanted->second.cid;
                in_flight.insert(key);
                ++m_counters.raw_requests;
                ++m_attempts;
                auto body = std::make_shared<Bytes>();
                GatewayRequest request;
                request.url = fmt::format("{}/ipfs/{}?format=raw", trim_slash(m_options.gateways[asked]), cid.to_string());
                request.accept = "application/vnd.ipld.raw";
                request.max_body_bytes = m_options.max_block_bytes;
                request.on_body = [body](ByteSpan bytes) {
                    body->insert(body->end(), bytes.begin(), bytes.end());
                    return true;
                };
                request.on_done = [this, &in_flight, key, cid, asked, body](const HttpGetResult& result) {
                    in_flight.erase(key);
                    raw_block_done(asked, cid, key, *body, result);
                };
                return request;
            }
            return std::nullopt;
        };
        m_client.run(next, m_deadline, [&] { return m_fatal.has_value(); });
        past_deadline();
    }

    void raw_block_done(size_t gateway_index, const Cid& cid, const Bytes& key, const Bytes& body, const HttpGetResult& result) {
        if (m_fatal) return;
        const std::string& gateway = m_options.gateways[gateway_index];
        const auto again = [&] { m_queue.push_back(key); };  // the next gateway, if any
        if (result.too_large) {
            gateway_answered(gateway_index);
            m_oversized.insert(key);
            ++m_counters.oversized_blocks;
            note(fmt::format("{}: block {} is over the limit of {} bytes", gateway, cid.to_string(), m_options.max_block_bytes), true);
            return again();
        }
        if (!result.ok()) {
            gateway_failed(gateway_index, result);
            note(fmt::format("{}: block {}: {}", gateway, cid.to_string(), result.describe()));
            return again();
        }
        gateway_answered(gateway_index);
        if (!cid.verify(body)) {
            distrust(gateway_index, fmt::format("{} sent block {} with bytes that do not match the CID; not kept", gateway, cid.to_string()));
            return again();
        }
        switch (add_from_gateway(cid, body)) {
            case Added::kept:
            case Added::duplicate:
            case Added::unexpected:  // arrived meanwhile from elsewhere
            case Added::fatal: return;
            case Added::oversized: return again();
        }
    }

    // ------------------------------------------------------------------------- the end

    OriginError failure() {
        const Cid first = m_wanted.begin()->second.cid;
        std::string message = fmt::format("could not fetch {} block(s) of {} (first: {})", m_wanted.size(), m_root.to_string(), first.to_string());
        if (m_deadline_passed) message += fmt::format("; the fetch deadline of {} ms passed", m_options.fetch_deadline_ms);
        for (const auto& text : m_notes) message += "; " + text;
        if (m_notes_dropped > 0) message += fmt::format("; and {} more", m_notes_dropped);
        bool oversized = false;
        for (const auto& [key, wanted] : m_wanted) oversized = oversized || m_oversized.count(key) != 0;
        OriginErrorCode code = OriginErrorCode::unavailable;
        if (!m_distrusted.empty() && m_distrusted.size() == m_options.gateways.size()) {
            code = OriginErrorCode::verification_failed;
        } else if (oversized) {
            code = OriginErrorCode::too_large;
        } else if (m_deadline_passed) {
            code = OriginErrorCode::unavailable;
        } else if (m_attempts > 0 && m_not_found_answers == m_attempts) {
            code = OriginErrorCode::not_found;
        } else if (!m_distrusted.empty()) {
            code = OriginErrorCode::verification_failed;
        }
        // Blocks over the limits will be over them next time too; other failures may pass.
        if (code != OriginErrorCode::too_large) keep_partial();
        return origin_error(code, message);
    }

    // The verified blocks gathered so far stay (committed and indexed) for the next fetch.
    void keep_partial() {
        if (m_fetched_blocks == 0) return;
        auto car = m_car->commit();
        if (!car) {
            FLEEK_LOG_WARN("origins.ipfs", "{}: keeping the blocks of a failed fetch: {}", m_root.to_string(), content::to_string(car.error()));
            return;
        }
        Resolver::IpfsBatch batch;
        batch.blocks.reserve(m_blocks.size());
        for (const auto& [key, block] : m_blocks) batch.blocks.emplace_back(key, BlockLocation{*car, block.offset, block.size});
        if (auto put = m_held.resolver().put_ipfs(batch); !put) {
            FLEEK_LOG_WARN("origins.ipfs", "{}: indexing the blocks of a failed fetch: {}", m_root.to_string(), put.error());
            return;
        }
        ++m_counters.partial_cars;
        FLEEK_LOG_INFO("origins.ipfs", "{}: kept {} verified block(s) in CAR {} for the next attempt", m_root.to_string(), m_blocks.size(),
                       hex_encode(*car));
    }

    // The sum of the sizes of the distinct files the DAG describes, directories followed.
    Result<uint64_t, OriginError> expanded_bytes() const {
        uint64_t total = 0;
        std::set<Bytes> seen;
        std::vector<Cid> stack{m_root};
        while (!stack.empty()) {
            const Cid cid = std::move(stack.back());
            stack.pop_back();
            if (!seen.insert(key_of(cid)).second) continue;
            ipld::NodeKind kind = ipld::NodeKind::other;
            uint64_t file_size = 0;
            std::vector<Cid> links;
            if (cid.hash_code() == multicodec::identity) {
                auto node = ipld::decode_node(cid, {});
                if (!node) return fail(origin_error(OriginErrorCode::unsupported, node.error().message()));
                kind = node->kind;
                file_size = node->file_size();
                for (const auto& link : node->pb.links) links.push_back(link.hash);
            } else {
                const auto found = m_blocks.find(key_of(cid));
                if (found == m_blocks.end()) {
                    return fail(origin_error(OriginErrorCode::store_failed, fmt::format("block {} of a complete DAG is not held", cid.to_string())));
                }
                const GatheredBlock& block = found->second;
                kind = block.kind;
                file_size = block.file_size;
                links = block.links;
            }
            switch (kind) {
                case ipld::NodeKind::raw_file:
                case ipld::NodeKind::file:
                    if (file_size > m_options.max_expanded_bytes - std::min(total, m_options.max_expanded_bytes)) {
                        return fail(origin_error(OriginErrorCode::too_large,
                                                 fmt::format("{} describes more than {} bytes of files (limit origins.ipfs_max_expanded_bytes)",
                                                             m_root.to_string(), m_options.max_expanded_bytes)));
                    }
                    total += file_size;
                    break;
                case ipld::NodeKind::directory:
                case ipld::NodeKind::hamt_shard:
                    for (auto& link : links) stack.push_back(std::move(link));
                    break;
                case ipld::NodeKind::symlink:
                case ipld::NodeKind::other: break;
            }
        }
        return total;
    }

    Result<GatheredDag, OriginError> finish_reusing(const Hash32& car) {
        GatheredDag dag;
        for (auto& [key, block] : m_blocks) block.offset = m_stored_at.at(key).offset;
        m_stored_at.clear();
        auto expanded = expanded_bytes();
        if (!expanded) return fail(expanded.error());
        dag.car = car;
        dag.new_car = false;
        dag.blocks = std::move(m_blocks);
        dag.block_bytes = m_block_bytes;
        dag.resumed_blocks = m_resumed_blocks;
        dag.expanded_bytes = *expanded;
        return dag;
    }

    Result<GatheredDag, OriginError> finish() {
        // Checked before anything of the DAG is committed.
        auto expanded = expanded_bytes();
        if (!expanded) return fail(expanded.error());
        auto car = m_car->commit();
        if (!car) return fail(store_error(car.error()));
        GatheredDag dag;
        dag.car = *car;
        dag.new_car = true;
        dag.blocks = std::move(m_blocks);
        dag.block_bytes = m_block_bytes;
        dag.fetched_blocks = m_fetched_blocks;
        dag.resumed_blocks = m_resumed_blocks;
        dag.expanded_bytes = *expanded;
        return dag;
    }
};

}  // namespace

Result<GatheredDag, OriginError> gather_dag(const IpfsOriginOptions& options, content::Blockstore& blockstore, IpfsStore& held,
                                            GatewayClient& client, IpfsFetchCounters& counters, const Cid& root,
                                            Clock::time_point deadline) {
    DagFetch fetch(options, blockstore, held, client, counters, root, deadline);
    return fetch.run();
}

}  // namespace fleek::origins
