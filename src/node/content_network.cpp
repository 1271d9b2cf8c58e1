#include "node/content_network.h"

#include "net/write_batch.h"
#include "origins/resolver_exchange.h"
#include "util/encoding.h"
#include "util/log.h"

#include <fmt/format.h>

#include <chrono>
#include <future>

namespace fleek::node {

using crypto::NodePublicKey;

bool is_content_request_kind(uint8_t kind) noexcept {
    return kind >= static_cast<uint8_t>(ContentRequestKind::provider_snapshot_request) &&
           kind <= static_cast<uint8_t>(ContentRequestKind::resolver_answer);
}

uint64_t ContentNetwork::steady_ms() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

uint64_t ContentNetwork::wall_ms() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

ContentNetwork::ContentNetwork(ContentNetworkOptions options, const crypto::NodeSecretKey& key, content::Blockstore& store,
                               origins::Resolver& resolver, origins::IpfsStore& ipfs_store, origins::IpfsOrigin* ipfs_origin)
    : m_options(std::move(options)),
      m_key(key.clone()),
      m_self(key.public_key()),
      m_store(store),
      m_resolver(resolver),
      m_ipfs_store(ipfs_store),
      m_ipfs_origin(ipfs_origin),
      m_key_check([this](const NodePublicKey& node) { return is_registered(node); }),
      m_table(m_options.table, m_key_check),
      m_publisher(key.clone(), m_options.publisher) {
    uint64_t seed = steady_ms();
    for (size_t i = 0; i < 8; ++i) seed = (seed << 8) ^ m_self.bytes()[i];
    m_random.seed(seed);
    const auto send = [this](const NodePublicKey& to, net::FramePayload& message) {
        Runtime* runtime = m_runtime.load();
        return runtime == nullptr ? net::SendResult::stopped : runtime->send_frame(to, net::Channel::content, message);
    };
    m_server = std::make_unique<edge::TransferServer>(m_store, send, m_options.server);
    m_client = std::make_unique<edge::TransferClient>(m_store, send, m_options.client);
    m_fetcher = std::make_unique<edge::Fetcher>(
        m_store, *m_client, [this](const content::Hash32& hash) { return providers_of(hash); }, m_options.fetcher, m_options.scores,
        [this] { return m_random(); });
    m_fetcher->set_on_end([this](const content::Hash32& hash, bool) {
        std::lock_guard lock(m_jobs_mutex);
        m_jobs.erase(hash);
    });
}

ContentNetwork::~ContentNetwork() { stop(); }

RuntimeHooks ContentNetwork::hooks() {
    RuntimeHooks hooks;
    hooks.take_frame = [this](const NodePublicKey& from, net::Channel channel, Bytes& payload) { return take_frame(from, channel, payload); };
    hooks.gossip.emplace_back(net::Topic::providers,
                              [this](const NodePublicKey& origin, ByteSpan payload) { return on_provider_gossip(origin, payload); });
    hooks.gossip.emplace_back(net::Topic::resolver_records,
                              [this](const NodePublicKey& origin, ByteSpan payload) { return on_resolver_gossip(origin, payload); });
    return hooks;
}

void ContentNetwork::attach(Runtime& runtime) {
    m_runtime.store(&runtime);
    refresh_registry();
    m_store.set_listener([this](const content::Hash32& hash, content::ObjectKind, bool present) {
        push(StoreChange{hash, present});
    });
    for (const auto& [hash, kind] : m_store.objects()) push(StoreChange{hash, true});
    m_thread = std::thread([this] { run(); });
}

void ContentNetwork::stop() {
    {
        std::lock_guard lock(m_inbox_mutex);
        if (m_stopping) return;
        m_stopping = true;
    }
    m_stopped = true;
    m_store.set_listener(nullptr);
    m_inbox_ready.notify_all();
    if (m_thread.joinable()) m_thread.join();
    m_fetcher->stop(steady_ms());
    // Fetches that never reached the thread end too: their readers must not wait forever.
    std::map<content::Hash32, std::shared_ptr<edge::FetchJob>> jobs;
    {
        std::lock_guard lock(m_jobs_mutex);
        jobs.swap(m_jobs);
    }
    for (auto& [hash, job] : jobs) job->fail(edge::MissError::failed, "the node is stopping");
    {
        std::lock_guard lock(m_answers_mutex);
        m_answers_ready.notify_all();
    }
    m_runtime.store(nullptr);
}

// ------------------------------------------------------------------------------------ any thread

bool ContentNetwork::push(Item item, size_t bytes) {
    {
        std::lock_guard lock(m_inbox_mutex);
        if (m_stopping) return false;
        if (bytes > 0 && m_inbox_bytes + bytes > m_options.inbox_bytes_max) return false;
        m_inbox_bytes += bytes;
        m_inbox.push_back(std::move(item));
    }
    m_inbox_ready.notify_one();
    return true;
}

bool ContentNetwork::take_frame(const NodePublicKey& from, net::Channel channel, Bytes& payload) {
    const bool ours = channel == net::Channel::content ||
                      (channel == net::Channel::request && !payload.empty() && is_content_request_kind(payload[0]));
    if (!ours) return false;
    const size_t bytes = payload.size();
    // A full inbox drops the frame: the requester's stall timeout or the provider's cover it.
    if (!push(Frame{from, channel, std::move(payload)}, std::max<size_t>(bytes, 1))) ++m_frames_dropped;
    return true;
}

bool ContentNetwork::is_registered(const NodePublicKey& key) {
    {
        std::lock_guard lock(m_registry_mutex);
        if (m_registered.count(key) != 0) return true;
    }
    // Registered since the last refresh? Ask the ledger (bounded by the gossip's own limits).
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return false;
    bool registered = false;
    runtime->read([&](const Chain& chain) { registered = chain.ledger().node_index(key).has_value(); });
    if (registered) {
        std::lock_guard lock(m_registry_mutex);
        m_registered.insert(key);
    }
    return registered;
}

bool ContentNetwork::on_provider_gossip(const NodePublicKey& origin, ByteSpan payload) {
    origins::ProviderApplyCounts counts;
    {
        std::lock_guard lock(m_table_mutex);
        counts = m_table.apply_batch(origin, payload, wall_ms());
    }
    if (counts.refused != 0) {
        ++m_provider_batches_refused;
        FLEEK_LOG_DEBUG("content", "provider records from {} refused: {}", origin.to_string(),
                        counts.first_refusal ? origins::to_string(*counts.first_refusal) : "malformed");
        return false;
    }
    if (counts.accepted > 0) push(Wake{});  // a fetch waiting for a provider may go on
    return true;
}

bool ContentNetwork::on_resolver_gossip(const NodePublicKey& origin, ByteSpan payload) {
    auto accepted = origins::accept_resolver_gossip(m_resolver, origin, payload, m_key_check, wall_ms());
    if (accepted) {
        std::lock_guard lock(m_answers_mutex);
        m_answers_ready.notify_all();
    }
    return accepted || accepted.error() == origins::ResolverRecordError::storage;
}

std::shared_ptr<edge::FetchJob> ContentNetwork::fetch_miss(const content::Hash32& hash, uint64_t first_block) {
    if (!m_options.fetch_on_miss) return nullptr;
    std::shared_ptr<edge::FetchJob> job;
    bool created = false;
    {
        std::lock_guard lock(m_jobs_mutex);
        auto& slot = m_jobs[hash];
        if (!slot) {
            slot = std::make_shared<edge::FetchJob>(hash, m_store, m_options.fetcher.recent_blocks);
            created = true;
        }
        job = slot;
    }
    job->want(first_block);
    if (!push(created ? Item(StartFetch{job}) : Item(Wake{}))) {
        job->fail(edge::MissError::failed, "the node is stopping");
    }
    return job;
}

void ContentNetwork::count(edge::ServedFrom from) { ++m_served[static_cast<size_t>(from)]; }

void ContentNetwork::resolved_ipfs(const origins::FetchedIpfs& fetched) {
    if (fetched.record.kind == origins::ResolvedKind::symlink) return;
    const auto car = m_store.info(fetched.record.car);
    if (!car) return;
    origins::IpfsResolution resolution{fetched.cid.to_v1(), fetched.record.kind, fetched.record.hash, fetched.record.size,
                                       fetched.record.car, car->length};
    push(Publish{std::move(resolution)});
}

void ContentNetwork::resolved_http(std::string_view pointer, const origins::FetchedHttp& fetched) {
    push(Publish{origins::HttpResolution{std::string(pointer), fetched.record.hash, fetched.record.size}});
}

std::string ContentNetwork::metrics_text() {
    auto answer = std::make_shared<std::promise<std::string>>();
    auto future = answer->get_future();
    if (push(MetricsRequest{answer}) && future.wait_for(std::chrono::seconds(2)) == std::future_status::ready) {
        std::string text = future.get();
        std::lock_guard lock(m_inbox_mutex);
        m_last_metrics = text;
        return text;
    }
    std::lock_guard lock(m_inbox_mutex);
    return m_last_metrics;
}

// ------------------------------------------------------------------------------------ content thread

void ContentNetwork::run() {
    m_next_tick_ms = steady_ms();
    while (true) {
        std::deque<Item> items;
        {
            std::unique_lock lock(m_inbox_mutex);
            const uint64_t now = steady_ms();
            const uint64_t wait_ms = m_next_tick_ms > now ? m_next_tick_ms - now : 0;
            m_inbox_ready.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return m_stopping || !m_inbox.empty(); });
            if (m_stopping) return;
            items.swap(m_inbox);
            m_inbox_bytes = 0;
        }
        uint64_t now = steady_ms();
        // What one item sends (a provider's file message and its first blocks) leaves in one
        // write, not its first frame alone (net/write_batch.h).
        for (Item& item : items) {
            net::WriteBatch batch;
            handle(item, now);
        }
        now = steady_ms();
        net::WriteBatch batch;
        m_fetcher->plan_all(now);
        if (now >= m_next_tick_ms) {
            tick(now);
            m_next_tick_ms = now + m_options.tick_ms;
        }
    }
}

void ContentNetwork::handle(Item& item, uint64_t now_ms) {
    if (auto* frame = std::get_if<Frame>(&item)) {
        if (frame->channel == net::Channel::request) return on_request(frame->from, frame->payload, now_ms);
        const auto direction = content::transfer_direction(frame->payload);
        if (direction == content::TransferDirection::to_requester) {
            // Shared, so verified blocks reach the gateway's readers as views into this frame.
            auto owner = std::make_shared<const Bytes>(std::move(frame->payload));
            const ByteSpan payload(*owner);
            m_fetcher->on_message(frame->from, payload, now_ms, std::move(owner));
        } else {
            m_server->on_message(frame->from, frame->payload, now_ms);  // counts an empty payload as bad
        }
    } else if (auto* start = std::get_if<StartFetch>(&item)) {
        m_fetcher->start(std::move(start->job), now_ms);
    } else if (auto* change = std::get_if<StoreChange>(&item)) {
        on_store_change(change->hash, change->present);
    } else if (auto* publish = std::get_if<Publish>(&item)) {
        publish_resolution(publish->resolution);
    } else if (auto* ask = std::get_if<AskPeers>(&item)) {
        ask_peers(ask->pointer, now_ms);
    } else if (auto* metrics = std::get_if<MetricsRequest>(&item)) {
        metrics->answer->set_value(render_metrics());
    }
}

void ContentNetwork::tick(uint64_t now_ms) {
    poll_peers(now_ms);
    m_fetcher->tick(now_ms);
    m_server->tick(now_ms);
    if (now_ms >= m_last_registry_ms + m_options.registry_refresh_ms) {
        m_last_registry_ms = now_ms;
        refresh_registry();
    }
    const uint64_t wall = wall_ms();
    if (now_ms >= m_last_refresh_ms + m_options.refresh_interval_ms) {
        m_last_refresh_ms = now_ms;
        for (auto& record : m_publisher.refresh(wall, origins::provider_batch_records_max * 4)) m_unpublished.push_back(std::move(record));
    }
    if (now_ms >= m_last_expire_ms + m_options.expire_interval_ms) {
        m_last_expire_ms = now_ms;
        std::lock_guard lock(m_table_mutex);
        m_table.expire(wall);
    }
    flush_records();
    next_snapshot(now_ms);
    std::erase_if(m_pending_queries, [&](const PendingQuery& query) { return query.until_ms <= now_ms; });
}

// Peers that connected (asked for a snapshot) and disconnected (their transfers end).
void ContentNetwork::poll_peers(uint64_t now_ms) {
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return;
    for (const net::PeerStatus& status : runtime->peer_status()) {
        PeerState& peer = m_peers[status.key];
        const bool dropped = peer.connected && (!status.connected || status.disconnects != peer.disconnects);
        const bool came = status.connected && (!peer.connected || status.disconnects != peer.disconnects);
        // At start any connected peer may give the first snapshot; later, a peer that comes back
        // gives one (it may hold records gossiped while the two were apart).
        const bool wanted = m_snapshots_completed == 0 || peer.seen_connected;
        if (came && wanted && std::find(m_snapshot_queue.begin(), m_snapshot_queue.end(), status.key) == m_snapshot_queue.end()) {
            m_snapshot_queue.push_back(status.key);
        }
        if (status.connected) peer.seen_connected = true;
        peer.connected = status.connected;
        peer.disconnects = status.disconnects;
        if (dropped) {  // after the state changed: the fetches that fail over see it
            m_server->on_peer_disconnected(status.key, now_ms);
            m_fetcher->on_peer_disconnected(status.key, now_ms);
        }
    }
}

void ContentNetwork::refresh_registry() {
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return;
    std::set<NodePublicKey> keys;
    runtime->read([&](const Chain& chain) {
        for (const auto& [index, info] : chain.ledger().nodes()) {
            if (auto key = NodePublicKey::from_bytes(info.node_key)) keys.insert(*key);
        }
    });
    std::vector<NodePublicKey> gone;
    {
        std::lock_guard lock(m_registry_mutex);
        for (const auto& key : m_registered) {
            if (keys.count(key) == 0) gone.push_back(key);
        }
        m_registered = std::move(keys);
    }
    if (!gone.empty()) {
        std::lock_guard lock(m_table_mutex);
        for (const auto& key : gone) m_table.forget_provider(key);
    }
}

void ContentNetwork::on_store_change(const content::Hash32& hash, bool present) {
    const uint64_t wall = wall_ms();
    std::optional<origins::ProviderRecord> record;
    if (present) {
        auto announced = m_publisher.announce(hash, wall);
        if (!announced) {
            ++m_announce_limited;
            return;
        }
        record = std::move(*announced);
    } else {
        record = m_publisher.withdraw(hash, wall);
    }
    if (record) m_unpublished.push_back(std::move(*record));
}

// This node's records: into its own table, then gossiped in batches.
void ContentNetwork::flush_records() {
    if (m_unpublished.empty()) return;
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return;
    const uint64_t wall = wall_ms();
    {
        std::lock_guard lock(m_table_mutex);
        for (const auto& record : m_unpublished) (void)m_table.apply(record, wall);
    }
    for (auto& batch : origins::provider_batches(m_unpublished)) {
        if (!runtime->publish(net::Topic::providers, std::move(batch))) {
            FLEEK_LOG_WARN("content", "provider records not published: the runtime's inbox is full");
        }
    }
    m_unpublished.clear();
}

// Connected providers of `hash` from the table, else from the ledger's content registry.
std::vector<NodePublicKey> ContentNetwork::providers_of(const content::Hash32& hash) {
    std::vector<NodePublicKey> known;
    {
        std::lock_guard lock(m_table_mutex);
        known = m_table.providers(hash, wall_ms());
    }
    const auto usable = [&](const NodePublicKey& key) {
        if (key == m_self) return false;
        auto peer = m_peers.find(key);
        return peer != m_peers.end() && peer->second.connected;
    };
    std::erase_if(known, [&](const NodePublicKey& key) { return !usable(key); });
    if (!known.empty()) return known;
    Runtime* runtime = m_runtime.load();
    if (runtime == nullptr) return known;
    runtime->read([&](const Chain& chain) {
        const ledger::Ledger& ledger = chain.ledger();
        for (const ledger::NodeIndex index : ledger.content_providers(hash)) {
            const auto info = ledger.node(index);
            if (!info) continue;
            if (auto key = NodePublicKey::from_bytes(info->node_key); key && usable(*key)) known.push_back(*key);
        }
    });
    return known;
}

}  // namespace fleek::node
