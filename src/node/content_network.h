// The node's content network (src/node/README.md §Content network): how nodes share content.
// One content thread owns the peer content transfer (TransferServer, TransferClient), the
// fetch on a miss (Fetcher) and this node's provider records (ProviderPublisher); it shares the
// provider table and the resolver store with the runtime's core thread, which runs the gossip
// handlers.
//
// - Frames: the runtime hands over (RuntimeHooks::take_frame, on its I/O threads) every frame of
//   the transport's `content` channel and the request-channel kinds below; they queue for the
//   content thread, which may block on disk (never the I/O or the core thread).
// - Providers: every object the blockstore commits is announced and every object it drops is
//   withdrawn (signed records, gossip topic `providers`, batches each tick); the blockstore's
//   contents are announced at start; announcements are refreshed before they expire. A node that
//   starts, and any peer that (re)connects, is asked for a snapshot of the provider table.
// - Resolver records: after an origin fetch the node signs and gossips its record (topic
//   `resolver_records`); `GET /ipfs/<cid>` for a DAG nobody here holds finds a claim (asking
//   peers when none is stored), fetches its CAR from providers, adopts it (every block checked
//   against its CID) and only then serves; with no usable claim, the IPFS origin.
// - Disconnects: the transport does not report them; the thread polls the peers every tick and
//   tells the server and the client.
// - /metrics: per-peer bytes and durations in both directions, transfers by outcome, fetches by
//   outcome, where requests were served from.
//
// Thread safety: the PeerContent methods, metrics_text and the hooks may be called from any
// thread; attach and stop from the thread that owns the node.
#pragma once

#include "edge/fetcher.h"
#include "edge/peer_content.h"
#include "edge/transfer_server.h"
#include "node/runtime.h"
#include "origins/ipfs_adopt.h"
#include "origins/ipfs_store.h"
#include "origins/provider_publisher.h"
#include "origins/provider_snapshot.h"
#include "origins/provider_table.h"

#include <atomic>
#include <condition_variable>
#include <array>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <variant>

namespace fleek::node {

// First byte of a request-channel frame (the runtime's kinds are 0 to 2, docs/formats/chain.md).
enum class ContentRequestKind : uint8_t {
    provider_snapshot_request = 3,  // ProviderSnapshotRequest
    provider_snapshot_page = 4,     // ProviderSnapshotPage, the answer
    resolver_query = 5,             // ResolverQuery
    resolver_answer = 6,            // ResolverAnswer, the answer
};
bool is_content_request_kind(uint8_t kind) noexcept;

struct ContentNetworkOptions {
    bool fetch_on_miss = true;
    edge::FetcherOptions fetcher;
    edge::PeerScoreOptions scores;
    edge::TransferServerOptions server;
    edge::TransferClientOptions client;
    origins::ProviderTableOptions table;
    origins::ProviderPublisherOptions publisher;
    origins::AdoptLimits ipfs_limits;
    uint64_t resolver_query_ms = 1'500;       // how long a CID miss waits for peers' resolver answers
    uint64_t tick_ms = 100;
    uint64_t registry_refresh_ms = 2'000;     // re-read the ledger's node registry
    uint64_t snapshot_page_timeout_ms = 5'000;  // then the snapshot is asked of another peer
    uint64_t refresh_interval_ms = 60'000;    // re-announce what is due
    uint64_t expire_interval_ms = 10'000;     // drop expired provider records
    uint32_t peer_requests_per_second = 8;    // snapshot pages and resolver answers per peer
    size_t inbox_bytes_max = size_t{256} << 20;  // frames waiting for the content thread
};

class ContentNetwork final : public edge::PeerContent {
public:
    ContentNetwork(ContentNetworkOptions options, const crypto::NodeSecretKey& key, content::Blockstore& store,
                   origins::Resolver& resolver, origins::IpfsStore& ipfs_store, origins::IpfsOrigin* ipfs_origin);
    ~ContentNetwork() override;
    ContentNetwork(const ContentNetwork&) = delete;
    ContentNetwork& operator=(const ContentNetwork&) = delete;

    // What RuntimeOptions::hooks needs (valid while this object lives).
    RuntimeHooks hooks();
    // Starts the content thread over the started runtime: announcements, snapshot, fetches.
    void attach(Runtime& runtime);
    // Ends fetches (readers see an error), stops the thread, detaches from the blockstore.
    // Idempotent; call it before the runtime stops.
    void stop();
    std::string metrics_text();

    // edge::PeerContent
    std::shared_ptr<edge::FetchJob> fetch_miss(const content::Hash32& hash, uint64_t first_block) override;
    Result<void, origins::OriginError> fetch_ipfs_miss(const ipld::Cid& cid) override;
    void resolved_ipfs(const origins::FetchedIpfs& fetched) override;
    void resolved_http(std::string_view pointer, const origins::FetchedHttp& fetched) override;
    void count(edge::ServedFrom from) override;

private:
    struct Frame {
        crypto::NodePublicKey from;
        net::Channel channel;
        Bytes payload;
    };
    struct StartFetch {
        std::shared_ptr<edge::FetchJob> job;
    };
    struct StoreChange {
        content::Hash32 hash;
        bool present;
    };
    struct Publish {  // a resolution of this node's to sign and gossip
        origins::Resolution resolution;
    };
    struct AskPeers {  // a resolver query for every connected peer
        origins::ResolverPointer pointer;
    };
    struct MetricsRequest {
        std::shared_ptr<std::promise<std::string>> answer;
    };
    struct Wake {};
    using Item = std::variant<Frame, StartFetch, StoreChange, Publish, AskPeers, MetricsRequest, Wake>;

    struct PeerState {
        bool connected = false;
        bool seen_connected = false;
        uint64_t disconnects = 0;
        uint64_t request_tokens_milli = 0;  // rate limit of answered requests, in thousandths
        uint64_t tokens_ms = 0;
        uint64_t refused_requests = 0;
        uint64_t bad_requests = 0;
    };
    struct SnapshotInProgress {
        crypto::NodePublicKey peer;
        origins::ProviderSnapshotSync sync;
        uint64_t asked_ms = 0;
    };
    struct PendingQuery {
        crypto::NodePublicKey peer;
        origins::ResolverPointer pointer;
        uint64_t until_ms = 0;
    };

    // Any thread.
    bool push(Item item, size_t bytes = 0);
    bool take_frame(const crypto::NodePublicKey& from, net::Channel channel, Bytes& payload);
    bool is_registered(const crypto::NodePublicKey& key);
    bool on_provider_gossip(const crypto::NodePublicKey& origin, ByteSpan payload);
    bool on_resolver_gossip(const crypto::NodePublicKey& origin, ByteSpan payload);
    static uint64_t steady_ms();
    static uint64_t wall_ms();

    // The content thread (content_network.cpp).
    void run();
    void handle(Item& item, uint64_t now_ms);
    void tick(uint64_t now_ms);
    void poll_peers(uint64_t now_ms);
    void refresh_registry();
    void on_store_change(const content::Hash32& hash, bool present);
    void flush_records();
    std::vector<crypto::NodePublicKey> providers_of(const content::Hash32& hash);
    std::string render_metrics();

    // Request-channel kinds and resolver records (content_requests.cpp).
    void on_request(const crypto::NodePublicKey& from, ByteSpan payload, uint64_t now_ms);
    bool allow_request(const crypto::NodePublicKey& from, uint64_t now_ms);
    void send_request(const crypto::NodePublicKey& to, ContentRequestKind kind, ByteSpan body);
    void next_snapshot(uint64_t now_ms);
    void on_snapshot_page(const crypto::NodePublicKey& from, ByteSpan body, uint64_t now_ms);
    void on_resolver_answer(const crypto::NodePublicKey& from, ByteSpan body, uint64_t now_ms);
    void ask_peers(const origins::ResolverPointer& pointer, uint64_t now_ms);
    void publish_resolution(const origins::Resolution& resolution);
    Result<void, origins::OriginError> resolve_from_peers(const ipld::Cid& cid, std::string& notes);
    bool wait_for_job(const std::shared_ptr<edge::FetchJob>& job);

    ContentNetworkOptions m_options;
    crypto::NodeSecretKey m_key;
    crypto::NodePublicKey m_self;
    content::Blockstore& m_store;
    origins::Resolver& m_resolver;
    origins::IpfsStore& m_ipfs_store;
    origins::IpfsOrigin* m_ipfs_origin;
    std::atomic<Runtime*> m_runtime{nullptr};
    origins::NodeKeyCheck m_key_check;

    // Inbox: any thread -> content thread.
    std::mutex m_inbox_mutex;
    std::condition_variable m_inbox_ready;
    std::deque<Item> m_inbox;
    size_t m_inbox_bytes = 0;
    bool m_stopping = false;
    std::atomic<bool> m_stopped{false};  // for waits outside the inbox lock
    std::thread m_thread;

    // Shared with the core thread (gossip handlers) and the gateway's threads.
    std::mutex m_table_mutex;
    origins::ProviderTable m_table;
    std::mutex m_registry_mutex;
    std::set<crypto::NodePublicKey> m_registered;
    std::mutex m_jobs_mutex;
    std::map<content::Hash32, std::shared_ptr<edge::FetchJob>> m_jobs;
    std::mutex m_answers_mutex;
    std::condition_variable m_answers_ready;  // resolver records arrived (gossip or answers)
    origins::SingleFlight<Bytes, Result<void, origins::OriginError>> m_ipfs_flights;
    std::string m_last_metrics;  // under m_inbox_mutex: answered when the thread cannot answer in time

    // Counters (any thread).
    std::array<std::atomic<uint64_t>, 4> m_served{};  // by edge::ServedFrom
    std::atomic<uint64_t> m_ipfs_from_peers{0};
    std::atomic<uint64_t> m_ipfs_from_origin{0};
    std::atomic<uint64_t> m_claims_contradicted{0};
    std::atomic<uint64_t> m_provider_batches_refused{0};
    std::atomic<uint64_t> m_frames_dropped{0};

    // The content thread only.
    std::unique_ptr<edge::TransferServer> m_server;
    std::unique_ptr<edge::TransferClient> m_client;
    std::unique_ptr<edge::Fetcher> m_fetcher;
    origins::ProviderPublisher m_publisher;
    std::mt19937_64 m_random;
    std::map<crypto::NodePublicKey, PeerState> m_peers;
    std::optional<SnapshotInProgress> m_snapshot;
    std::deque<crypto::NodePublicKey> m_snapshot_queue;
    uint64_t m_snapshots_completed = 0;
    uint64_t m_snapshot_pages = 0;
    uint64_t m_snapshot_pages_refused = 0;
    std::vector<PendingQuery> m_pending_queries;
    std::vector<origins::ProviderRecord> m_unpublished;  // own records for the next batch
    uint64_t m_announce_limited = 0;
    uint64_t m_next_tick_ms = 0;
    uint64_t m_last_registry_ms = 0;
    uint64_t m_last_refresh_ms = 0;
    uint64_t m_last_expire_ms = 0;
    uint64_t m_unsolicited = 0;
};

}  // namespace fleek::node
