// ContentNetwork: the request-channel kinds (provider snapshots, resolver queries) and resolver
// records (publishing this node's, serving a CID from another node's).
#include "node/content_network.h"

#include "origins/resolver_exchange.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <algorithm>

namespace fleek::node {

using crypto::NodePublicKey;

// ------------------------------------------------------------------------------------ requests

void ContentNetwork::send_request(const NodePublicKey& to, ContentRequestKind kind, ByteSpan body) {
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return;
    Bytes frame;
    frame.reserve(body.size() + 1);
    frame.push_back(static_cast<uint8_t>(kind));
    frame.insert(frame.end(), body.begin(), body.end());
    (void)runtime->send(to, net::Channel::request, std::move(frame));
}

// A token bucket per peer: peer_requests_per_second answers, bursts of twice that.
bool ContentNetwork::allow_request(const NodePublicKey& from, uint64_t now_ms) {
    PeerState& peer = m_peers[from];
    const uint64_t rate = m_options.peer_requests_per_second;
    const uint64_t bucket = 2 * rate * 1000;
    if (peer.tokens_ms == 0) {
        peer.request_tokens_milli = bucket;
    } else if (now_ms > peer.tokens_ms) {
        peer.request_tokens_milli = std::min(bucket, peer.request_tokens_milli + std::min<uint64_t>(now_ms - peer.tokens_ms, 10'000) * rate);
    }
    peer.tokens_ms = std::max(now_ms, peer.tokens_ms);
    if (peer.request_tokens_milli < 1000) {
        ++peer.refused_requests;
        return false;
    }
    peer.request_tokens_milli -= 1000;
    return true;
}

void ContentNetwork::on_request(const NodePublicKey& from, ByteSpan payload, uint64_t now_ms) {
    const auto kind = static_cast<ContentRequestKind>(payload[0]);
    const ByteSpan body = payload.subspan(1);
    switch (kind) {
        case ContentRequestKind::provider_snapshot_request: {
            if (!allow_request(from, now_ms)) return;
            auto request = codec::decode<origins::ProviderSnapshotRequest>(body);
            if (!request) {
                ++m_peers[from].bad_requests;
                return;
            }
            origins::ProviderSnapshotPage page;
            {
                std::lock_guard lock(m_table_mutex);
                page = m_table.snapshot_page(*request, wall_ms());
            }
            send_request(from, ContentRequestKind::provider_snapshot_page, codec::encode(page));
            return;
        }
        case ContentRequestKind::provider_snapshot_page: return on_snapshot_page(from, body, now_ms);
        case ContentRequestKind::resolver_query: {
            if (!allow_request(from, now_ms)) return;
            auto query = codec::decode<origins::ResolverQuery>(body);
            if (!query) {
                ++m_peers[from].bad_requests;
                return;
            }
            auto answer = origins::answer_resolver_query(m_resolver, *query);
            if (!answer) {
                FLEEK_LOG_WARN("content", "cannot answer a resolver query: {}", answer.error());
                return;
            }
            send_request(from, ContentRequestKind::resolver_answer, codec::encode(*answer));
            return;
        }
        case ContentRequestKind::resolver_answer: return on_resolver_answer(from, body, now_ms);
    }
}

// ------------------------------------------------------------------------------------ snapshots

void ContentNetwork::next_snapshot(uint64_t now_ms) {
    if (m_snapshot) {
        if (now_ms < m_snapshot->asked_ms + m_options.snapshot_page_timeout_ms) return;
        FLEEK_LOG_INFO("content", "provider snapshot: {} did not answer; asking another peer", m_snapshot->peer.to_string());
        m_snapshot.reset();
    }
    while (!m_snapshot_queue.empty()) {
        const NodePublicKey peer = m_snapshot_queue.front();
        m_snapshot_queue.pop_front();
        if (auto it = m_peers.find(peer); it == m_peers.end() || !it->second.connected) continue;
        m_snapshot.emplace(SnapshotInProgress{peer, origins::ProviderSnapshotSync{}, now_ms});
        send_request(peer, ContentRequestKind::provider_snapshot_request, m_snapshot->sync.encoded_request());
        return;
    }
}

void ContentNetwork::on_snapshot_page(const NodePublicKey& from, ByteSpan body, uint64_t now_ms) {
    if (!m_snapshot || m_snapshot->peer != from) {
        ++m_unsolicited;
        return;
    }
    Result<origins::ProviderApplyCounts, origins::SnapshotPageError> applied = fail(origins::SnapshotPageError::malformed);
    {
        std::lock_guard lock(m_table_mutex);
        applied = m_snapshot->sync.on_page(body, m_table, wall_ms());
    }
    ++m_snapshot_pages;
    if (!applied) {
        ++m_snapshot_pages_refused;
        ++m_peers[from].bad_requests;
        FLEEK_LOG_WARN("content", "provider snapshot page from {} refused: {}", from.to_string(), origins::to_string(applied.error()));
        m_snapshot.reset();  // the next tick asks the next peer
        return;
    }
    if (m_snapshot->sync.complete()) {
        if (m_snapshots_completed++ == 0) m_snapshot_queue.clear();  // the first one: the others would repeat it
        FLEEK_LOG_DEBUG("content", "provider snapshot from {} complete ({} pages)", from.to_string(), m_snapshot->sync.pages());
        m_snapshot.reset();
        return;
    }
    m_snapshot->asked_ms = now_ms;
    send_request(from, ContentRequestKind::provider_snapshot_request, m_snapshot->sync.encoded_request());
}

// ------------------------------------------------------------------------------------ resolver records

void ContentNetwork::ask_peers(const origins::ResolverPointer& pointer, uint64_t now_ms) {
    const Bytes query = codec::encode(origins::ResolverQuery{pointer});
    for (const auto& [key, peer] : m_peers) {
        if (!peer.connected) continue;
        m_pending_queries.push_back(PendingQuery{key, pointer, now_ms + m_options.resolver_query_ms});
        send_request(key, ContentRequestKind::resolver_query, query);
    }
}

void ContentNetwork::on_resolver_answer(const NodePublicKey& from, ByteSpan body, uint64_t) {
    auto decoded = codec::decode<origins::ResolverAnswer>(body);
    if (!decoded) {
        ++m_peers[from].bad_requests;
        return;
    }
    auto pending = std::find_if(m_pending_queries.begin(), m_pending_queries.end(),
                                [&](const PendingQuery& query) { return query.peer == from && query.pointer == decoded->pointer; });
    if (pending == m_pending_queries.end()) {
        ++m_unsolicited;
        return;
    }
    const origins::ResolverPointer asked = pending->pointer;
    m_pending_queries.erase(pending);
    auto accepted = origins::accept_resolver_answer(m_resolver, asked, body, m_key_check, wall_ms());
    if (!accepted || accepted->refused > 0) ++m_peers[from].bad_requests;
    std::lock_guard lock(m_answers_mutex);
    m_answers_ready.notify_all();
}

void ContentNetwork::publish_resolution(const origins::Resolution& resolution) {
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return;
    auto verified = origins::sign_resolver_record(m_key, wall_ms(), resolution);
    if (!verified) {
        FLEEK_LOG_DEBUG("content", "no resolver record: {}", origins::to_string(verified.error()));
        return;
    }
    const origins::ResolverRecord& record = verified->record();
    // A pointer resolved again (a PUT of something held): published already.
    if (auto held = m_resolver.claims(record.pointer())) {
        for (const auto& claim : *held) {
            if (claim.originator == m_self && claim.hash() == record.hash() && claim.size() == record.size()) return;
        }
    }
    if (auto stored = m_resolver.put_claim(*verified); !stored) {
        FLEEK_LOG_WARN("content", "storing this node's resolver record failed: {}", stored.error());
    }
    (void)runtime->publish(net::Topic::resolver_records, origins::encode_resolver_gossip(*verified));
}

bool ContentNetwork::wait_for_job(const std::shared_ptr<edge::FetchJob>& job) {
    while (true) {
        const edge::FetchJob::State state = job->state();
        if (state.stored || state.error) return state.stored;
        auto woken = std::make_shared<std::promise<void>>();
        auto future = woken->get_future();
        job->when_changed(state.generation, [woken] { woken->set_value(); });
        future.wait();
    }
}

Result<void, origins::OriginError> ContentNetwork::fetch_ipfs_miss(const ipld::Cid& requested) {
    using origins::OriginError;
    using origins::OriginErrorCode;
    if (!m_options.fetch_on_miss) return fail(OriginError{OriginErrorCode::disabled, "fetch on a miss is off"});
    const ipld::Cid cid = requested.to_v1();
    if (cid.hash_code() == ipld::multicodec::identity || m_ipfs_store.has(cid)) return {};
    return m_ipfs_flights.run(cid.bytes(), [&]() -> Result<void, OriginError> {
        if (m_ipfs_store.has(cid)) return {};
        std::string notes;
        if (auto from_peers = resolve_from_peers(cid, notes); from_peers) {
            ++m_ipfs_from_peers;
            count(edge::ServedFrom::peer);
            return {};
        }
        if (m_ipfs_origin != nullptr && !m_ipfs_origin->options().gateways.empty()) {
            auto fetched = m_ipfs_origin->fetch(requested);
            if (!fetched) {
                if (fetched.error().code == OriginErrorCode::not_found) count(edge::ServedFrom::not_found);
                return fail(OriginError{fetched.error().code, fetched.error().message + notes});
            }
            resolved_ipfs(*fetched);
            ++m_ipfs_from_origin;
            count(edge::ServedFrom::origin);
            return {};
        }
        count(edge::ServedFrom::not_found);
        return fail(OriginError{OriginErrorCode::not_found,
                                fmt::format("{} is not held by this node, no peer could serve it and there is no IPFS origin{}",
                                            cid.to_string(), notes)});
    });
}

// The DAG of `cid` from peers: a claim (stored, or asked of peers), its CAR by BLAKE3 from the
// providers, adopted only when every block checks against its CID.
Result<void, origins::OriginError> ContentNetwork::resolve_from_peers(const ipld::Cid& cid, std::string& notes) {
    using origins::OriginError;
    using origins::OriginErrorCode;
    const origins::ResolverPointer pointer = origins::ResolverPointer::ipfs(cid);
    auto claims = m_resolver.claims(pointer);
    if (!claims) return fail(OriginError{OriginErrorCode::store_failed, claims.error()});
    if (claims->empty() && m_runtime.load() != nullptr && push(AskPeers{pointer})) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(m_options.resolver_query_ms);
        std::unique_lock lock(m_answers_mutex);
        while (claims && claims->empty() && !m_stopped && std::chrono::steady_clock::now() < deadline) {
            m_answers_ready.wait_until(lock, deadline);
            claims = m_resolver.claims(pointer);
        }
        if (!claims) return fail(OriginError{OriginErrorCode::store_failed, claims.error()});
    }
    // Claims whose CAR some provider announced first.
    std::vector<origins::IpfsResolution> candidates;
    for (const auto& record : *claims) {
        if (const auto* ipfs = std::get_if<origins::IpfsResolution>(&record.resolution)) candidates.push_back(*ipfs);
    }
    std::stable_partition(candidates.begin(), candidates.end(), [&](const origins::IpfsResolution& claim) {
        std::lock_guard lock(m_table_mutex);
        return !m_table.providers(claim.car, wall_ms(), 1).empty();
    });
    const origins::AdoptLimits& limits = m_options.ipfs_limits;
    std::set<content::Hash32> tried;
    for (const auto& claim : candidates) {
        if (!tried.insert(claim.car).second) continue;
        // A CAR is the blocks plus their CIDs and framing (well under 200 bytes a block).
        if (claim.car_size > limits.max_content_bytes + limits.max_blocks * 200) {
            notes += fmt::format("; a claim names a CAR of {} bytes, over this node's limit", claim.car_size);
            continue;
        }
        auto job = fetch_miss(claim.car, 0);
        if (!job) break;
        if (!wait_for_job(job)) {
            notes += fmt::format("; its CAR {} from peers: {}", hex_encode(claim.car), job->state().message);
            continue;
        }
        auto adopted = origins::adopt_car(m_store, m_resolver, cid, claim.car, limits);
        if (!adopted) {
            ++m_claims_contradicted;
            notes += fmt::format("; the CAR {} of a claim: {}", hex_encode(claim.car), adopted.error().message);
            FLEEK_LOG_WARN("content", "a resolver record for {} names the CAR {}, which fails: {}", cid.to_string(), hex_encode(claim.car),
                           adopted.error().message);
            if (adopted.error().code == OriginErrorCode::verification_failed) (void)m_store.remove(claim.car);
            continue;
        }
        if (adopted->record.kind != claim.kind || adopted->record.hash != claim.hash || adopted->record.size != claim.size) {
            ++m_claims_contradicted;  // what is served is what the blocks give
            FLEEK_LOG_WARN("content", "a resolver record for {} says {} ({} bytes); its blocks give {} ({} bytes)", cid.to_string(),
                           hex_encode(claim.hash), claim.size, hex_encode(adopted->record.hash), adopted->record.size);
        }
        FLEEK_LOG_INFO("content", "{} served from peers: CAR {} adopted, {} blocks", cid.to_string(), hex_encode(claim.car), adopted->blocks);
        return {};
    }
    if (candidates.empty()) notes += "; no peer has a resolver record for it";
    return fail(OriginError{OriginErrorCode::not_found, notes});
}

}  // namespace fleek::node
