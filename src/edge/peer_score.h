// How the fetcher orders the providers of a content, best first (docs/gateway.md, "Fetch on a
// miss"): a local score of each peer from what this node saw of it as a requester.
//
//   cost = (first-block latency + 1 ms) × (1 + transfers open with it) × (tries + 2) / (successes + 1)
//
// - latency: an average (3/4 old, 1/4 new) of the time from a request to its first verified
//   block, `unknown_latency_ms` for a peer never measured;
// - load: the requester's transfers open with that peer now;
// - success rate: from the TransferClient's per-peer stats (succeeded, failed), smoothed so a
//   peer never asked is neither trusted nor shunned.
// Tiers come before cost: a peer that failed a transfer goes after the others for cooldown_ms;
// one that sent a block or proof that did not verify, or broke the protocol, goes after every
// other for distrust_ms. Equal tier and cost are ordered by an injected random draw, so load
// spreads over equally good providers and a test can fix the order.
//
// Sans-IO and integer-only: time and randomness are inputs. Not thread-safe.
#pragma once

#include "edge/transfer_client.h"

#include <functional>
#include <map>
#include <span>
#include <vector>

namespace fleek::edge {

struct PeerScoreOptions {
    uint64_t unknown_latency_ms = 50;
    uint64_t cooldown_ms = 30'000;
    uint64_t distrust_ms = 600'000;
};

enum class PeerTier : uint8_t { good = 0, cooling = 1, distrusted = 2 };

struct PeerRank {
    crypto::NodePublicKey peer;
    PeerTier tier = PeerTier::good;
    uint64_t cost = 0;
};

class PeerScores {
public:
    explicit PeerScores(PeerScoreOptions options = {}) : m_options(options) {}

    // The time from a request to its first verified block.
    void on_first_block(const crypto::NodePublicKey& peer, uint64_t latency_ms);
    // A transfer with `peer` ended with `failure` (our own cancellations and disk failures are
    // not the peer's and change nothing).
    void on_failure(const crypto::NodePublicKey& peer, FetchFailure failure, uint64_t now_ms);

    PeerTier tier(const crypto::NodePublicKey& peer, uint64_t now_ms) const;
    uint64_t latency_ms(const crypto::NodePublicKey& peer) const;
    uint64_t cost(const crypto::NodePublicKey& peer, const RequesterPeerStats& stats, size_t load) const;

    // `candidates` best first. `stats` and `load` come from the TransferClient; `random` draws the
    // tie-breaks (one draw per candidate, in the order given).
    std::vector<PeerRank> rank(std::span<const crypto::NodePublicKey> candidates,
                               const std::function<RequesterPeerStats(const crypto::NodePublicKey&)>& stats,
                               const std::function<size_t(const crypto::NodePublicKey&)>& load, uint64_t now_ms,
                               const std::function<uint64_t()>& random) const;

private:
    struct Seen {
        uint64_t latency_ms = 0;
        bool measured = false;
        uint64_t cooling_until_ms = 0;
        uint64_t distrusted_until_ms = 0;
    };
    PeerScoreOptions m_options;
    std::map<crypto::NodePublicKey, Seen> m_seen;
};

}  // namespace fleek::edge
