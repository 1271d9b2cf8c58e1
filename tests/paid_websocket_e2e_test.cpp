// Paid sessions over WebSocket through the node's HTTP gateway (issue 13, items 1 and 6), end to
// end with a real `fleek-node run`: the JavaScript client library (clients/js, run by Node.js as
// test/fetch.mjs) opens a session at ws://<gateway>/handshake, fetches a file verifying every
// block with the WebAssembly verifier and signing receipts; the node records them and submits a
// batch, and the ledger charges the client exactly ⌊bytes × price / 10^6⌋. Also what the route
// answers besides an upgrade: 426 without `Upgrade: websocket` (the connection goes on), 404 on a
// node without paid sessions (no genesis), and other routes as before, an Upgrade header or not.
// No sleeps: JSON-RPC and metrics are polled with a deadline.
#include "crypto/hash.h"
#include "crypto/random.h"
#include "tests/support/content_node.h"
#include "tests/support/paid_devnet.h"
#include "tests/support/random_bytes.h"

#include <cstdio>
#include <fstream>
#include <iterator>

namespace fleek {
namespace {

using Json = nlohmann::json;

const std::string js_dir = std::string(FLEEK_SOURCE_DIR) + "/clients/js";

// Sends `requests` on one connection and reads until the server closes it (the last request
// says `Connection: close`); returns everything that came back.
std::string send_and_read(uint16_t port, const std::string& requests) {
    const int fd = testing::connect_loopback(port);
    if (fd < 0) return {};
    testing::send_all(fd, requests);
    std::string raw;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        raw.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    return raw;
}

std::string upgrade_request(const std::string& target, bool close) {
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade" + (close ? ", close" : "") +
           "\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
}

std::string run_and_capture(const std::string& command, int& status) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        status = -1;
        return output;
    }
    char chunk[4096];
    size_t n = 0;
    while ((n = std::fread(chunk, 1, sizeof(chunk), pipe)) > 0) output.append(chunk, n);
    status = ::pclose(pipe);
    return output;
}

Bytes read_file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A one-node devnet whose account approved a client key, holding a file of 5 MiB + 777 bytes.
class WebSocketDevnet : public testing::LocalDevnet {
public:
    static constexpr uint64_t file_size = (uint64_t{5} << 20) + 777;
    // The devnet's service 0 costs 100 stables base units per 10^6 bytes.
    static constexpr uint64_t charge = file_size * 100 / 1'000'000;
    static constexpr uint64_t stables_at_genesis = 1'000'000'000;

    // `port_offset`: the tests of this file run at once under ctest -j2; 6 and 8 (ports +0, +20,
    // +21, +30 of each hundred) meet none of the other devnet tests' (offsets 0, 12, 25, 37, 50,
    // 61, 68, 75; tests/support/devnet.h).
    explicit WebSocketDevnet(uint16_t port_offset)
        : LocalDevnet("paid-ws-e2e", 1, 1, {"--epoch-ms", "36000000"}, port_offset),
          client_seed(testing::random_bytes(32, 61)),
          client_key(crypto::ClientSecretKey::from_seed(client_seed).value()),
          file(testing::random_bytes(file_size, 62)),
          hash(crypto::blake3(file)) {
        testing::set_batch_interval_ms(*this, 0, 1'000);
    }

    // Starts the node, stores the file and (`approve`) approves the client key.
    void prepare(bool approve) {
        start(0);
        if (::testing::Test::HasFatalFailure()) return;
        if (approve) {
            testing::approve_client_key(*this, 0, client_key.public_key());
            if (::testing::Test::HasFatalFailure()) return;
            ASSERT_EQ(stables(), std::to_string(stables_at_genesis));
        }
        const auto put = testing::http_request(node(0).gateway_port, "PUT", "/blake3", "",
                                               std::string(reinterpret_cast<const char*>(file.data()), file.size()));
        ASSERT_EQ(put.status, 201) << put.body;
        node_text = testing::node_public_key(*this, 0);
        ASSERT_TRUE(crypto::NodePublicKey::from_base58(node_text).has_value()) << node_text;
    }

    std::string stables() { return testing::stables_of(*this, 0, account.address()); }
    std::string served() { return testing::served_of(*this, 0, node_text); }

    const Bytes client_seed;
    const crypto::ClientSecretKey client_key;
    const Bytes file;
    const crypto::Hash32 hash;
    std::string node_text;
};

TEST(PaidWebSocketE2e, TheJavaScriptClientFetchesThroughTheGatewayAndPaysExactlyForTheBytes) {
    ASSERT_EQ(std::system((js_dir + "/test/run --install-only").c_str()), 0) << "npm ci in clients/js (Node.js 20 with npm)";
    WebSocketDevnet devnet(6);
    devnet.prepare(true);
    if (::testing::Test::HasFatalFailure()) return;
    const uint16_t gateway = devnet.node(0).gateway_port;
    testing::ScratchDirectory scratch;
    const auto out = scratch.path() / "fetched";
    const std::string node_key_hex = hex_encode(crypto::NodePublicKey::from_base58(devnet.node_text)->bytes());
    const std::string command = "node --experimental-websocket --no-warnings " + js_dir + "/test/fetch.mjs ws://127.0.0.1:" +
                                std::to_string(gateway) + "/handshake " + node_key_hex + " " + hex_encode(devnet.client_seed) + " " +
                                std::to_string(testing::LocalDevnet::chain_id) + " " + hex_encode(devnet.hash) + " " + out.string();
    int status = 0;
    const std::string output = run_and_capture(command + " 2>&1", status);
    ASSERT_EQ(status, 0) << output;
    // Every byte verified and signed for by the last receipt.
    EXPECT_EQ(output, "ok " + std::to_string(WebSocketDevnet::file_size) + " signed " + std::to_string(WebSocketDevnet::file_size) + "\n");
    EXPECT_EQ(read_file_bytes(out), devnet.file);
    // The session went through the gateway's WebSocket, not the TCP listener.
    EXPECT_EQ(devnet.gauge(0, "fleek_handshake_websocket_sessions_opened_total"), 1);
    EXPECT_EQ(devnet.gauge(0, "fleek_handshake_sessions_opened_total"), 0);

    // The receipts went through the node's aggregator into a batch the ledger executed: the client
    // paid ⌊bytes × price / 10^6⌋ exactly once, and the node is credited with the bytes.
    const std::string stables_after = std::to_string(WebSocketDevnet::stables_at_genesis - WebSocketDevnet::charge);
    std::string stables_seen;
    std::string served_seen;
    const bool settled = devnet.eventually([&] {
        stables_seen = devnet.stables();
        served_seen = devnet.served();
        return stables_seen == stables_after && served_seen == std::to_string(WebSocketDevnet::file_size);
    }, std::chrono::seconds(60));
    EXPECT_TRUE(settled) << "stables " << stables_seen << " (want " << stables_after << "), served " << served_seen << " (want "
                         << WebSocketDevnet::file_size << ")";
    EXPECT_TRUE(devnet.eventually([&] { return devnet.gauge(0, "fleek_delivery_receipts_kept") == 0; }));
    EXPECT_GE(devnet.gauge(0, "fleek_delivery_batches_submitted_total"), 1);
    EXPECT_EQ(devnet.stables(), stables_after);
}

TEST(PaidWebSocketE2e, HandshakeWithoutAnUpgradeIs426AndOtherRoutesAreUnaffected) {
    WebSocketDevnet devnet(8);
    devnet.prepare(false);
    if (::testing::Test::HasFatalFailure()) return;
    const uint16_t gateway = devnet.node(0).gateway_port;

    // A plain GET /handshake: 426 offering the upgrade, and the same connection serves the next request.
    const std::string raw = send_and_read(gateway, "GET /handshake HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                              "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const auto first = testing::parse_response(raw, false);
    EXPECT_EQ(first.status, 426) << raw;
    EXPECT_EQ(first.headers.count("upgrade") ? first.headers.at("upgrade") : "", "websocket");
    const Json error = Json::parse(first.body, nullptr, false);
    ASSERT_TRUE(error.is_object()) << first.body;
    EXPECT_NE(error.value("error", "").find("WebSocket upgrade"), std::string::npos) << first.body;
    const size_t second_at = raw.find("HTTP/1.1", 1);
    ASSERT_NE(second_at, std::string::npos) << raw;
    const auto second = testing::parse_response(raw.substr(second_at), false);
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.body, "ok\n");

    // Other methods: 405.
    EXPECT_EQ(testing::http_request(gateway, "PUT", "/handshake").status, 405);

    // An upgrade request elsewhere is an ordinary request: the content route serves the file,
    // /health answers, nothing is handed to the session server.
    const auto content = testing::parse_response(send_and_read(gateway, upgrade_request("/blake3/" + hex_encode(devnet.hash), true)), false);
    EXPECT_EQ(content.status, 200);
    EXPECT_EQ(content.body.size(), WebSocketDevnet::file_size);
    EXPECT_TRUE(content.body == std::string(reinterpret_cast<const char*>(devnet.file.data()), devnet.file.size()));
    const auto health = testing::parse_response(send_and_read(gateway, upgrade_request("/health", true)), false);
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok\n");

    // The upgrade itself at /handshake: 101 from the session server.
    const int fd = testing::connect_loopback(gateway);
    ASSERT_GE(fd, 0);
    testing::send_all(fd, upgrade_request("/handshake", false));
    std::string answer;
    char buffer[4096];
    while (answer.find("\r\n\r\n") == std::string::npos) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        answer.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 101", 0), 0u) << answer;
    // RFC 6455 §1.3's example key and its accept value.
    EXPECT_NE(answer.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << answer;

    // The gateway's per-source refusals are exported to /metrics (none here: one client, far
    // below gateway.http_connections_per_ip_max).
    const std::string metrics = testing::http_request(devnet.node(0).rpc_port, "GET", "/metrics").body;
    EXPECT_NE(metrics.find("fleek_gateway_connections_refused_total{reason=\"per_source\"} 0\n"), std::string::npos) << metrics;
}

TEST(PaidWebSocketE2e, ANodeWithoutPaidSessionsAnswers404AtHandshake) {
    testing::ScratchDirectory home;
    testing::RunningNode node(home.path());  // `init --dev`: no genesis, no paid sessions
    if (::testing::Test::HasFatalFailure()) return;
    const auto refused = testing::parse_response(send_and_read(node.port(), upgrade_request("/handshake", true)), false);
    EXPECT_EQ(refused.status, 404);
    const Json error = Json::parse(refused.body, nullptr, false);
    ASSERT_TRUE(error.is_object()) << refused.body;
    EXPECT_NE(error.value("error", "").find("serves no paid sessions"), std::string::npos) << refused.body;
    EXPECT_EQ(testing::http_request(node.port(), "GET", "/health").body, "ok\n");
}

}  // namespace
}  // namespace fleek
