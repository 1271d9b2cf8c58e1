// Fetch on a miss (docs/gateway.md, "Fetch on a miss"): gets content this node does not hold
// from the peers that announced it, block by block, verified, into the blockstore, while readers
// (FetchJob) stream each block as soon as it is verified.
//
// - Providers come from an injected lookup (the node's provider table, connected peers only) and
//   are asked best first (PeerScores: latency, load, success rate; random tie-break).
// - A transfer that fails (a proof that does not verify, a stall, a disconnect, an answer
//   refusing it) scores its provider down and the fetch goes on with the next provider from the
//   first block not held: blocks already verified stay in the partial object.
// - Readers say which block they need (FetchJob::want): a block no running transfer will bring
//   soon gets a transfer of its own (a Range request on a miss gets its blocks first), and once
//   the needed blocks are in, the rest of the content is fetched so it can be committed. A
//   transfer that runs into blocks already held stops there.
// - With no provider left (none known, or all failed), the fetch waits provider_wait_ms from its
//   last progress for a new one, then fails: not_found when no provider ever had it. Each fetch
//   has an overall deadline and at most attempts_max transfers.
// - Directories are fetched whole (TransferClient::fetch_tree) and served from the store.
//
// One fetch per hash: the caller keeps the map of FetchJobs (single flight across the node) and
// hands each new one to start(). Sans-IO: time and randomness are inputs; it drives the
// TransferClient (on_message, on_peer_disconnected and tick go through it so callbacks see the
// time). Not thread-safe: the node calls it from its content thread.
#pragma once

#include "edge/fetch_job.h"
#include "edge/peer_score.h"
#include "edge/transfer_client.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace fleek::edge {

struct FetcherOptions {
    uint64_t provider_wait_ms = 2'000;  // with no provider left, wait this long for one
    uint64_t deadline_ms = 600'000;     // a whole fetch
    size_t attempts_max = 16;           // transfers started for one fetch (each provider failure costs one)
    size_t transfers_per_fetch_max = 4; // transfers of one fetch running at once
    uint64_t busy_retry_ms = 500;       // a provider that answered busy is asked again after this
    uint64_t lookahead_blocks = 64;     // a wanted block this far ahead of a running transfer gets its own
    size_t recent_blocks = 16;          // verified blocks each FetchJob keeps in memory for readers
};

struct FetcherCounters {
    uint64_t started = 0;     // fetches
    uint64_t from_peers = 0;  // stored, every block from peers
    uint64_t not_found = 0;
    uint64_t failed = 0;      // failed, too large or timed out
    uint64_t transfers = 0;   // transfers started (file ranges and tree fetches)
    uint64_t resumed = 0;     // transfers that continued a partial object another transfer began
};

// The providers known for a content (not this node; the node passes connected peers only).
using ProviderLookup = std::function<std::vector<crypto::NodePublicKey>(const content::Hash32& hash)>;

class Fetcher {
public:
    Fetcher(content::Blockstore& store, TransferClient& client, ProviderLookup providers, FetcherOptions options,
            PeerScoreOptions score_options, std::function<uint64_t()> random);
    ~Fetcher();
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    // Drives `job` until it is stored or fails. `on_end` (set_on_end) is told when it ends.
    void start(std::shared_ptr<FetchJob> job, uint64_t now_ms);
    void set_on_end(std::function<void(const content::Hash32& hash, bool stored)> on_end) { m_on_end = std::move(on_end); }

    // The TransferClient's inputs, passed through so the fetch callbacks see the time.
    void on_message(const crypto::NodePublicKey& from, ByteSpan payload, uint64_t now_ms, std::shared_ptr<const void> owner = nullptr);
    void on_peer_disconnected(const crypto::NodePublicKey& peer, uint64_t now_ms);
    // The client's timers, then every fetch: new wants, provider waits, deadlines. Every ~100 ms.
    void tick(uint64_t now_ms);
    // Readers' wants and waiting fetches only (cheap; after each batch of inputs).
    void plan_all(uint64_t now_ms);
    // Ends every fetch (the node is stopping): readers are woken with an error.
    void stop(uint64_t now_ms);

    size_t active() const noexcept { return m_drives.size(); }
    const FetcherCounters& counters() const noexcept { return m_counters; }
    const PeerScores& scores() const noexcept { return m_scores; }

private:
    struct Segment;
    struct Drive;
    class Sink;

    Drive* find(const content::Hash32& hash);
    void plan(Drive& drive);
    bool start_segment(Drive& drive, uint64_t first, uint64_t end);
    void start_tree(Drive& drive);
    std::vector<crypto::NodePublicKey> candidates(Drive& drive);
    uint64_t boundary(const Drive& drive, const content::PartialWriter* partial, uint64_t from, uint64_t blocks) const;
    void on_file(const content::Hash32& hash, uint64_t token, uint64_t content_length);
    bool on_block(const content::Hash32& hash, uint64_t token, uint64_t index, ByteSpan bytes, const std::shared_ptr<const void>& owner);
    void on_done(const content::Hash32& hash, uint64_t token, const Result<Fetched, FetchError>& outcome);
    void on_tree_done(const content::Hash32& hash, FetchId id, const Result<TreeFetched, TreeFetchError>& outcome);
    void provider_failed(Drive& drive, const crypto::NodePublicKey& peer, const FetchError& error);
    static std::vector<FetchId> running(const Drive& drive);
    void finish(Drive& drive, bool from_peers = true);
    void fail(Drive& drive, MissError error, std::string message);
    void end(const content::Hash32& hash, bool stored);

    content::Blockstore& m_store;
    TransferClient& m_client;
    ProviderLookup m_providers;
    FetcherOptions m_options;
    PeerScores m_scores;
    std::function<uint64_t()> m_random;
    std::function<void(const content::Hash32&, bool)> m_on_end;
    std::map<content::Hash32, std::unique_ptr<Drive>> m_drives;
    FetcherCounters m_counters;
    uint64_t m_now_ms = 0;
    uint64_t m_next_token = 1;
};

}  // namespace fleek::edge
