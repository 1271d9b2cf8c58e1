// Load client for the node benchmark (bench/node_bench.sh, docs/benchmarks.md "Node (4 processes)").
//
// Sends 512-byte transactions to the raw transaction ingest of each node (`[consensus]
// raw_transactions_address`, frames `u32 LE length | bytes`, src/node/raw_ingest.h) at a total
// rate R split over the nodes, in 20 bursts per second per node like consensus_bench and
// Narwhal's benchmark client. Every transaction is unique (run id, sender, sequence number); the
// first of each burst is a sample whose send time is recorded. Meanwhile it polls GET /metrics of
// one node every --metrics-poll-ms: fleek_chain_height and fleek_chain_transactions_executed_total
// give the time each block height was first seen executed and the time the executed counter last
// moved. After the load, once every written transaction executed (or the counter stood still for
// 10 s, or --drain seconds passed), it asks that node for each sample's receipt
// (flk_get_transaction_receipt(BLAKE3(sample)), JSON-RPC batches of 100) to learn its block
// height. A sample's execution time is the first time the node's height was seen at or above the
// sample's block (resolution: the metrics poll period; an upper bound).
//
// Receipts are not polled during the load on purpose: a receipt lookup reads and decodes the
// whole stored block (about 3 MB for a block of 6,000 transactions of 512 B) under the chain
// mutex that block execution needs, so polling them at the sample rate slows the node measured.
//
// Reports:
//   input rate        transactions written / (last write - first write)
//   executed TPS      executed counter delta / (last counter change - first send)
//   executed during load  counter delta at the last write / (last write - first write): the
//                     rate the node kept up with while loaded, without the drain tail
//   end-to-end latency over samples: execution time - send time (mean, p50, p99, max)
//   samples executed  found / sent (a sample missing after the drain was dropped somewhere)
// The last line is machine-readable (`RESULT key=value ...`) for node_bench.sh.
//
// Usage: node_load --targets H:P[,H:P...] --rpc H:P [--rate 20000] [--duration 20] [--tx-size 512]
//                  [--drain 60] [--metrics-poll-ms 10]
#include "codec/codec.h"
#include "crypto/hash.h"
#include "util/encoding.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace fleek;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

namespace {

const Clock::time_point g_start = Clock::now();
uint64_t now_us() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - g_start).count());
}

struct Endpoint {
    std::string host;
    uint16_t port = 0;
};

std::optional<Endpoint> parse_endpoint(const std::string& text) {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    const unsigned long port = std::strtoul(text.c_str() + colon + 1, nullptr, 10);
    if (port == 0 || port > 65535) return std::nullopt;
    return Endpoint{text.substr(0, colon), static_cast<uint16_t>(port)};
}

int connect_to(const Endpoint& endpoint) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(endpoint.port);
    if (::inet_pton(AF_INET, endpoint.host.c_str(), &address.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool write_all(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

// A minimal blocking HTTP/1.1 client on one keep-alive connection (Content-Length bodies only,
// which is what the node's RPC server sends). Reconnects once when the connection dropped.
class HttpClient {
public:
    explicit HttpClient(Endpoint endpoint) : m_endpoint(std::move(endpoint)) {}
    ~HttpClient() { close(); }
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // The body of a 200 answer, or nullopt (with the reason in last_error()).
    std::optional<std::string> request(const std::string& method, const std::string& path, const std::string& body = {}) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (m_fd < 0) m_fd = connect_to(m_endpoint);
            if (m_fd < 0) {
                m_error = fmt::format("cannot connect to {}:{}", m_endpoint.host, m_endpoint.port);
                return std::nullopt;
            }
            std::string head = fmt::format("{} {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: keep-alive\r\n", method, path,
                                           m_endpoint.host, m_endpoint.port);
            if (!body.empty()) head += fmt::format("Content-Type: application/json\r\nContent-Length: {}\r\n", body.size());
            head += "\r\n";
            head += body;
            if (!write_all(m_fd, reinterpret_cast<const uint8_t*>(head.data()), head.size())) {
                close();
                continue;
            }
            auto answer = read_response();
            if (!answer) {
                close();
                if (m_retryable) continue;
                return std::nullopt;
            }
            return answer;
        }
        return std::nullopt;
    }

    const std::string& last_error() const { return m_error; }

private:
    std::optional<std::string> read_response() {
        m_retryable = m_buffer.empty();
        size_t header_end;
        while ((header_end = m_buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                m_error = "connection closed before the response headers";
                return std::nullopt;
            }
        }
        m_retryable = false;
        const std::string head = m_buffer.substr(0, header_end);
        int status = 0;
        if (std::sscanf(head.c_str(), "HTTP/1.%*d %d", &status) != 1) {
            m_error = "not an HTTP response";
            return std::nullopt;
        }
        std::string lower = head;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const size_t length_at = lower.find("\r\ncontent-length:");
        if (length_at == std::string::npos) {
            m_error = "response without Content-Length";
            return std::nullopt;
        }
        const size_t length = std::strtoull(lower.c_str() + length_at + 17, nullptr, 10);
        while (m_buffer.size() < header_end + 4 + length) {
            if (!fill()) {
                m_error = "connection closed inside the response body";
                return std::nullopt;
            }
        }
        std::string body = m_buffer.substr(header_end + 4, length);
        m_buffer.erase(0, header_end + 4 + length);
        if (lower.find("\r\nconnection: close") != std::string::npos) close();
        if (status != 200) {
            m_error = fmt::format("HTTP {}: {}", status, body.substr(0, 200));
            return std::nullopt;
        }
        return body;
    }

    bool fill() {
        char chunk[65536];
        while (true) {
            const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            m_buffer.append(chunk, static_cast<size_t>(n));
            return true;
        }
    }

    void close() {
        if (m_fd >= 0) ::close(m_fd);
        m_fd = -1;
        m_buffer.clear();
    }

    Endpoint m_endpoint;
    int m_fd = -1;
    std::string m_buffer;
    std::string m_error;
    bool m_retryable = false;
};

std::optional<uint64_t> metric_value(const std::string& text, std::string_view name) {
    size_t at = 0;
    while ((at = text.find(name, at)) != std::string::npos) {
        const bool line_start = at == 0 || text[at - 1] == '\n';
        const size_t after = at + name.size();
        if (line_start && after < text.size() && text[after] == ' ') return std::strtoull(text.c_str() + after + 1, nullptr, 10);
        at = after;
    }
    return std::nullopt;
}

struct Settings {
    std::vector<Endpoint> targets;
    Endpoint rpc;
    uint64_t rate = 20'000;
    uint64_t duration_s = 20;
    size_t tx_size = 512;
    uint64_t drain_s = 60;
    uint64_t metrics_poll_ms = 10;
};

struct Sample {
    std::string digest_hex;
    uint64_t sent_us = 0;
    std::optional<uint64_t> height;
};

struct Shared {
    std::mutex mutex;
    std::vector<Sample> samples;
    // Height -> first time the RPC node reported a height at least this high.
    std::map<uint64_t, uint64_t> height_seen_us;
    uint64_t executed_latest = 0;
    uint64_t executed_changed_us = 0;
    uint64_t first_send_us = UINT64_MAX;
    uint64_t last_send_us = 0;
    std::atomic<uint64_t> written{0};
    std::atomic<bool> send_failed{false};
    std::atomic<bool> stop_polling{false};
    std::string poll_error;
};

// Unique transaction bytes: run id, sender, sequence number, then a fill derived from them.
void fill_transaction(uint8_t* tx, size_t size, uint64_t run_id, uint64_t sender, uint64_t sequence) {
    uint64_t words[3] = {run_id, sender, sequence};
    std::memset(tx, 0, size);
    std::memcpy(tx, words, std::min(size, sizeof words));
    uint64_t x = run_id ^ (sender << 56) ^ sequence * 0x9e3779b97f4a7c15ULL;
    for (size_t i = sizeof words; i + 8 <= size; i += 8) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        std::memcpy(tx + i, &x, 8);
    }
}

void run_sender(size_t index, const Settings& settings, uint64_t run_id, Shared& shared, uint64_t start_us, uint64_t end_us) {
    const int fd = connect_to(settings.targets[index]);
    if (fd < 0) {
        std::fprintf(stderr, "node_load: cannot connect to %s:%u\n", settings.targets[index].host.c_str(), settings.targets[index].port);
        shared.send_failed = true;
        return;
    }
    const uint64_t per_second = settings.rate / settings.targets.size();
    const uint64_t per_burst = std::max<uint64_t>(1, per_second / 20);
    const size_t frame_size = 4 + settings.tx_size;
    std::vector<uint8_t> burst(per_burst * frame_size);
    codec::Writer header;  // every frame has the same length prefix (docs/formats/raw-ingest.md)
    header.u32(static_cast<uint32_t>(settings.tx_size));
    uint64_t sequence = 0;
    uint64_t next = start_us;
    while (true) {
        const uint64_t now = now_us();
        if (now >= end_us) break;
        if (next > now) {
            std::this_thread::sleep_for(std::chrono::microseconds(next - now));
            continue;
        }
        std::string sample_hex;
        for (uint64_t k = 0; k < per_burst; ++k) {
            uint8_t* frame = burst.data() + k * frame_size;
            std::memcpy(frame, header.view().data(), header.size());
            fill_transaction(frame + 4, settings.tx_size, run_id, index, sequence++);
            if (k == 0) sample_hex = hex_encode(crypto::blake3(ByteSpan(frame + 4, settings.tx_size)));
        }
        const uint64_t sent_at = now_us();
        {
            std::lock_guard lock(shared.mutex);
            shared.samples.push_back(Sample{std::move(sample_hex), sent_at, std::nullopt});
            shared.first_send_us = std::min(shared.first_send_us, sent_at);
        }
        if (!write_all(fd, burst.data(), burst.size())) {
            std::fprintf(stderr, "node_load: the connection to %s:%u closed: %s\n", settings.targets[index].host.c_str(),
                         settings.targets[index].port, std::strerror(errno));
            shared.send_failed = true;
            break;
        }
        shared.written += per_burst;
        {
            std::lock_guard lock(shared.mutex);
            shared.last_send_us = std::max(shared.last_send_us, now_us());
        }
        next += 50'000;
    }
    ::close(fd);
}

void poll_metrics(const Settings& settings, Shared& shared) {
    HttpClient http(settings.rpc);
    while (!shared.stop_polling) {
        const uint64_t asked_at = now_us();
        auto text = http.request("GET", "/metrics");
        if (!text) {
            std::lock_guard lock(shared.mutex);
            shared.poll_error = "metrics: " + http.last_error();
        } else {
            const auto height = metric_value(*text, "fleek_chain_height");
            const auto executed = metric_value(*text, "fleek_chain_transactions_executed_total");
            std::lock_guard lock(shared.mutex);
            if (height) shared.height_seen_us.emplace(*height, asked_at);
            if (executed && *executed != shared.executed_latest) {
                shared.executed_latest = *executed;
                shared.executed_changed_us = asked_at;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(settings.metrics_poll_ms));
    }
}

// Asks for the receipts of the samples not seen yet; returns how many are still missing.
size_t poll_receipts(HttpClient& http, Shared& shared) {
    std::vector<std::pair<size_t, std::string>> pending;
    {
        std::lock_guard lock(shared.mutex);
        for (size_t i = 0; i < shared.samples.size(); ++i) {
            if (!shared.samples[i].height) pending.emplace_back(i, shared.samples[i].digest_hex);
        }
    }
    size_t missing = 0;
    for (size_t begin = 0; begin < pending.size(); begin += 100) {
        const size_t end = std::min(pending.size(), begin + 100);
        Json batch = Json::array();
        for (size_t i = begin; i < end; ++i) {
            batch.push_back(Json{{"jsonrpc", "2.0"}, {"id", i}, {"method", "flk_get_transaction_receipt"}, {"params", Json::array({pending[i].second})}});
        }
        auto body = http.request("POST", "/rpc/v0", batch.dump());
        if (!body) {
            std::lock_guard lock(shared.mutex);
            shared.poll_error = "receipts: " + http.last_error();
            missing += end - begin;
            continue;
        }
        const Json answer = Json::parse(*body, nullptr, false);
        if (!answer.is_array()) {
            std::lock_guard lock(shared.mutex);
            shared.poll_error = "receipts: not a JSON-RPC batch answer: " + body->substr(0, 200);
            missing += end - begin;
            continue;
        }
        std::lock_guard lock(shared.mutex);
        size_t found = 0;
        for (const Json& response : answer) {
            if (!response.contains("id") || !response["id"].is_number_unsigned()) continue;
            const size_t i = response["id"].get<size_t>();
            if (i < begin || i >= end) continue;
            if (response.contains("error")) {
                shared.poll_error = "receipts: " + response["error"].dump();
                continue;
            }
            const Json& receipt = response.value("result", Json());
            if (!receipt.is_object() || !receipt.contains("height")) continue;
            shared.samples[pending[i].first].height = receipt["height"].get<uint64_t>();
            ++found;
        }
        missing += (end - begin) - found;
    }
    return missing;
}

std::string with_commas(uint64_t value) {
    const std::string digits = std::to_string(value);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

int usage() {
    std::fprintf(stderr,
                 "usage: node_load --targets H:P[,H:P...] --rpc H:P [--rate 20000] [--duration 20] [--tx-size 512]\n"
                 "                 [--drain 60] [--metrics-poll-ms 10]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    Settings settings;
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) return usage();
        const std::string value = argv[i + 1];
        if (flag == "--targets") {
            size_t start = 0;
            while (start <= value.size()) {
                const size_t comma = std::min(value.find(',', start), value.size());
                auto endpoint = parse_endpoint(value.substr(start, comma - start));
                if (!endpoint) return usage();
                settings.targets.push_back(*endpoint);
                start = comma + 1;
            }
        } else if (flag == "--rpc") {
            auto endpoint = parse_endpoint(value);
            if (!endpoint) return usage();
            settings.rpc = *endpoint;
        } else if (flag == "--rate") settings.rate = std::strtoull(value.c_str(), nullptr, 10);
        else if (flag == "--duration") settings.duration_s = std::strtoull(value.c_str(), nullptr, 10);
        else if (flag == "--tx-size") settings.tx_size = std::strtoull(value.c_str(), nullptr, 10);
        else if (flag == "--drain") settings.drain_s = std::strtoull(value.c_str(), nullptr, 10);
        else if (flag == "--metrics-poll-ms") settings.metrics_poll_ms = std::max<uint64_t>(1, std::strtoull(value.c_str(), nullptr, 10));
        else return usage();
    }
    if (settings.targets.empty() || settings.rpc.port == 0 || settings.rate == 0 || settings.duration_s == 0) return usage();
    if (settings.tx_size < 24 || settings.tx_size > (1u << 20)) {
        std::fprintf(stderr, "node_load: --tx-size must be 24 bytes to 1 MiB\n");
        return 2;
    }

    std::random_device random;
    const uint64_t run_id = (static_cast<uint64_t>(random()) << 32) ^ random() ^
                            static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());

    Shared shared;
    HttpClient metrics_http(settings.rpc);
    auto before_text = metrics_http.request("GET", "/metrics");
    const auto executed_before = before_text ? metric_value(*before_text, "fleek_chain_transactions_executed_total") : std::nullopt;
    if (!executed_before) {
        std::fprintf(stderr, "node_load: cannot read fleek_chain_transactions_executed_total from %s:%u/metrics: %s\n",
                     settings.rpc.host.c_str(), settings.rpc.port, metrics_http.last_error().c_str());
        return 1;
    }
    shared.executed_latest = *executed_before;
    const uint64_t height_before = metric_value(*before_text, "fleek_chain_height").value_or(0);

    std::printf("node_load: %s tx/s offered over %zu node(s) (%s tx/s each, %llu per burst, 20 bursts/s), %zu B transactions, "
                "%llu s; receipts and metrics from %s:%u\n",
                with_commas(settings.rate).c_str(), settings.targets.size(),
                with_commas(settings.rate / settings.targets.size()).c_str(),
                static_cast<unsigned long long>(std::max<uint64_t>(1, settings.rate / settings.targets.size() / 20)), settings.tx_size,
                static_cast<unsigned long long>(settings.duration_s), settings.rpc.host.c_str(), settings.rpc.port);
    std::fflush(stdout);

    std::thread metrics_thread(poll_metrics, std::cref(settings), std::ref(shared));
    const uint64_t start_us = now_us() + 20'000;
    const uint64_t end_us = start_us + settings.duration_s * 1'000'000;
    std::vector<std::thread> senders;
    for (size_t i = 0; i < settings.targets.size(); ++i) {
        senders.emplace_back(run_sender, i, std::cref(settings), run_id, std::ref(shared), start_us, end_us);
    }

    // Drain: until every written transaction executed, or the executed counter stood still for
    // 10 s after sending stopped, or --drain seconds passed. Then the receipts of the samples.
    for (auto& t : senders) t.join();
    uint64_t executed_at_send_end;
    {
        std::lock_guard lock(shared.mutex);
        executed_at_send_end = shared.executed_latest;
    }
    const uint64_t drain_started_us = now_us();
    while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const uint64_t now = now_us();
        uint64_t changed_us, executed_now;
        {
            std::lock_guard lock(shared.mutex);
            changed_us = shared.executed_changed_us;
            executed_now = shared.executed_latest;
        }
        if (executed_now >= *executed_before + shared.written) break;
        if (now > std::max(changed_us, drain_started_us) + 10'000'000) break;
        if (now > drain_started_us + settings.drain_s * 1'000'000) break;
    }
    // One more metrics reading so the counter is current.
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * settings.metrics_poll_ms + 50));
    shared.stop_polling = true;
    metrics_thread.join();
    HttpClient receipts_http(settings.rpc);
    (void)poll_receipts(receipts_http, shared);

    // Figures.
    std::lock_guard lock(shared.mutex);
    const uint64_t written = shared.written.load();
    const double send_seconds = shared.last_send_us > shared.first_send_us ? (shared.last_send_us - shared.first_send_us) / 1e6 : 0;
    const double input_rate = send_seconds > 0 ? written / send_seconds : 0;
    const uint64_t executed = shared.executed_latest - *executed_before;
    const double exec_seconds =
        shared.executed_changed_us > shared.first_send_us ? (shared.executed_changed_us - shared.first_send_us) / 1e6 : 0;
    const double executed_tps = exec_seconds > 0 ? executed / exec_seconds : 0;
    // Executed while the load ran (no drain tail): counter at the last write / sending time.
    const double executed_during_load_tps = send_seconds > 0 ? (executed_at_send_end - *executed_before) / send_seconds : 0;

    std::vector<double> latencies_ms;
    for (const Sample& sample : shared.samples) {
        if (!sample.height) continue;
        // First time the node reported a height at or above the sample's block (heights only grow).
        auto seen = shared.height_seen_us.lower_bound(*sample.height);
        if (seen == shared.height_seen_us.end()) continue;
        const uint64_t at = seen->second;
        latencies_ms.push_back(at > sample.sent_us ? (at - sample.sent_us) / 1e3 : 0);
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    auto percentile = [&](double p) {
        if (latencies_ms.empty()) return 0.0;
        const size_t k = std::min(latencies_ms.size() - 1, static_cast<size_t>(p * static_cast<double>(latencies_ms.size())));
        return latencies_ms[k];
    };
    double mean_ms = 0;
    for (double l : latencies_ms) mean_ms += l;
    if (!latencies_ms.empty()) mean_ms /= static_cast<double>(latencies_ms.size());
    const uint64_t height_after = shared.height_seen_us.empty() ? height_before : shared.height_seen_us.rbegin()->first;

    std::printf("\n written %s transactions (%s offered); executed %s (%.1f %% of written) in %llu blocks (height %llu -> %llu)\n",
                with_commas(written).c_str(), with_commas(settings.rate * settings.duration_s).c_str(), with_commas(executed).c_str(),
                written ? 100.0 * executed / written : 0.0, static_cast<unsigned long long>(height_after - height_before),
                static_cast<unsigned long long>(height_before), static_cast<unsigned long long>(height_after));
    std::printf(" samples: %zu sent, %zu executed, %zu missing after the drain\n", shared.samples.size(), latencies_ms.size(),
                shared.samples.size() - latencies_ms.size());
    if (!shared.poll_error.empty()) std::printf(" last polling error: %s\n", shared.poll_error.c_str());
    if (shared.send_failed) std::printf(" a sender failed (see above): the figures cover what was written\n");
    std::printf("\n %-22s | %s\n", "metric", "value");
    std::printf(" %-22s | %s\n", "----------------------", "--------------");
    std::printf(" %-22s | %10.0f tx/s\n", "input rate", input_rate);
    std::printf(" %-22s | %10.0f tx/s\n", "executed TPS", executed_tps);
    std::printf(" %-22s | %10.0f tx/s\n", "executed during load", executed_during_load_tps);
    std::printf(" %-22s | %10.0f ms\n", "latency mean", mean_ms);
    std::printf(" %-22s | %10.0f ms\n", "latency p50", percentile(0.50));
    std::printf(" %-22s | %10.0f ms\n", "latency p99", percentile(0.99));
    std::printf(" %-22s | %10.0f ms\n", "latency max", latencies_ms.empty() ? 0.0 : latencies_ms.back());
    std::printf("RESULT rate=%llu input_tps=%.0f executed_tps=%.0f during_load_tps=%.0f written=%llu executed=%llu latency_mean_ms=%.0f "
                "latency_p50_ms=%.0f latency_p99_ms=%.0f samples=%zu samples_executed=%zu blocks=%llu\n",
                static_cast<unsigned long long>(settings.rate), input_rate, executed_tps, executed_during_load_tps,
                static_cast<unsigned long long>(written),
                static_cast<unsigned long long>(executed), mean_ms, percentile(0.50), percentile(0.99), shared.samples.size(),
                latencies_ms.size(), static_cast<unsigned long long>(height_after - height_before));
    return shared.send_failed || latencies_ms.empty() ? 1 : 0;
}
