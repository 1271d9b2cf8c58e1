// The Narwhal worker of a node: seals batches, broadcasts them to the other authorities' workers,
// counts acknowledgements, serves and fetches batches.
#include "consensus/node.h"
#include "consensus/records.h"
#include "util/log.h"

namespace fleek::consensus {

namespace {
Bytes batch_key(WorkerId worker, const Digest& digest) {
    Bytes key = key_u32(worker);
    key.insert(key.end(), digest.begin(), digest.end());
    return key;
}
}  // namespace

namespace {
constexpr size_t known_batches_max = 16384;
}

void Node::remember_batch(const Digest& digest) {
    if (!m_known_batches.insert(digest).second) return;
    m_known_order.push_back(digest);
    if (m_known_order.size() > known_batches_max) {
        m_known_batches.erase(m_known_order.front());
        m_known_order.pop_front();
    }
}

bool Node::store_batch(const Digest& digest, ByteSpan encoding, bool own) {
    WriteBatch b;
    b.put(Table::batches, batch_key(0, digest), encoding);
    if (own) b.put(Table::own_batches, digest, key_u64(0));
    if (!write(b, false)) return false;
    remember_batch(digest);
    return true;
}

bool Node::has_batch(const PayloadEntry& entry) {
    if (entry.worker >= workers_per_authority) return false;
    if (m_known_batches.count(entry.batch)) return true;
    auto found = m_store.contains(Table::batches, batch_key(entry.worker, entry.batch));
    if (!found) {
        m_halted = true;
        return false;
    }
    if (*found) remember_batch(entry.batch);
    return *found;
}

void Node::seal_batch() {
    if (m_building.transactions.empty()) return;
    // The message is the tag, the epoch and the batch encoding; the batch is encoded once.
    codec::Writer w(m_building_bytes + 4 * m_building.transactions.size() + 16);
    w.tag(static_cast<uint8_t>(MessageTag::batch));
    w.u64(m_committee.epoch());
    m_building.encode(w);
    const Bytes message = w.take();
    const ByteSpan encoding = ByteSpan(message).subspan(9);
    const Digest digest = batch_digest_of_encoding(encoding);
    if (!store_batch(digest, encoding, true)) return;
    ++m_stats.batches_sealed;
    if (m_observer) m_observer->on_batch_sealed(digest, m_building, m_now);
    m_building = Batch{};
    m_building_bytes = 0;
    AwaitingAcks awaiting{message, {m_me}, m_now};
    for (size_t i = 0; i < m_committee.size(); ++i) send_bytes(static_cast<AuthorityIndex>(i), Plane::worker, message);
    if (awaiting.acks.size() >= m_committee.quorum()) {
        m_queued.push_back(digest);
    } else {
        m_awaiting_acks.emplace(digest, std::move(awaiting));
    }
}

void Node::on_batch(AuthorityIndex from, ByteSpan encoding, size_t payload_bytes, size_t transactions) {
    if (payload_bytes > 2 * static_cast<size_t>(m_params.batch_size_bytes) || transactions == 0) {
        ++m_stats.rejected;
        return;
    }
    const Digest digest = batch_digest_of_encoding(encoding);
    if (!has_batch(PayloadEntry{digest, 0})) {
        if (!store_batch(digest, encoding, false)) return;
        if (auto fetch = m_batch_fetches.find(digest); fetch != m_batch_fetches.end()) erase_batch_fetch(fetch);
        retry_pending_headers();
    }
    send(from, Plane::worker, BatchAck{m_committee.epoch(), digest});
}

void Node::on_batch_ack(AuthorityIndex from, const BatchAck& ack) {
    auto it = m_awaiting_acks.find(ack.digest);
    if (it == m_awaiting_acks.end()) return;
    it->second.acks.insert(from);
    if (it->second.acks.size() >= m_committee.quorum()) {
        m_queued.push_back(ack.digest);
        m_awaiting_acks.erase(it);
    }
}

void Node::on_batch_request(AuthorityIndex from, const BatchRequest& request) {
    // Bounded by what was asked (these digests) and by our response limits; the first batch is
    // always sent so that a batch larger than the byte limit can still be fetched.
    BatchResponse response{m_committee.epoch(), {}};
    size_t bytes = 0;
    for (const Digest& d : request.digests) {
        if (response.batches.size() >= response_batches_max) break;
        auto raw = read(Table::batches, batch_key(0, d));
        if (!raw) continue;
        if (!response.batches.empty() && bytes + raw->size() > m_params.max_batch_response_bytes) break;
        auto batch = codec::decode<Batch>(*raw);
        if (!batch) continue;
        bytes += raw->size();
        response.batches.push_back(std::move(*batch));
    }
    if (!response.batches.empty()) send(from, Plane::worker, response);
}

void Node::on_batch_response(AuthorityIndex from, BatchResponse response) {
    // Only answers to what we asked this peer: anything else is refused before it is hashed.
    size_t asked = 0;
    for (const auto& [digest, fetch] : m_batch_fetches) asked += fetch.asked.test(from);
    if (asked == 0) {
        unsolicited(from, std::max<size_t>(1, response.batches.size()));
        return;
    }
    if (response.batches.size() > asked) {
        ++m_stats.oversized_responses;
        ++m_stats.rejected;
        return;
    }
    bool stored = false;
    for (const Batch& batch : response.batches) {
        const Digest digest = batch_digest(batch);
        // Only batches we asked for: a peer cannot fill our disk with unrequested data.
        auto fetch = m_batch_fetches.find(digest);
        if (fetch == m_batch_fetches.end() || !fetch->second.asked.test(from)) {
            unsolicited(from, 1);
            continue;
        }
        if (!store_batch(digest, codec::encode(batch), false)) return;
        erase_batch_fetch(fetch);
        stored = true;
    }
    if (stored) retry_pending_headers();
}

void Node::erase_batch_fetch(std::map<Digest, BatchFetch>::iterator it) {
    if (it->second.budgeted) --m_batch_fetches_by_owner[it->second.preferred];
    m_batch_fetches.erase(it);
}

size_t Node::fetches_owned_by(AuthorityIndex peer) const {
    size_t count = 0;
    if (peer < m_batch_fetches_by_owner.size()) count += m_batch_fetches_by_owner[peer];
    if (peer < m_cert_fetches_by_owner.size()) count += m_cert_fetches_by_owner[peer];
    return count;
}

void Node::fetch_batches(const std::vector<Digest>& digests, AuthorityIndex preferred, bool for_header, bool now) {
    std::vector<Digest> request;
    const AuthorityIndex target = preferred == m_me ? random_peer() : preferred;
    for (const Digest& d : digests) {
        if (m_batch_fetches.count(d)) continue;
        if (m_batch_fetches.size() >= m_params.max_outstanding_fetches ||
            (for_header && m_batch_fetches_by_owner[preferred] >= share_of(m_params.max_outstanding_fetches))) {
            ++m_stats.dropped_pending;
            break;
        }
        BatchFetch fetch{preferred, m_now, now ? 1u : 0u, for_header, {}};
        if (now) {
            fetch.asked.set(target);
            request.push_back(d);
        }
        m_batch_fetches.emplace(d, fetch);
        if (for_header) ++m_batch_fetches_by_owner[preferred];
    }
    for (size_t i = 0; i < request.size(); i += request_digests_max) {
        BatchRequest message{m_committee.epoch(), {}};
        for (size_t j = i; j < request.size() && j < i + request_digests_max; ++j) message.digests.push_back(request[j]);
        send(target, Plane::worker, message);
    }
}

void Node::worker_tick() {
    if (!m_building.transactions.empty() && m_now >= m_building_since + m_params.max_batch_delay_us) seal_batch();
    for (auto& [digest, awaiting] : m_awaiting_acks) {
        if (m_now < awaiting.last_sent + m_params.batch_resend_us) continue;
        awaiting.last_sent = m_now;
        for (size_t i = 0; i < m_committee.size(); ++i) {
            const auto peer = static_cast<AuthorityIndex>(i);
            if (!awaiting.acks.count(peer)) send_bytes(peer, Plane::worker, awaiting.message);
        }
    }
    // Retry fetches against random peers; give up after a few rounds of the committee (whoever
    // needs the batch asks again).
    std::map<AuthorityIndex, std::vector<Digest>> retries;
    for (auto it = m_batch_fetches.begin(); it != m_batch_fetches.end();) {
        auto& fetch = it->second;
        if (m_now < fetch.last_request + m_params.sync_retry_us) {
            ++it;
            continue;
        }
        if (++fetch.attempts > 3 * m_committee.size()) {
            erase_batch_fetch(it++);
            continue;
        }
        fetch.last_request = m_now;
        // First ask the author of the header that named the batch, then random peers.
        const AuthorityIndex target = fetch.attempts == 1 && fetch.preferred != m_me ? fetch.preferred : random_peer();
        fetch.asked.set(target);
        retries[target].push_back(it->first);
        ++it;
    }
    for (auto& [peer, digests] : retries) {
        for (size_t i = 0; i < digests.size(); i += request_digests_max) {
            BatchRequest message{m_committee.epoch(), {}};
            for (size_t j = i; j < digests.size() && j < i + request_digests_max; ++j) message.digests.push_back(digests[j]);
            send(peer, Plane::worker, message);
        }
    }
}

}  // namespace fleek::consensus
