// The devnet as one CDN (issue 12): four real `fleek-node run` processes, uploads on one node,
// every other node serves the content from its peers, verified block by block. One devnet for
// every case (the test runs under ASan on two cores in CI):
//   - a 64 MiB file put on node 0 is served by node 3 byte-identical, from a peer, then locally;
//   - HEAD and a Range request on a miss; 20 concurrent clients cause one peer transfer; a hash
//     nobody holds answers 404 within the configured wait;
//   - a provider whose stored block is corrupted on disk: the requester stops at that block,
//     scores the provider down and continues from that block with another provider; the client
//     gets every byte right;
//   - IPFS: node 0 fetches a DAG from a Helia trustless gateway, the gateway is stopped, node 2
//     serves the CID and its sub-paths from peers;
//   - kill -9 of the providing node mid-transfer: the other provider completes it, and nothing is
//     held as complete before that.
#include "node/config.h"
#include "tests/support/devnet.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/random_bytes.h"
#include "util/encoding.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

namespace fleek {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::RawResponse;

constexpr size_t block = 256 * 1024;

std::string random_text(size_t size, uint32_t seed) {
    const Bytes bytes = testing::random_bytes(size, seed);
    return std::string(bytes.begin(), bytes.end());
}

std::string b3(const std::string& text) { return hex_encode(crypto::blake3(as_bytes(text))); }

// The sum of the samples of `name` whose labels contain every fragment of `labels`.
uint64_t sample(const std::string& text, const std::string& name, const std::vector<std::string>& labels = {}) {
    uint64_t sum = 0;
    size_t at = 0;
    while (at < text.size()) {
        const size_t end = std::min(text.find('\n', at), text.size());
        const std::string_view line(text.data() + at, end - at);
        at = end + 1;
        if (!line.starts_with(name) || line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) continue;
        const size_t space = line.rfind(' ');
        const std::string_view label_part = line.substr(name.size(), space - name.size());
        if (std::all_of(labels.begin(), labels.end(), [&](const std::string& l) { return label_part.find(l) != std::string_view::npos; })) {
            sum += std::strtoull(std::string(line.substr(space + 1)).c_str(), nullptr, 10);
        }
    }
    return sum;
}

// A GET read in the background, so a test can act while the body arrives.
class StreamingGet {
public:
    StreamingGet(uint16_t port, const std::string& target) {
        m_thread = std::thread([this, port, target] {
            const int fd = testing::connect_loopback(port);
            if (fd < 0) return;
            testing::send_all(fd, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            std::vector<char> buffer(1 << 16);
            for (;;) {
                const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), 0);
                if (got <= 0) break;
                std::lock_guard lock(m_mutex);
                m_raw.append(buffer.data(), static_cast<size_t>(got));
            }
            ::close(fd);
        });
    }
    ~StreamingGet() {
        if (m_thread.joinable()) m_thread.join();
    }
    // Body bytes received so far.
    std::string body() {
        std::lock_guard lock(m_mutex);
        const size_t header_end = m_raw.find("\r\n\r\n");
        return header_end == std::string::npos ? std::string() : m_raw.substr(header_end + 4);
    }
    RawResponse finish() {
        m_thread.join();
        return testing::parse_response(m_raw, false);
    }

private:
    std::mutex m_mutex;
    std::string m_raw;
    std::thread m_thread;
};

// The npm tools of tests/ipfs and their pinned Node.js, `<dir>/node` (installed on first use,
// cached outside the repository).
std::string ipfs_tools() {
    const auto installed = testing::run_process({testing::source_path("tests/ipfs/install-tools").string()});
    EXPECT_EQ(installed.exit_code, 0) << installed.err;
    return installed.out.substr(0, installed.out.find('\n'));
}

// A Helia trustless gateway on loopback (tests/ipfs/helia-gateway.mjs on the pinned Node.js).
class HeliaGateway {
public:
    HeliaGateway(const fs::path& scratch, const nlohmann::json& spec) {
        const std::string tools = ipfs_tools();
        testing::write_text(scratch / "helia-spec.json", spec.dump());
        m_process = std::make_unique<testing::BackgroundProcess>(std::vector<std::string>{
            tools + "/node", tools + "/helia-gateway.mjs", (scratch / "helia-spec.json").string()});
        const auto out = m_process->wait_for_output("\"roots\"", 120000);
        EXPECT_TRUE(out.has_value()) << m_process->stderr_text();
        if (out) m_info = nlohmann::json::parse(out->substr(0, out->find('\n')));
    }
    std::string url() const { return m_info.value("url", ""); }
    std::string root(const std::string& name) const { return m_info["roots"].value(name, ""); }
    nlohmann::json stats() const {
        const std::string base = url();
        const auto port = static_cast<uint16_t>(std::stoi(base.substr(base.rfind(':') + 1)));
        return nlohmann::json::parse(testing::http_request(port, "GET", "/_stats").body);
    }
    void stop() { m_process.reset(); }

private:
    std::unique_ptr<testing::BackgroundProcess> m_process;
    nlohmann::json m_info;
};

class EdgeDevnet : public testing::LocalDevnet {
public:
    EdgeDevnet() : LocalDevnet("edge-e2e", 4, 4, {}, 25) {}

    void configure(size_t i, const std::function<void(node::Config&)>& change) {
        auto config = node::load_config_file(home(i) / "config.toml");
        ASSERT_TRUE(config) << config.error().message;
        change(*config);
        testing::write_text(home(i) / "config.toml", node::render_config(*config));
    }
    std::string metrics(size_t i) { return testing::http_request(node(i).rpc_port, "GET", "/metrics").body; }
    uint64_t metric(size_t i, const std::string& name, const std::vector<std::string>& labels = {}) { return sample(metrics(i), name, labels); }
    std::string key(size_t i) {
        const std::string text = metrics(i);
        const std::string marker = "fleek_content_node_info{key=\"";
        const size_t at = text.find(marker);
        return at == std::string::npos ? "" : text.substr(at + marker.size(), text.find('"', at + marker.size()) - at - marker.size());
    }
    std::string peer(size_t i) { return "peer=\"" + key(i) + "\""; }
    RawResponse get(size_t i, const std::string& target, const std::string& headers = "") {
        return testing::http_request(node(i).gateway_port, "GET", target, headers);
    }
    // PUT /blake3 on node i; the hash it answers.
    std::string put(size_t i, const std::string& content) {
        const RawResponse response = testing::http_request(node(i).gateway_port, "PUT", "/blake3", "", content);
        EXPECT_EQ(response.status, 201) << response.body;
        auto answer = nlohmann::json::parse(response.body, nullptr, false);
        return answer.is_object() ? answer.value("hash", "") : "";
    }
    fs::path data_file(size_t i, const std::string& hash) { return home(i) / "blockstore/objects" / hash.substr(0, 2) / (hash + ".data"); }
};

void flip_byte(const fs::path& path, uint64_t offset) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(file) << path;
    file.seekg(static_cast<std::streamoff>(offset));
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x01);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(&byte, 1);
}

TEST(EdgeE2e, FourNodesServeEachOthersContent) {
    testing::ScratchDirectory scratch;
    // IPFS content for node 0's origin fetch: a directory with a nested file and a big file.
    fs::create_directories(scratch / "site/docs");
    const std::string page = "<h1>served by peers</h1>\n";
    const std::string nested = "a nested file\n";
    const std::string big_ipfs = random_text(1'500'000, 7);
    testing::write_text(scratch / "site/index.html", page);
    testing::write_text(scratch / "site/docs/a.txt", nested);
    testing::write_text(scratch / "site/big.bin", big_ipfs);
    nlohmann::json spec;
    spec["entries"] = nlohmann::json::array({{{"name", "site"}, {"path", (scratch / "site").string()}, {"profile", "v1"}}});
    HeliaGateway helia(scratch.path(), spec);
    ASSERT_FALSE(helia.url().empty());

    EdgeDevnet devnet;
    // Node 0 and node 2 may use the IPFS origin; node 2 must not need it.
    for (size_t i : {0, 2}) devnet.configure(i, [&](node::Config& c) { c.origins.ipfs_gateways = {helia.url()}; });
    for (size_t i : {1, 3}) devnet.configure(i, [&](node::Config& c) { c.origins.ipfs_gateways.clear(); });
    // Node 2 waits long for a provider (the corruption case adds one later); node 3 answers a
    // miss nobody can serve after 1.5 s; nodes 1 and 2 serve peers at 8 MiB/s (the kill case
    // needs a transfer that lasts).
    devnet.configure(2, [](node::Config& c) { c.edge.provider_wait_ms = 60'000; });
    devnet.configure(3, [](node::Config& c) { c.edge.provider_wait_ms = 1'500; });
    for (size_t i : {1, 2}) devnet.configure(i, [](node::Config& c) { c.edge.serve_bytes_per_second = 8 << 20; });
    devnet.start_connected(4);
    if (::testing::Test::HasFatalFailure()) return;

    // ---- 64 MiB put on node 0, served by node 3 from a peer, then locally.
    const std::string big = random_text(64 << 20, 1);
    const std::string big_hash = devnet.put(0, big);
    ASSERT_EQ(big_hash, b3(big));
    RawResponse fetched = devnet.get(3, "/blake3/" + big_hash);
    ASSERT_EQ(fetched.status, 200) << fetched.body.substr(0, 300);
    EXPECT_TRUE(fetched.complete);
    EXPECT_TRUE(fetched.body == big) << "node 3 served other bytes than were put on node 0";
    EXPECT_EQ(devnet.metric(3, "fleek_content_requests_total", {"source=\"peer\""}), 1u);
    // Stored once the last block verified and the object committed (just after the body went out).
    EXPECT_TRUE(devnet.eventually([&] { return devnet.metric(3, "fleek_fetches_total", {"outcome=\"peer\""}) == 1; }, 30s));
    EXPECT_GE(devnet.metric(3, "fleek_peer_fetch_bytes_total", {devnet.peer(0)}), uint64_t{64} << 20);
    EXPECT_GE(devnet.metric(0, "fleek_peer_serve_bytes_total", {devnet.peer(3)}), uint64_t{64} << 20);
    const uint64_t from_peers = devnet.metric(3, "fleek_content_bytes_from_peers_total");
    fetched = devnet.get(3, "/blake3/" + big_hash);
    EXPECT_TRUE(fetched.complete && fetched.body == big);
    EXPECT_EQ(devnet.metric(3, "fleek_content_requests_total", {"source=\"local\""}), 1u);
    EXPECT_EQ(devnet.metric(3, "fleek_fetches_total", {"outcome=\"peer\""}), 1u);
    EXPECT_EQ(devnet.metric(3, "fleek_content_bytes_from_peers_total"), from_peers);

    // ---- HEAD on a miss: the length once known.
    const std::string small = random_text(block * 4 + 3, 2);
    const std::string small_hash = devnet.put(0, small);
    const RawResponse head = testing::http_request(devnet.node(1).gateway_port, "HEAD", "/blake3/" + small_hash);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers.at("content-length"), std::to_string(small.size()));
    EXPECT_TRUE(head.body.empty());

    // ---- A Range request on a miss: its blocks come first, then the rest is stored.
    const std::string ranged = random_text(block * 20 + 11, 3);
    const std::string ranged_hash = devnet.put(0, ranged);
    const uint64_t transfers_before = devnet.metric(1, "fleek_fetch_transfers_total");
    const RawResponse range = devnet.get(1, "/blake3/" + ranged_hash, "Range: bytes=3000000-3000099\r\n");
    EXPECT_EQ(range.status, 206) << range.body;
    EXPECT_EQ(range.headers.count("content-range") ? range.headers.at("content-range") : "", "bytes 3000000-3000099/" + std::to_string(ranged.size()));
    EXPECT_EQ(range.body, ranged.substr(3000000, 100));
    EXPECT_TRUE(devnet.eventually([&] { return devnet.metric(1, "fleek_fetches_total", {"outcome=\"peer\""}) >= 2; }, 30s));
    EXPECT_EQ(devnet.metric(1, "fleek_fetch_transfers_total") - transfers_before, 2u) << "the range's blocks, then the rest";
    EXPECT_EQ(devnet.get(1, "/blake3/" + ranged_hash).body, ranged);
    EXPECT_EQ(devnet.metric(1, "fleek_content_requests_total", {"source=\"local\""}), 1u);

    // ---- 20 concurrent clients, one missing hash: one peer transfer.
    const std::string shared = random_text(8 << 20, 4);
    const std::string shared_hash = devnet.put(0, shared);
    const uint64_t shared_transfers = devnet.metric(3, "fleek_fetch_transfers_total");
    const uint64_t served_before = devnet.metric(0, "fleek_peer_serve_requests_total", {devnet.peer(3)});
    std::vector<std::thread> clients;
    std::atomic<int> identical{0};
    for (int c = 0; c < 20; ++c) {
        clients.emplace_back([&] {
            const RawResponse response = testing::http_request(devnet.node(3).gateway_port, "GET", "/blake3/" + shared_hash);
            if (response.status == 200 && response.complete && response.body == shared) ++identical;
        });
    }
    for (auto& client : clients) client.join();
    EXPECT_EQ(identical.load(), 20);
    EXPECT_EQ(devnet.metric(3, "fleek_fetch_transfers_total") - shared_transfers, 1u);
    EXPECT_EQ(devnet.metric(0, "fleek_peer_serve_requests_total", {devnet.peer(3)}) - served_before, 1u);

    // ---- A hash nobody holds: 404 after node 3's provider wait, not at once, not much later.
    const auto asked = std::chrono::steady_clock::now();
    const RawResponse missing = devnet.get(3, "/blake3/" + b3("nobody has this"));
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked);
    EXPECT_EQ(missing.status, 404) << missing.body;
    EXPECT_GE(waited.count(), 1'400);
    EXPECT_LE(waited.count(), 8'000);
    EXPECT_GE(devnet.metric(3, "fleek_content_requests_total", {"source=\"not_found\""}), 1u);

    // ---- A block corrupted on disk at its only provider.
    const std::string fragile = random_text(block * 16, 5);
    const std::string fragile_hash = devnet.put(0, fragile);
    flip_byte(devnet.data_file(0, fragile_hash), 6 * block + 100);  // block 6
    {
        StreamingGet reader(devnet.node(2).gateway_port, "/blake3/" + fragile_hash);
        EXPECT_TRUE(devnet.eventually(
            [&] { return devnet.metric(2, "fleek_peer_fetch_transfers_total", {devnet.peer(0), "outcome=\"refused\""}) == 1; }, 30s))
            << "node 0 did not refuse its corrupt block";
        const std::string before = reader.body();
        EXPECT_LE(before.size(), 6 * block) << "bytes past the corrupt block were sent";
        EXPECT_TRUE(before == fragile.substr(0, before.size())) << "a wrong byte reached the client";
        EXPECT_EQ(devnet.metric(2, "fleek_peer_score_tier", {devnet.peer(0)}), 1u) << "node 0 was not scored down";
        EXPECT_FALSE(fs::exists(devnet.data_file(2, fragile_hash)));
        // Another node gets the content: the fetch continues from block 6 with it.
        EXPECT_EQ(devnet.put(1, fragile), fragile_hash);
        const RawResponse after = reader.finish();
        EXPECT_EQ(after.status, 200);
        EXPECT_TRUE(after.complete);
        EXPECT_TRUE(after.body == fragile) << "the client got other bytes than the content";
    }
    EXPECT_EQ(devnet.metric(1, "fleek_peer_serve_blocks_total", {devnet.peer(2)}), 10u) << "blocks 6 to 15 only";
    EXPECT_GE(devnet.metric(2, "fleek_fetch_transfers_resumed_total"), 1u);
    EXPECT_EQ(devnet.metric(0, "fleek_peer_serve_failed_total", {devnet.peer(2)}), 1u);

    // ---- IPFS: node 0 resolves a CID at the origin; node 2 serves it from peers alone.
    const std::string cid = helia.root("site");
    const RawResponse resolved = testing::http_request(devnet.node(0).gateway_port, "PUT", "/ipfs/" + cid);
    ASSERT_EQ(resolved.status, 201) << resolved.body;
    const nlohmann::json origin_log = helia.stats();
    helia.stop();
    EXPECT_EQ(origin_log["requests"], 1) << origin_log.dump();  // node 0's one CAR request
    EXPECT_EQ(origin_log["car"], 1) << origin_log.dump();
    RawResponse ipfs = devnet.get(2, "/ipfs/" + cid + "/docs/a.txt");
    EXPECT_EQ(ipfs.status, 200) << ipfs.body;
    EXPECT_EQ(ipfs.body, nested);
    ipfs = devnet.get(2, "/ipfs/" + cid + "/big.bin");
    EXPECT_EQ(ipfs.status, 200);
    EXPECT_TRUE(ipfs.body == big_ipfs);
    ipfs = devnet.get(2, "/ipfs/" + cid + "/");
    EXPECT_EQ(ipfs.status, 200);
    EXPECT_EQ(ipfs.body, page);
    EXPECT_EQ(devnet.metric(2, "fleek_ipfs_resolutions_total", {"source=\"peer\""}), 1u);
    EXPECT_EQ(devnet.metric(2, "fleek_ipfs_resolutions_total", {"source=\"origin\""}), 0u);

    // ---- kill -9 of the providing node mid-transfer: the other provider completes it.
    const std::string doomed = random_text(32 << 20, 6);
    const std::string doomed_hash = devnet.put(1, doomed);
    EXPECT_EQ(devnet.put(2, doomed), doomed_hash);
    {
        StreamingGet reader(devnet.node(3).gateway_port, "/blake3/" + doomed_hash);
        EXPECT_TRUE(devnet.eventually([&] { return reader.body().size() >= (2u << 20); }, 30s));
        size_t serving = 0;
        for (size_t i : {1, 2}) {
            if (devnet.metric(i, "fleek_peer_serve_blocks_total", {devnet.peer(3)}) > 0) serving = i;
        }
        ASSERT_NE(serving, 0u) << "neither provider is sending";
        const std::string serving_key = devnet.peer(serving);
        devnet.stop(serving, SIGKILL);
        const std::string before = reader.body();
        EXPECT_LT(before.size(), doomed.size()) << "the transfer was over before the kill";
        EXPECT_TRUE(before == doomed.substr(0, before.size()));
        EXPECT_FALSE(fs::exists(devnet.data_file(3, doomed_hash))) << "partial content held as complete";
        const RawResponse after = reader.finish();
        EXPECT_EQ(after.status, 200);
        EXPECT_TRUE(after.complete);
        EXPECT_TRUE(after.body == doomed) << "the client got other bytes than the content";
        EXPECT_GE(devnet.metric(3, "fleek_peer_fetch_transfers_total", {serving_key, "outcome=\"disconnected\""}) +
                      devnet.metric(3, "fleek_peer_fetch_transfers_total", {serving_key, "outcome=\"stalled\""}),
                  1u);
    }
    EXPECT_TRUE(fs::exists(devnet.data_file(3, doomed_hash)));
}

}  // namespace
}  // namespace fleek
