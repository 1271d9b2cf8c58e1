// Consensus macro benchmark: a committee of 4 consensus nodes in one process, each on its own
// thread, over loopback channels (in-memory queues, the primary plane served before the worker
// plane), with real BLS signatures and a RocksDB store per node. One client thread per node
// offers rate/4 transactions per second of 512 bytes in 20 bursts per second, like Narwhal's
// benchmark client; one transaction per burst is a "sample" (first byte 0, then a counter).
//
// Metrics exactly as Narwhal's benchmark defines them (consensus.md §6.1):
//   consensus TPS       = bytes of committed batches / (last commit - first header proposal) / tx size
//   consensus latency   = mean over committed batches of (commit time - creation of the header
//                         that carries it), the earliest time across nodes for both events
//   end-to-end TPS      = the same bytes / (last commit - first client send) / tx size
//   end-to-end latency  = mean over sample transactions of (commit time of their batch - send time)
// and they are printed next to Narwhal's published local run (4 nodes, 1 worker each, 50,000 tx/s
// input, 512 B): consensus 46,478 tx/s at 464 ms, end-to-end 46,149 tx/s at 557 ms.
//
// Usage: consensus_bench [--rate 50000] [--duration 20] [--tx-size 512] [--dir DIR]
//                        [--header-delay-ms 50] [--batch-delay-ms 100] [--batch-size 500000]
#include "consensus/node.h"
#include "consensus/rocksdb_store.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace fleek;
using namespace fleek::consensus;
using Clock = std::chrono::steady_clock;

namespace {

const Clock::time_point g_start = Clock::now();
TimeUs now_us() {
    return static_cast<TimeUs>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - g_start).count());
}

struct Settings {
    uint64_t rate = 50'000;
    uint64_t duration_s = 20;
    size_t tx_size = 512;
    std::string dir;
    uint64_t header_delay_ms = 50;
    uint64_t batch_delay_ms = 100;
    uint32_t batch_size = 500'000;
    size_t nodes = 4;
};

// Events, earliest across nodes.
struct Metrics {
    std::mutex mutex;
    std::map<Digest, TimeUs> header_created;   // batch digest -> creation of the first header carrying it
    std::map<Digest, size_t> batch_bytes;      // batch digest -> payload bytes
    std::map<Digest, std::vector<uint64_t>> batch_samples;
    std::map<Digest, TimeUs> batch_committed;  // earliest commit of the batch
    std::map<uint64_t, TimeUs> sample_sent;
    TimeUs first_proposal = UINT64_MAX;
    TimeUs first_send = UINT64_MAX;
    std::atomic<uint64_t> submitted{0};
    std::atomic<uint64_t> refused{0};
};

class Observer final : public NodeObserver {
public:
    explicit Observer(Metrics& m) : m_metrics(m) {}
    void on_header_proposed(const Header& header, const Digest&, TimeUs at) override {
        std::lock_guard lock(m_metrics.mutex);
        m_metrics.first_proposal = std::min(m_metrics.first_proposal, at);
        for (const auto& entry : header.payload) m_metrics.header_created.emplace(entry.batch, at);
    }
    void on_batch_sealed(const Digest& digest, const Batch& batch, TimeUs) override {
        std::vector<uint64_t> samples;
        for (const Bytes& tx : batch.transactions) {
            if (!tx.empty() && tx[0] == 0 && tx.size() >= 9) {
                uint64_t id = 0;
                std::memcpy(&id, tx.data() + 1, 8);
                samples.push_back(id);
            }
        }
        std::lock_guard lock(m_metrics.mutex);
        m_metrics.batch_bytes[digest] = batch.payload_bytes();
        m_metrics.batch_samples[digest] = std::move(samples);
    }

private:
    Metrics& m_metrics;
};

struct Envelope {
    AuthorityIndex from = 0;
    Plane plane = Plane::primary;
    Bytes bytes;
};

struct Inbox {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Envelope> primary;
    std::deque<Envelope> worker;
    std::deque<Bytes> transactions;
};

struct Router {
    std::vector<std::unique_ptr<Inbox>> inboxes;
    void deliver(AuthorityIndex from, Outbound out) {
        Inbox& inbox = *inboxes[out.to];
        {
            std::lock_guard lock(inbox.mutex);
            auto& queue = out.plane == Plane::primary ? inbox.primary : inbox.worker;
            queue.push_back(Envelope{from, out.plane, std::move(out.bytes)});
        }
        inbox.wake.notify_one();
    }
};

void run_node(AuthorityIndex index, Node& node, Router& router, Metrics& metrics, std::atomic<bool>& stop) {
    Inbox& inbox = *router.inboxes[index];
    while (!stop.load()) {
        std::deque<Envelope> primary, worker;
        std::deque<Bytes> transactions;
        {
            std::unique_lock lock(inbox.mutex);
            const TimeUs wake_at = node.next_wakeup();
            const TimeUs now = now_us();
            if (inbox.primary.empty() && inbox.worker.empty() && inbox.transactions.empty() && wake_at > now) {
                inbox.wake.wait_for(lock, std::chrono::microseconds(std::min<TimeUs>(wake_at - now, 20'000)));
            }
            primary.swap(inbox.primary);
            // Bulk data after control messages: at most a few batches per pass.
            for (int k = 0; k < 4 && !inbox.worker.empty(); ++k) {
                worker.push_back(std::move(inbox.worker.front()));
                inbox.worker.pop_front();
            }
            transactions.swap(inbox.transactions);
        }
        for (auto& e : primary) node.on_message(e.from, e.plane, e.bytes, now_us());
        for (auto& e : worker) node.on_message(e.from, e.plane, e.bytes, now_us());
        for (auto& tx : transactions) {
            if (node.submit_transaction(std::move(tx), now_us())) {
                metrics.submitted.fetch_add(1, std::memory_order_relaxed);
            } else {
                metrics.refused.fetch_add(1, std::memory_order_relaxed);
            }
        }
        node.on_tick(now_us());
        for (auto& out : node.take_outbound()) router.deliver(index, std::move(out));
        const TimeUs committed_at = now_us();
        auto outputs = node.take_output();
        if (!outputs.empty()) {
            std::lock_guard lock(metrics.mutex);
            for (const auto& o : outputs) {
                for (const Digest& d : o.batches) metrics.batch_committed.emplace(d, committed_at);
            }
        }
    }
}

void run_client(AuthorityIndex index, const Settings& settings, Router& router, Metrics& metrics, std::atomic<bool>& stop,
                TimeUs end_at) {
    const uint64_t per_second = settings.rate / settings.nodes;
    const uint64_t per_burst = std::max<uint64_t>(1, per_second / 20);
    uint64_t counter = 0;
    uint64_t filler = 0x9e3779b97f4a7c15ULL * (index + 1);
    TimeUs next = now_us();
    Inbox& inbox = *router.inboxes[index];
    while (!stop.load() && now_us() < end_at) {
        std::deque<Bytes> burst;
        for (uint64_t k = 0; k < per_burst; ++k) {
            Bytes tx(settings.tx_size);
            if (k == 0) {
                // Sample transaction: 0, then a unique id.
                const uint64_t id = (static_cast<uint64_t>(index) << 48) | counter++;
                tx[0] = 0;
                std::memcpy(tx.data() + 1, &id, 8);
                std::lock_guard lock(metrics.mutex);
                metrics.sample_sent[id] = now_us();
            } else {
                tx[0] = 1;
                filler = filler * 6364136223846793005ULL + 1442695040888963407ULL;
                std::memcpy(tx.data() + 1, &filler, 8);
            }
            burst.push_back(std::move(tx));
        }
        {
            std::lock_guard lock(metrics.mutex);
            metrics.first_send = std::min(metrics.first_send, now_us());
        }
        {
            std::lock_guard lock(inbox.mutex);
            for (auto& tx : burst) inbox.transactions.push_back(std::move(tx));
        }
        inbox.wake.notify_one();
        next += 50'000;
        const TimeUs now = now_us();
        if (next > now) std::this_thread::sleep_for(std::chrono::microseconds(next - now));
    }
}

std::string with_commas(uint64_t value) {
    std::string s = std::to_string(value);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    Settings settings;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char* value = argv[i + 1];
        if (flag == "--rate") settings.rate = std::strtoull(value, nullptr, 10);
        else if (flag == "--duration") settings.duration_s = std::strtoull(value, nullptr, 10);
        else if (flag == "--tx-size") settings.tx_size = std::strtoull(value, nullptr, 10);
        else if (flag == "--dir") settings.dir = value;
        else if (flag == "--header-delay-ms") settings.header_delay_ms = std::strtoull(value, nullptr, 10);
        else if (flag == "--batch-delay-ms") settings.batch_delay_ms = std::strtoull(value, nullptr, 10);
        else if (flag == "--batch-size") settings.batch_size = static_cast<uint32_t>(std::strtoull(value, nullptr, 10));
        else {
            std::fprintf(stderr, "unknown option %s\n", flag.c_str());
            return 2;
        }
    }
    if (settings.tx_size < 9) {
        std::fprintf(stderr, "--tx-size must be at least 9 bytes\n");
        return 2;
    }
    const std::filesystem::path root = settings.dir.empty()
                                           ? std::filesystem::temp_directory_path() /
                                                 ("fleek-consensus-bench-" + std::to_string(::getpid()))
                                           : std::filesystem::path(settings.dir);
    std::filesystem::remove_all(root);

    // Committee of 4 with real BLS keys.
    std::vector<Member> members;
    std::vector<crypto::bls::SecretKey> keys;
    for (size_t i = 0; i < settings.nodes; ++i) {
        Bytes seed(32, static_cast<uint8_t>(i + 11));
        keys.push_back(crypto::bls::SecretKey::from_seed(seed).value());
        members.push_back(Member{crypto::NodeSecretKey::from_seed(seed).value().public_key(), keys.back().public_key()});
    }
    const Committee committee = Committee::create(1, members).value();

    Parameters parameters;
    parameters.batch_size_bytes = settings.batch_size;
    parameters.max_batch_delay_us = settings.batch_delay_ms * 1000;
    parameters.max_header_delay_us = settings.header_delay_ms * 1000;
    parameters.min_header_delay_us = settings.header_delay_ms * 1000 / 2;
    parameters.header_batches_threshold = 1;
    parameters.gc_depth = 50;
    parameters.max_pending_batches = 256;

    Metrics metrics;
    Router router;
    std::vector<std::unique_ptr<RocksDbStore>> stores;
    std::vector<std::unique_ptr<Observer>> observers;
    std::vector<std::unique_ptr<Node>> nodes;
    for (size_t i = 0; i < settings.nodes; ++i) {
        router.inboxes.push_back(std::make_unique<Inbox>());
        auto store = RocksDbStore::open(root / ("node-" + std::to_string(i)));
        if (!store) {
            std::fprintf(stderr, "%s\n", store.error().c_str());
            return 1;
        }
        stores.push_back(std::move(*store));
        observers.push_back(std::make_unique<Observer>(metrics));
    }
    nodes.resize(settings.nodes);
    for (size_t i = 0; i < settings.nodes; ++i) {
        const AuthorityIndex index = committee.index_of(keys[i].public_key()).value();
        Node::Options options;
        options.parameters = parameters;
        options.rng_seed = i + 1;
        options.observer = observers[index].get();
        nodes[index] = std::make_unique<Node>(committee, index, make_bls_scheme(committee, keys[i].clone()), *stores[index],
                                              options, now_us());
    }
    std::printf("consensus_bench: %zu nodes, 1 worker each, %s tx/s offered, %zu B transactions, %llu s, "
                "batch %u B / %llu ms, header delay %llu ms, real BLS, RocksDB under %s\n",
                settings.nodes, with_commas(settings.rate).c_str(), settings.tx_size,
                static_cast<unsigned long long>(settings.duration_s), settings.batch_size,
                static_cast<unsigned long long>(settings.batch_delay_ms),
                static_cast<unsigned long long>(settings.header_delay_ms), root.c_str());
    std::fflush(stdout);

    std::atomic<bool> stop{false};
    std::atomic<bool> stop_clients{false};
    const TimeUs start = now_us();
    const TimeUs end_at = start + settings.duration_s * 1'000'000;
    std::vector<std::thread> threads;
    for (size_t i = 0; i < settings.nodes; ++i) {
        threads.emplace_back(run_node, static_cast<AuthorityIndex>(i), std::ref(*nodes[i]), std::ref(router), std::ref(metrics),
                             std::ref(stop));
    }
    for (size_t i = 0; i < settings.nodes; ++i) {
        threads.emplace_back(run_client, static_cast<AuthorityIndex>(i), std::cref(settings), std::ref(router),
                             std::ref(metrics), std::ref(stop_clients), end_at);
    }
    // Let the commit tail drain like Narwhal's runs end: measure until the end of the run.
    while (now_us() < end_at) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop_clients = true;
    stop = true;
    for (auto& inbox : router.inboxes) inbox->wake.notify_all();
    for (auto& t : threads) t.join();

    // Metrics.
    uint64_t bytes = 0;
    TimeUs last_commit = 0;
    long double latency_sum = 0;
    uint64_t latency_count = 0;
    long double e2e_sum = 0;
    uint64_t e2e_count = 0;
    for (const auto& [digest, committed] : metrics.batch_committed) {
        auto size = metrics.batch_bytes.find(digest);
        if (size == metrics.batch_bytes.end()) continue;
        bytes += size->second;
        last_commit = std::max(last_commit, committed);
        if (auto created = metrics.header_created.find(digest); created != metrics.header_created.end()) {
            latency_sum += static_cast<long double>(committed - created->second);
            ++latency_count;
        }
        for (uint64_t id : metrics.batch_samples[digest]) {
            if (auto sent = metrics.sample_sent.find(id); sent != metrics.sample_sent.end() && committed >= sent->second) {
                e2e_sum += static_cast<long double>(committed - sent->second);
                ++e2e_count;
            }
        }
    }
    const double consensus_seconds = last_commit > metrics.first_proposal ? (last_commit - metrics.first_proposal) / 1e6 : 0;
    const double e2e_seconds = last_commit > metrics.first_send ? (last_commit - metrics.first_send) / 1e6 : 0;
    const double consensus_tps = consensus_seconds > 0 ? bytes / consensus_seconds / settings.tx_size : 0;
    const double e2e_tps = e2e_seconds > 0 ? bytes / e2e_seconds / settings.tx_size : 0;
    const double consensus_latency_ms = latency_count ? static_cast<double>(latency_sum / latency_count / 1000) : 0;
    const double e2e_latency_ms = e2e_count ? static_cast<double>(e2e_sum / e2e_count / 1000) : 0;
    uint64_t sub_dags = 0;
    for (const auto& n : nodes) sub_dags = std::max<uint64_t>(sub_dags, n->committed_sub_dags());

    std::printf("\n submitted %s transactions (%s refused by back-pressure); %s committed batches, %s sub-DAGs, "
                "last leader round %llu\n",
                with_commas(metrics.submitted.load()).c_str(), with_commas(metrics.refused.load()).c_str(),
                with_commas(metrics.batch_committed.size()).c_str(), with_commas(sub_dags).c_str(),
                static_cast<unsigned long long>(nodes[0]->last_committed_round()));
    std::printf("\n %-22s | %-14s | %-38s | %s\n", "metric", "ours", "Narwhal local run (4 nodes, README)", "ours / Narwhal");
    std::printf(" %-22s | %-14s | %-38s | %s\n", "----------------------", "--------------", "--------------------------------------",
                "--------------");
    auto row = [](const char* name, double ours, const char* unit, double reference) {
        std::printf(" %-22s | %10.0f %-3s | %34.0f %-3s | %.2fx\n", name, ours, unit, reference, unit, ours / reference);
    };
    row("consensus TPS", consensus_tps, "tx/s", 46'478);
    row("consensus latency", consensus_latency_ms, "ms", 464);
    row("end-to-end TPS", e2e_tps, "tx/s", 46'149);
    row("end-to-end latency", e2e_latency_ms, "ms", 557);
    std::printf("\n goal on this machine: consensus TPS >= 50,000 at consensus latency <= 500 ms: %s\n",
                consensus_tps >= 50'000 && consensus_latency_ms <= 500 ? "met" : "NOT met");

    nodes.clear();
    stores.clear();
    if (settings.dir.empty()) std::filesystem::remove_all(root);
    return 0;
}
