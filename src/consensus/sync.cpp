// Certificate synchronization of the primary: fetching missing certificates by digest, range sync
// when behind, serving both, and reading only the answers to what we asked.
//
// Budgets (every peer is hostile):
//   - a response is read only from a peer we asked: certificates we fetch by digest from it, or
//     those of its range at or above the round we asked from; at most as many certificates as
//     asked and at most max_certificate_response_bytes; everything else is refused before any
//     signature check and counted against the peer (unsolicited_from);
//   - outstanding fetches and suspended certificates are counted per peer whose message needs
//     them, each peer getting at most its share of the bound (share_of);
//   - a peer is served at most one range per sync_interval / 2, bounded by what it asked for
//     (count and bytes) and by our own limits.
#include "consensus/node.h"
#include "consensus/records.h"
#include "util/log.h"

#include <algorithm>

namespace fleek::consensus {

size_t Node::share_of(uint32_t bound) const { return std::max<size_t>(1, bound / m_committee.size()); }

void Node::unsolicited(AuthorityIndex from, uint64_t count) {
    m_stats.unsolicited += count;
    if (from < m_unsolicited_by_peer.size()) m_unsolicited_by_peer[from] += count;
}

void Node::erase_cert_fetch(std::map<Digest, CertificateFetch>::iterator it) {
    --m_cert_fetches_by_owner[it->second.owner];
    m_cert_fetches.erase(it);
}

namespace {
// Requests are cut to what one response carries, so every certificate asked for can be answered.
size_t digests_per_request(const Parameters& p) {
    return std::clamp<size_t>(p.max_certificates_per_response, 1, request_digests_max);
}
}  // namespace

void Node::fetch_certificates(const std::vector<Digest>& digests, AuthorityIndex from, AuthorityIndex owner) {
    std::vector<Digest> wanted;
    for (const Digest& d : digests) {
        if (m_certs.count(d) || m_suspended.count(d) || m_cert_fetches.count(d)) continue;
        if (m_cert_fetches.size() >= m_params.max_outstanding_fetches ||
            m_cert_fetches_by_owner[owner] >= share_of(m_params.max_outstanding_fetches)) {
            ++m_stats.dropped_pending;
            break;
        }
        CertificateFetch fetch{from, m_now, 1, owner, {}};
        fetch.asked.set(from);
        m_cert_fetches.emplace(d, fetch);
        ++m_cert_fetches_by_owner[owner];
        wanted.push_back(d);
    }
    const size_t chunk = digests_per_request(m_params);
    for (size_t i = 0; i < wanted.size(); i += chunk) {
        CertificatesRequest request{m_committee.epoch(), {}};
        for (size_t j = i; j < wanted.size() && j < i + chunk; ++j) request.digests.push_back(wanted[j]);
        send(from, Plane::primary, request);
    }
}

void Node::retry_certificate_fetches() {
    std::map<AuthorityIndex, std::vector<Digest>> retries;
    for (auto it = m_cert_fetches.begin(); it != m_cert_fetches.end();) {
        auto& fetch = it->second;
        if (m_now < fetch.last_request + m_params.sync_retry_us) {
            ++it;
            continue;
        }
        if (++fetch.attempts > 3 * m_committee.size()) {
            erase_cert_fetch(it++);
            continue;
        }
        fetch.last_request = m_now;
        const AuthorityIndex peer = random_peer();
        fetch.asked.set(peer);
        retries[peer].push_back(it->first);
        ++it;
    }
    const size_t chunk = digests_per_request(m_params);
    for (auto& [peer, digests] : retries) {
        for (size_t i = 0; i < digests.size(); i += chunk) {
            CertificatesRequest request{m_committee.epoch(), {}};
            for (size_t j = i; j < digests.size() && j < i + chunk; ++j) request.digests.push_back(digests[j]);
            send(peer, Plane::primary, request);
        }
    }
}

std::optional<Certificate> Node::known_certificate(const Digest& digest) {
    if (auto it = m_certs.find(digest); it != m_certs.end()) return it->second->certificate;
    auto raw = read(Table::certificates, digest);
    if (!raw) return std::nullopt;
    auto decoded = codec::decode<Certificate>(*raw);
    if (!decoded) return std::nullopt;
    return std::move(*decoded);
}

void Node::on_certificates_request(AuthorityIndex from, const CertificatesRequest& request) {
    // At most one certificate per digest asked, within our count and byte limits; only the first
    // max_certificates_per_response digests are looked up.
    const size_t count_max = std::min<size_t>(request.digests.size(), m_params.max_certificates_per_response);
    std::vector<Certificate> found;
    size_t bytes = certificates_response_overhead;
    for (size_t i = 0; i < count_max && !m_halted; ++i) {
        std::optional<Certificate> certificate = known_certificate(request.digests[i]);
        if (!certificate || certificate->header.round == 0) continue;  // everyone has genesis
        const size_t size = encoded_size(*certificate);
        if (bytes + size > m_params.max_certificate_response_bytes) break;
        bytes += size;
        found.push_back(std::move(*certificate));
    }
    if (found.empty()) return;
    std::stable_sort(found.begin(), found.end(),
                     [](const Certificate& a, const Certificate& b) { return a.header.round < b.header.round; });
    send(from, Plane::primary, CertificatesResponse{m_committee.epoch(), std::move(found)});
}

void Node::on_range_request(AuthorityIndex from, const CertificateRangeRequest& request) {
    // A range costs a store scan and up to max_certificate_response_bytes of answer for a request
    // of a few bytes: one per peer per half sync interval (an honest peer asks one random peer per
    // sync interval).
    auto& served = m_range_served[from];
    if (served && m_now < *served + m_params.sync_interval_us / 2) {
        ++m_stats.range_requests_refused;
        return;
    }
    const size_t count_max = std::min(request.max_certificates, m_params.max_certificates_per_response);
    const size_t bytes_max = std::min(request.max_bytes, m_params.max_certificate_response_bytes);
    if (count_max == 0 || bytes_max <= certificates_response_overhead) {
        ++m_stats.rejected;
        return;
    }
    served = m_now;
    const Round from_round = std::max<Round>(request.from_round, 1);
    CertificatesResponse response{m_committee.epoch(), {}};
    std::vector<Digest> digests;
    size_t scanned = 0;
    const size_t scan_max = (range_rounds_max + 1) * m_committee.size() + count_max;
    auto scanned_ok = m_store.scan(Table::certificate_rounds, key_u64(from_round), {}, [&](ByteSpan key, ByteSpan value) {
        if (++scanned > scan_max || digests.size() >= count_max) return false;
        if (key.size() != 10 || value.size() != 32) return true;
        const Round round = read_key_u64(key, 0);
        const AuthorityIndex author = static_cast<AuthorityIndex>((key[8] << 8) | key[9]);
        const uint64_t offset = round - request.from_round;
        if (round >= request.from_round && offset < request.have.size()) {
            const Bytes& have = request.have[offset];
            if (author / 8 < have.size() && (have[author / 8] & (1u << (author % 8)))) return true;
        }
        Digest d{};
        std::copy(value.begin(), value.end(), d.begin());
        digests.push_back(d);
        return true;
    });
    if (!scanned_ok) return;
    size_t bytes = certificates_response_overhead;
    for (const Digest& d : digests) {
        std::optional<Certificate> certificate = known_certificate(d);
        if (!certificate) continue;
        const size_t size = encoded_size(*certificate);
        if (bytes + size > bytes_max) break;
        bytes += size;
        response.certificates.push_back(std::move(*certificate));
    }
    if (!response.certificates.empty()) send(from, Plane::primary, response);
}

void Node::on_certificates_response(AuthorityIndex from, CertificatesResponse response, size_t bytes) {
    // What did we ask this peer for?
    auto range = m_range_sent.find(from);
    if (range != m_range_sent.end() && m_now >= range->second.sent + 2 * m_params.sync_interval_us) {
        m_range_sent.erase(range);  // expired: its answer is no longer expected
        range = m_range_sent.end();
    }
    size_t asked_digests = 0;
    for (const auto& [digest, fetch] : m_cert_fetches) asked_digests += fetch.asked.test(from);
    const size_t allowed = asked_digests + (range != m_range_sent.end() ? range->second.max_certificates : 0);
    if (allowed == 0) {
        unsolicited(from, std::max<size_t>(1, response.certificates.size()));
        return;
    }
    if (response.certificates.size() > allowed || bytes > m_params.max_certificate_response_bytes) {
        ++m_stats.oversized_responses;
        ++m_stats.rejected;
        return;
    }
    // Classify first (hashes only), then check signatures of the solicited ones.
    std::vector<CertificatePtr> solicited;
    bool answers_range = false;
    for (auto& c : response.certificates) {
        if (c.header.epoch != m_committee.epoch() && !m_hooks.accept_any_epoch) {
            ++m_stats.wrong_epoch;
            ++m_stats.rejected;
            continue;
        }
        auto vertex = make_vertex(std::move(c));
        auto fetch = m_cert_fetches.find(vertex->digest);
        if (fetch != m_cert_fetches.end() && fetch->second.asked.test(from)) {
            solicited.push_back(std::move(vertex));
        } else if (range != m_range_sent.end() && vertex->round() >= range->second.from_round) {
            answers_range = true;
            solicited.push_back(std::move(vertex));
        } else {
            unsolicited(from, 1);
        }
    }
    if (answers_range) m_range_sent.erase(range);  // one answer per range request
    for (const auto& vertex : solicited) {
        if (m_halted) break;
        on_certificate(from, vertex);
    }
}

void Node::send_range_request(AuthorityIndex to) {
    CertificateRangeRequest request{m_committee.epoch(), m_bullshark.gc_round() + 1, {}, m_params.max_certificates_per_response,
                                    m_params.max_certificate_response_bytes};
    const Round top = std::max(highest_round(), request.from_round);
    for (Round r = request.from_round; r <= top && request.have.size() < range_rounds_max; ++r) {
        std::vector<AuthorityIndex> have;
        if (auto level = m_dag.find(r); level != m_dag.end()) {
            for (const auto& [author, c] : level->second) have.push_back(author);
        }
        for (const auto& [d, s] : m_suspended) {
            if (s.certificate->round() == r) have.push_back(s.certificate->author());
        }
        std::sort(have.begin(), have.end());
        have.erase(std::unique(have.begin(), have.end()), have.end());
        request.have.push_back(signer_bitmap(m_committee.size(), have));
    }
    ++m_stats.range_requests;
    m_range_sent[to] = RangeSent{m_now, request.from_round, request.max_certificates};
    send(to, Plane::primary, request);
}

void Node::range_sync_tick() {
    // Range sync when a peer is ahead of us, when something waits for parents, or when nothing
    // arrived for a while.
    for (auto it = m_range_sent.begin(); it != m_range_sent.end();) {
        it = m_now >= it->second.sent + 2 * m_params.sync_interval_us ? m_range_sent.erase(it) : std::next(it);
    }
    if (m_now < m_last_range_request + m_params.sync_interval_us) return;
    m_last_range_request = m_now;  // checked once per interval, sent or not
    std::vector<AuthorityIndex> ahead;
    for (size_t i = 0; i < m_peer_rounds.size(); ++i) {
        if (i != m_me && m_peer_rounds[i] > highest_round() + 1) ahead.push_back(static_cast<AuthorityIndex>(i));
    }
    const bool stalled = m_now >= m_last_progress + m_params.sync_interval_us;
    if (!ahead.empty() || stalled || !m_suspended.empty() || !m_pending_headers.empty()) {
        // Half of the time a random peer, so one peer cannot monopolize our catch-up.
        const AuthorityIndex target =
            ahead.empty() || m_rng.chance(1, 2) ? random_peer() : ahead[m_rng.below(ahead.size())];
        send_range_request(target);
    }
}

}  // namespace fleek::consensus
