#include "edge/peer_score.h"

#include <algorithm>
#include <tuple>

namespace fleek::edge {

namespace {

// Bounds that keep the cost's product under 2^64: latency 2^20 ms, load 2^10, counts 2^20.
constexpr uint64_t latency_cap_ms = uint64_t{1} << 20;
constexpr uint64_t load_cap = 1023;
constexpr uint64_t count_cap = uint64_t{1} << 20;

}  // namespace

void PeerScores::on_first_block(const crypto::NodePublicKey& peer, uint64_t latency_ms) {
    Seen& seen = m_seen[peer];
    latency_ms = std::min(latency_ms, latency_cap_ms);
    seen.latency_ms = seen.measured ? (3 * seen.latency_ms + latency_ms) / 4 : latency_ms;
    seen.measured = true;
}

void PeerScores::on_failure(const crypto::NodePublicKey& peer, FetchFailure failure, uint64_t now_ms) {
    switch (failure) {
        case FetchFailure::cancelled:
        case FetchFailure::store_failed:
        case FetchFailure::too_large: return;  // ours, not the peer's
        case FetchFailure::proof_rejected:
        case FetchFailure::directory_rejected:
        case FetchFailure::bad_frame: m_seen[peer].distrusted_until_ms = now_ms + m_options.distrust_ms; return;
        case FetchFailure::not_found:
        case FetchFailure::busy:
        case FetchFailure::refused:
        case FetchFailure::peer_stalled:
        case FetchFailure::deadline_exceeded:
        case FetchFailure::peer_disconnected: m_seen[peer].cooling_until_ms = now_ms + m_options.cooldown_ms; return;
    }
}

PeerTier PeerScores::tier(const crypto::NodePublicKey& peer, uint64_t now_ms) const {
    auto it = m_seen.find(peer);
    if (it == m_seen.end()) return PeerTier::good;
    if (now_ms < it->second.distrusted_until_ms) return PeerTier::distrusted;
    if (now_ms < it->second.cooling_until_ms) return PeerTier::cooling;
    return PeerTier::good;
}

uint64_t PeerScores::latency_ms(const crypto::NodePublicKey& peer) const {
    auto it = m_seen.find(peer);
    return it != m_seen.end() && it->second.measured ? it->second.latency_ms : m_options.unknown_latency_ms;
}

uint64_t PeerScores::cost(const crypto::NodePublicKey& peer, const RequesterPeerStats& stats, size_t load) const {
    const uint64_t latency = std::min(latency_ms(peer), latency_cap_ms) + 1;
    const uint64_t busy = std::min<uint64_t>(load, load_cap) + 1;
    const uint64_t successes = std::min(stats.succeeded, count_cap);
    const uint64_t tries = std::min(stats.succeeded + stats.failed, count_cap);
    return latency * busy * (tries + 2) * 1024 / (successes + 1);
}

std::vector<PeerRank> PeerScores::rank(std::span<const crypto::NodePublicKey> candidates,
                                       const std::function<RequesterPeerStats(const crypto::NodePublicKey&)>& stats,
                                       const std::function<size_t(const crypto::NodePublicKey&)>& load, uint64_t now_ms,
                                       const std::function<uint64_t()>& random) const {
    struct Entry {
        PeerRank rank;
        uint64_t draw;
    };
    std::vector<Entry> entries;
    entries.reserve(candidates.size());
    for (const auto& peer : candidates) {
        entries.push_back(Entry{PeerRank{peer, tier(peer, now_ms), cost(peer, stats(peer), load(peer))}, random()});
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.rank.tier, a.rank.cost, a.draw, a.rank.peer) < std::tie(b.rank.tier, b.rank.cost, b.draw, b.rank.peer);
    });
    std::vector<PeerRank> out;
    out.reserve(entries.size());
    for (auto& entry : entries) out.push_back(std::move(entry.rank));
    return out;
}

}  // namespace fleek::edge
