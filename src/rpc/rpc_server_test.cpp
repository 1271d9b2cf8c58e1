// The HTTP server on loopback (port 0) with the test backend: routes, status codes, limits, and
// bad bytes on the socket that must leave the server serving.
#include "rpc/rpc_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/http.h"
#include "tests/support/rpc_test_backend.h"

#include <gtest/gtest.h>

#include <thread>

namespace fleek::rpc {
namespace {

class RpcServerTest : public ::testing::Test {
protected:
    void SetUp() override { start(RpcServerOptions{}); }

    void start(RpcServerOptions options) {
        server.reset();
        options.port = 0;
        options.version = "fleek-node test";
        auto started = RpcServer::start(options, backend, registry);
        ASSERT_TRUE(started.has_value()) << started.error();
        server = std::move(*started);
        ASSERT_NE(server->port(), 0);
    }

    testing::RawResponse post(const std::string& target, const std::string& body) {
        return testing::http_request(server->port(), "POST", target, "Content-Type: application/json\r\n", body);
    }
    void expect_serving() {
        const auto response = post("/", R"({"jsonrpc":"2.0","id":1,"method":"flk_ping"})");
        ASSERT_EQ(response.status, 200);
        EXPECT_EQ(Json::parse(response.body)["result"], "pong");
    }

    testing::RpcTestBackend backend;
    Registry registry = standard_registry();
    std::unique_ptr<RpcServer> server;
};

TEST_F(RpcServerTest, JsonRpcOnBothPaths) {
    for (const std::string target : {"/", "/rpc/v0"}) {
        const auto response = post(target, R"({"jsonrpc":"2.0","id":7,"method":"flk_get_block_number"})");
        ASSERT_EQ(response.status, 200) << target;
        EXPECT_EQ(response.headers.at("content-type"), "application/json");
        const Json body = Json::parse(response.body);
        EXPECT_EQ(body["id"], 7);
        EXPECT_EQ(body["result"], 0);
    }
    // A batch and a parse error over HTTP: 200 with JSON-RPC errors inside.
    auto response = post("/rpc/v0", R"([{"jsonrpc":"2.0","id":1,"method":"flk_ping"},{"jsonrpc":"2.0","id":2,"method":"x"}])");
    ASSERT_EQ(response.status, 200);
    const Json batch = Json::parse(response.body);
    ASSERT_EQ(batch.size(), 2u);
    EXPECT_EQ(batch[1]["error"]["code"], -32601);
    response = post("/", "{oops");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(Json::parse(response.body)["error"]["code"], -32700);
    // A notification: 204, no body.
    response = post("/", R"({"jsonrpc":"2.0","method":"flk_ping"})");
    EXPECT_EQ(response.status, 204);
    EXPECT_TRUE(response.body.empty());
    // GET on the RPC path: 405 with Allow.
    response = testing::http_request(server->port(), "GET", "/rpc/v0");
    EXPECT_EQ(response.status, 405);
    EXPECT_EQ(response.headers.at("allow"), "POST, OPTIONS");
    EXPECT_EQ(server->metrics().calls("flk_ping"), 2u);
}

// A request from `source` (a loopback address such as 127.0.0.2) with "Connection: close".
testing::RawResponse request_from(const char* source, uint16_t port, const std::string& method, const std::string& target,
                                  const std::string& body = "") {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
        ::close(fd);
        return {};
    }
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    if (!body.empty()) request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    request += "\r\n" + body;
    testing::send_all(fd, request);
    std::string raw;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        raw.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    return testing::parse_response(raw, false);
}

// Issue 15: the server had no rate limit, so one client could flood a committee member with
// reads. A flood from one address now gets 429 / -32005 answers while another address is served.
TEST_F(RpcServerTest, AFloodFromOneAddressIsLimitedWhileOthersAreServed) {
    RpcServerOptions options;
    options.rate_limit = RateLimitOptions{.per_second = 1, .burst = 10, .addresses_max = 100};
    start(options);
    const std::string read = R"({"jsonrpc":"2.0","id":4,"method":"flk_get_block_number"})";
    size_t served = 0;
    size_t limited = 0;
    for (int i = 0; i < 60; ++i) {
        const auto response = request_from("127.0.0.2", server->port(), "POST", "/rpc/v0", read);
        if (response.status == 200) {
            ++served;
            continue;
        }
        ASSERT_EQ(response.status, 429) << response.body;
        ++limited;
        const Json body = Json::parse(response.body);
        EXPECT_EQ(body["id"], nullptr);
        EXPECT_EQ(body["error"]["code"], -32005);
        EXPECT_EQ(body["error"]["data"]["reason"], "rate_limited");
        EXPECT_GT(body["error"]["data"]["retry_after_ms"].get<uint64_t>(), 0u);
        EXPECT_EQ(response.headers.at("retry-after"), "1");
    }
    // 10 at once, then one a second for as long as the loop ran.
    EXPECT_GE(served, 10u);
    EXPECT_GT(limited, 0u);
    EXPECT_EQ(server->metrics().rate_limited(), limited);
    EXPECT_EQ(server->metrics().errors_with_code(ErrorCode::rate_limited), limited);
    // Another address is served meanwhile, its GETs too.
    const auto other = request_from("127.0.0.3", server->port(), "POST", "/rpc/v0", read);
    EXPECT_EQ(other.status, 200) << other.body;
    EXPECT_EQ(Json::parse(other.body)["result"], 0);
    EXPECT_EQ(request_from("127.0.0.3", server->port(), "GET", "/health").status, 200);
    // A batch takes one token per call: more calls than the burst wait for a full bucket.
    Json batch = Json::array();
    for (int i = 0; i < 11; ++i) batch.push_back(Json{{"jsonrpc", "2.0"}, {"id", i}, {"method", "flk_ping"}});
    const auto big = request_from("127.0.0.4", server->port(), "POST", "/rpc/v0", batch.dump());
    EXPECT_EQ(big.status, 429) << big.body;
    batch.erase(batch.begin());
    const auto fits = request_from("127.0.0.5", server->port(), "POST", "/rpc/v0", batch.dump());
    EXPECT_EQ(fits.status, 200) << fits.body;
    EXPECT_EQ(Json::parse(fits.body).size(), 10u);
}

// Issue 15: /health answered OK whatever the node's state.
TEST_F(RpcServerTest, HealthReportsAnUnhealthyNode) {
    backend.health_answer = Health{false, "stalled: no new block for 61 s (height 4) while 2 transactions wait to execute"};
    const auto response = testing::http_request(server->port(), "GET", "/health");
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.body, "unhealthy: stalled: no new block for 61 s (height 4) while 2 transactions wait to execute\n");
    backend.health_answer = Health{};
    EXPECT_EQ(testing::http_request(server->port(), "GET", "/health").status, 200);
}

TEST_F(RpcServerTest, HealthVersionMetrics) {
    auto response = testing::http_request(server->port(), "GET", "/health");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "OK");
    response = testing::http_request(server->port(), "GET", "/version");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "fleek-node test\n");
    post("/", R"({"jsonrpc":"2.0","id":1,"method":"flk_ping"})");
    response = testing::http_request(server->port(), "GET", "/metrics");
    EXPECT_EQ(response.status, 200);
    EXPECT_NE(response.headers.at("content-type").find("text/plain; version=0.0.4"), std::string::npos);
    EXPECT_NE(response.body.find("fleek_rpc_calls_total{method=\"flk_ping\"} 1\n"), std::string::npos) << response.body;
    EXPECT_NE(response.body.find("test_backend_submitted_total 0\n"), std::string::npos);
    response = testing::http_request(server->port(), "HEAD", "/health");
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(response.body.empty());
    response = testing::http_request(server->port(), "POST", "/health", "", "x");
    EXPECT_EQ(response.status, 405);
}

TEST_F(RpcServerTest, UnknownPathIs404) {
    const auto response = testing::http_request(server->port(), "GET", "/nope");
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(post("/rpc/v1", "{}").status, 404);
    expect_serving();
}

TEST_F(RpcServerTest, OversizedBodyIs413) {
    RpcServerOptions options;
    options.max_body_bytes = 4096;
    start(options);
    const std::string big = R"({"jsonrpc":"2.0","id":1,"method":"flk_ping","params":[")" + std::string(5000, 'a') + "\"]}";
    const auto response = post("/", big);
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(Json::parse(response.body)["error"]["code"], -32600);
    // A chunked body that grows past the limit while being read.
    const int fd = testing::connect_loopback(server->port());
    ASSERT_GE(fd, 0);
    std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i) chunked += "800\r\n" + std::string(0x800, ' ') + "\r\n";
    chunked += "0\r\n\r\n";
    testing::send_all(fd, chunked);
    std::string raw;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        raw.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    EXPECT_EQ(testing::parse_response(raw, false).status, 413) << raw;
    expect_serving();
}

TEST_F(RpcServerTest, GarbageOnTheSocketLeavesTheServerRunning) {
    const std::vector<std::string> garbage = {
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS ClientHello start
        "GARBAGE\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"jsonrpc\"",  // truncated, then closed
        "GET / HTTP/1.1\r\nHost: " + std::string(20000, 'h') + "\r\n\r\n",  // header over the limit
        std::string(1000, '\0'),
    };
    for (const auto& bytes : garbage) {
        const int fd = testing::connect_loopback(server->port());
        ASSERT_GE(fd, 0);
        testing::send_all(fd, bytes);
        ::shutdown(fd, SHUT_WR);
        char buffer[4096];
        while (::recv(fd, buffer, sizeof(buffer), 0) > 0) {
        }
        ::close(fd);
        expect_serving();
    }
    // Connections opened and dropped without a byte.
    for (int i = 0; i < 20; ++i) ::close(testing::connect_loopback(server->port()));
    expect_serving();
}

TEST_F(RpcServerTest, KeepAliveServesSeveralRequests) {
    const int fd = testing::connect_loopback(server->port());
    ASSERT_GE(fd, 0);
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"flk_ping"})";
    const std::string one = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    const std::string last =
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    testing::send_all(fd, one + one + last);
    std::string raw;
    char buffer[4096];
    for (;;) {
        const ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
        if (got <= 0) break;
        raw.append(buffer, static_cast<size_t>(got));
    }
    ::close(fd);
    size_t responses = 0;
    for (size_t at = raw.find("\"pong\""); at != std::string::npos; at = raw.find("\"pong\"", at + 1)) ++responses;
    EXPECT_EQ(responses, 3u) << raw;
}

TEST_F(RpcServerTest, SendTransactionOverHttp) {
    const Bytes transfer = backend.net.account_tx(
        0, ledger::Transfer{ledger::Token::flk, backend.net.accounts[1].address().bytes(), U256(5)});
    auto response = post("/", Json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "flk_send_txn"},
                                   {"params", Json::array({hex_encode(transfer)})}}
                                  .dump());
    ASSERT_EQ(response.status, 200);
    const std::string digest = Json::parse(response.body)["result"].get<std::string>();
    backend.commit();
    response = post("/", Json{{"jsonrpc", "2.0"}, {"id", 2}, {"method", "flk_get_transaction_receipt"},
                              {"params", Json::array({digest})}}
                             .dump());
    EXPECT_EQ(Json::parse(response.body)["result"]["status"], "success");
    // Again: the nonce is used now.
    response = post("/", Json{{"jsonrpc", "2.0"}, {"id", 3}, {"method", "flk_send_txn"},
                              {"params", Json::array({hex_encode(transfer)})}}
                             .dump());
    const Json error = Json::parse(response.body)["error"];
    EXPECT_EQ(error["code"], -32000);
    EXPECT_EQ(error["data"]["reason"], "bad_nonce");
}

TEST_F(RpcServerTest, ConcurrentClients) {
    std::vector<std::thread> clients;
    std::atomic<int> answered{0};
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            for (int i = 0; i < 10; ++i) {
                const auto response = testing::http_request(server->port(), "POST", "/", "",
                                                            R"({"jsonrpc":"2.0","id":1,"method":"flk_get_chain_info"})");
                if (response.status == 200 && Json::parse(response.body)["result"]["height"] == 0) ++answered;
            }
        });
    }
    for (auto& client : clients) client.join();
    EXPECT_EQ(answered.load(), 40);
}

TEST_F(RpcServerTest, StartRefusesBadOptionsAndBusyPorts) {
    RpcServerOptions options;
    options.host = "not-an-ip";
    EXPECT_FALSE(RpcServer::start(options, backend, registry).has_value());
    options.host = "127.0.0.1";
    options.port = server->port();
    const auto busy = RpcServer::start(options, backend, registry);
    ASSERT_FALSE(busy.has_value());
    EXPECT_NE(busy.error().find("cannot listen"), std::string::npos);
    options.port = 0;
    options.max_body_bytes = 10;
    EXPECT_FALSE(RpcServer::start(options, backend, registry).has_value());
    server->stop();
    server->stop();  // idempotent
}

}  // namespace
}  // namespace fleek::rpc
