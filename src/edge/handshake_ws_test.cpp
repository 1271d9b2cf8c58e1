// The handshake over WebSocket: the test plays the gateway (a loopback listener that reads the
// upgrade request and hands the socket to HandshakeWebSocketServer::adopt) and a client written
// here from RFC 6455 with plain blocking sockets (masked frames, no library), so the server's
// Beast code is checked against an independent implementation of the wire format.
#include "edge/handshake_fixture_test.h"
#include "edge/handshake_ws.h"
#include "util/encoding.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

namespace fleek::edge::handshake {
namespace {

using namespace testing;
constexpr uint64_t mib = 1 << 20;

// The gateway's part: accepts on loopback, reads the HTTP request header, hands over the socket.
class FakeGateway {
public:
    explicit FakeGateway(HandshakeUpgrades& upgrades) : m_upgrades(upgrades), m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
        EXPECT_EQ(::listen(m_fd, 512), 0);
        socklen_t length = sizeof(address);
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
        m_thread = std::thread([this] { serve(); });
    }
    ~FakeGateway() {
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_thread.join();
    }
    uint16_t port() const { return m_port; }

private:
    void serve() {
        for (;;) {
            const int client = ::accept(m_fd, nullptr, nullptr);
            if (client < 0) return;
            std::string head;
            char c;
            while (!head.ends_with("\r\n\r\n") && ::recv(client, &c, 1, 0) == 1) head.push_back(c);
            m_upgrades.adopt(client, std::move(head));
        }
    }
    HandshakeUpgrades& m_upgrades;
    int m_fd;
    uint16_t m_port = 0;
    std::thread m_thread;
};

// A WebSocket client from RFC 6455 §5: masked frames out, whole messages in.
class WsClient {
public:
    // From `source` (an address of 127/8, all on lo) when given.
    explicit WsClient(uint16_t port, const char* source = nullptr) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (source != nullptr) {
            sockaddr_in local{};
            local.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &local.sin_addr);
            if (::bind(m_fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) return;
        }
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~WsClient() { ::close(m_fd); }
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // The opening handshake; true on `101 Switching Protocols`.
    bool upgrade() {
        const std::string request =
            "GET /handshake HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        if (!send_raw(ByteSpan(reinterpret_cast<const uint8_t*>(request.data()), request.size()))) return false;
        std::string response;
        while (!response.ends_with("\r\n\r\n")) {
            auto byte = read_exact(1, 20'000);
            if (!byte) return false;
            response.push_back(static_cast<char>((*byte)[0]));
        }
        // RFC 6455 §1.3's example key gives this accept value.
        return response.starts_with("HTTP/1.1 101") && response.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos;
    }

    // One message of `opcode` (2 binary, 1 text); `announced` overrides the length in the header.
    bool send_message(ByteSpan payload, uint8_t opcode = 2, std::optional<uint64_t> announced = std::nullopt) {
        const uint64_t length = announced.value_or(payload.size());
        Bytes frame{static_cast<uint8_t>(0x80 | opcode)};
        if (length < 126) {
            frame.push_back(static_cast<uint8_t>(0x80 | length));
        } else if (length <= 0xffff) {
            frame.insert(frame.end(), {0x80 | 126, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)});
        } else {
            frame.push_back(0x80 | 127);
            for (int i = 7; i >= 0; --i) frame.push_back(static_cast<uint8_t>(length >> (8 * i)));
        }
        const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
        frame.insert(frame.end(), std::begin(mask), std::end(mask));
        for (size_t i = 0; i < payload.size(); ++i) frame.push_back(payload[i] ^ mask[i % 4]);
        return send_raw(frame);
    }

    // The next binary message; nullopt when the connection ended (close frame or end of stream).
    std::optional<Bytes> receive_message(int deadline_ms = 20'000) {
        Bytes message;
        for (;;) {
            auto head = read_exact(2, deadline_ms);
            if (!head) return std::nullopt;
            const bool fin = ((*head)[0] & 0x80) != 0;
            const uint8_t opcode = (*head)[0] & 0x0f;
            EXPECT_EQ((*head)[1] & 0x80, 0) << "a server frame is never masked";
            uint64_t length = (*head)[1] & 0x7f;
            if (length >= 126) {
                auto extended = read_exact(length == 126 ? 2 : 8, deadline_ms);
                if (!extended) return std::nullopt;
                length = 0;
                for (uint8_t byte : *extended) length = (length << 8) | byte;
            }
            auto payload = read_exact(length, deadline_ms);
            if (!payload) return std::nullopt;
            if (opcode == 0x8) return std::nullopt;  // close
            if (opcode == 0x9 || opcode == 0xa) continue;  // ping, pong
            EXPECT_TRUE(opcode == 0x2 || opcode == 0x0) << "binary messages only, got opcode " << int(opcode);
            message.insert(message.end(), payload->begin(), payload->end());
            if (fin) return message;
        }
    }

    bool send_raw(ByteSpan bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }
    bool connected() const { return m_connected; }

private:
    std::optional<Bytes> read_exact(uint64_t size, int deadline_ms) {
        Bytes out;
        while (out.size() < size) {
            while (m_buffer.empty()) {
                pollfd p{m_fd, POLLIN, 0};
                if (::poll(&p, 1, deadline_ms) <= 0) return std::nullopt;
                uint8_t chunk[65536];
                const ssize_t n = ::recv(m_fd, chunk, sizeof(chunk), 0);
                if (n <= 0) return std::nullopt;
                m_buffer.insert(m_buffer.end(), chunk, chunk + n);
            }
            const size_t take = std::min<size_t>(size - out.size(), m_buffer.size());
            out.insert(out.end(), m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(take));
            m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(take));
        }
        return out;
    }
    int m_fd;
    bool m_connected = false;
    Bytes m_buffer;
};

struct WsFixture : NodeFixture {
    explicit WsFixture(TcpOptions ws_options = {})
        : server(TcpDependencies{key, admission, sink, source, [this] { return epoch; }, {}, {}}) {
        ws_options.session.chain_id = chain_id;
        options = ws_options.session;
        server.start(ws_options);
        gateway = std::make_unique<FakeGateway>(server);
    }
    ~WsFixture() {
        gateway.reset();
        server.stop();
    }
    HandshakeWebSocketServer server;
    std::unique_ptr<FakeGateway> gateway;
};

template <class Condition>
bool eventually(Condition condition, int deadline_ms = 20'000) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::yield();
    }
    return condition();
}

std::optional<TerminationReason> termination_of(const Bytes& message) {
    auto frame = decode_node_frame(message);
    if (!frame || !std::holds_alternative<Terminate>(*frame)) return std::nullopt;
    return std::get<Terminate>(*frame).reason;
}

// Messages until the connection ends; the last one's termination reason.
std::optional<TerminationReason> read_to_end(WsClient& client, size_t* messages = nullptr) {
    std::optional<TerminationReason> last;
    size_t count = 0;
    while (auto message = client.receive_message()) {
        ++count;
        last = termination_of(*message);
    }
    if (messages) *messages = count;
    return last;
}

// The client's frames as messages: the payload without the u32 length.
ByteSpan message_of(const Bytes& frame) { return ByteSpan(frame).subspan(frame_header_size); }

TEST(HandshakeWebSocket, FetchesEightMebibytesWithCumulativeReceipts) {
    WsFixture node;
    const Hash32 hash = node.put(8 * mib, 21);
    WsClient socket(node.gateway->port());
    ASSERT_TRUE(socket.connected());
    ASSERT_TRUE(socket.upgrade());
    HandshakeClient client(client_key(), node.client_options());
    Bytes content;
    bool requested = false;
    while (!(requested && client.request_done())) {
        auto message = socket.receive_message();
        ASSERT_TRUE(message) << "the node ended the connection";
        std::vector<Bytes> out;
        auto fed = client.on_frame(*message, out);
        ASSERT_TRUE(fed) << to_string(fed.error());
        if (client.is_open() && !requested) {
            requested = true;
            out.push_back(client.request(hash, std::nullopt, [&](uint64_t, ByteSpan block) {
                content.insert(content.end(), block.begin(), block.end());
                return true;
            }));
        }
        for (const Bytes& frame : out) ASSERT_TRUE(socket.send_message(message_of(frame)));
    }
    EXPECT_EQ(content, node.content_bytes);
    EXPECT_TRUE(eventually([&] { return !node.sink.amounts().empty() && node.sink.amounts().back() == 8 * mib; }));
    const auto amounts = node.sink.amounts();
    ASSERT_EQ(amounts.size(), 8u);
    for (size_t i = 0; i < amounts.size(); ++i) EXPECT_EQ(amounts[i], (i + 1) * mib);
    for (const auto& r : node.sink.receipts()) EXPECT_TRUE(ledger::verify_delivery_receipt(r));
    EXPECT_EQ(node.server.stats().opened_sessions, 1u);
}

// As on TCP (HandshakeTcp.TheWindowReopensOnlyWhenTheSinkCompletedTheReceipt): the WebSocket
// listener shares the connection driver, so a receipt counts only at the sink's completion, the
// client never holds more than one window beyond what the sink completed, and one record at a
// time is in flight.
TEST(HandshakeWebSocket, TheWindowReopensOnlyWhenTheSinkCompletedTheReceipt) {
    NodeFixture node;
    node.options.chain_id = NodeFixture::chain_id;
    TcpOptions ws_options;
    ws_options.session = node.options;
    GatedSink gated;
    HandshakeWebSocketServer server(TcpDependencies{node.key, node.admission, gated, node.source, [&node] { return node.epoch; }, {}, {}});
    server.start(ws_options);
    FakeGateway gateway(server);
    const Hash32 hash = node.put(8 * mib, 22);
    const uint64_t window = node.options.window_bytes;

    std::atomic<uint64_t> completed{0};
    std::atomic<uint64_t> received{0};
    std::atomic<uint64_t> most_beyond_completed{0};  // the most the client held beyond `completed`
    std::atomic<bool> finished{false};
    Bytes content;
    std::thread fetcher([&] {
        WsClient socket(gateway.port());
        ASSERT_TRUE(socket.connected());
        ASSERT_TRUE(socket.upgrade());
        HandshakeClient client(client_key(), node.client_options());
        bool requested = false;
        while (!(requested && client.request_done())) {
            auto message = socket.receive_message();
            ASSERT_TRUE(message) << "the node ended the connection";
            std::vector<Bytes> out;
            auto fed = client.on_frame(*message, out);
            ASSERT_TRUE(fed) << to_string(fed.error());
            if (client.is_open() && !requested) {
                requested = true;
                out.push_back(client.request(hash, std::nullopt, [&](uint64_t, ByteSpan block) {
                    content.insert(content.end(), block.begin(), block.end());
                    const uint64_t now_received = received += block.size();
                    const uint64_t acknowledged = completed;
                    if (now_received > acknowledged && now_received - acknowledged > most_beyond_completed) {
                        most_beyond_completed = now_received - acknowledged;
                    }
                    return true;
                }));
            }
            for (const Bytes& frame : out) ASSERT_TRUE(socket.send_message(message_of(frame)));
        }
        finished = true;
    });
    // The test is a slow disk: it completes the oldest waiting record only once the client holds
    // a whole window beyond what was completed (or the whole file), so a node that counted a
    // receipt before its completion would stream past that.
    // While the client streams (it closes only after `finished`), the sink holds at most the one
    // record in flight of the connection: the next receipt waits in the session.
    size_t most_waiting = 0;
    EXPECT_TRUE(eventually([&] {
        const size_t waiting = gated.waiting();
        if (!finished) most_waiting = std::max(most_waiting, waiting);
        if (received >= std::min<uint64_t>(8 * mib, completed + window)) gated.complete_next(completed);
        return finished && completed == 8 * mib;
    }));
    fetcher.join();
    EXPECT_EQ(content, node.content_bytes);
    EXPECT_LE(most_beyond_completed.load(), window);
    EXPECT_EQ(most_waiting, 1u);
    server.stop();
}

TEST(HandshakeWebSocket, AnOversizedMessageIsRefusedAfterAtMostOneByteMoreThanTheMaximum) {
    WsFixture node;
    WsClient socket(node.gateway->port());
    ASSERT_TRUE(socket.upgrade());
    ASSERT_TRUE(socket.receive_message());  // the challenge
    // 2 GiB announced; 2,000 bytes sent. The node must not wait for the rest.
    ASSERT_TRUE(socket.send_message(Bytes(2000, 0x10), 2, uint64_t{1} << 31));
    EXPECT_EQ(read_to_end(socket), TerminationReason::frame_too_large);
    EXPECT_TRUE(eventually([&] { return node.server.stats().open_connections == 0; }));
    EXPECT_EQ(node.admission.calls, 0);
}

TEST(HandshakeWebSocket, ATextMessageOrGarbageIsRefusedAsMalformed) {
    WsFixture node;
    {
        WsClient socket(node.gateway->port());
        ASSERT_TRUE(socket.upgrade());
        ASSERT_TRUE(socket.receive_message());
        const std::string text = "hello";
        ASSERT_TRUE(socket.send_message(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()), 1));
        EXPECT_EQ(read_to_end(socket), TerminationReason::malformed);
    }
    {
        WsClient socket(node.gateway->port());
        ASSERT_TRUE(socket.upgrade());
        ASSERT_TRUE(socket.receive_message());
        ASSERT_TRUE(socket.send_message(Bytes{0x10, 1, 2, 3}));
        EXPECT_EQ(read_to_end(socket), TerminationReason::malformed);
    }
    EXPECT_EQ(node.sink.receipts().size(), 0u);
}

TEST(HandshakeWebSocket, HalfOpenConnectionsTimeOutAndOneOverTheLimitIsToldServerBusy) {
    TcpOptions options;
    options.session.open_timeout_ms = 3'000;  // long enough for the fourth client to find the three still open
    options.max_connections = 3;
    WsFixture node(options);
    std::vector<std::unique_ptr<WsClient>> idle;
    for (int i = 0; i < 3; ++i) {
        idle.push_back(std::make_unique<WsClient>(node.gateway->port()));
        ASSERT_TRUE(idle.back()->upgrade());
    }
    ASSERT_TRUE(eventually([&] { return node.server.stats().open_connections == 3; }));
    WsClient extra(node.gateway->port());
    ASSERT_TRUE(extra.upgrade());
    size_t messages = 0;
    EXPECT_EQ(read_to_end(extra, &messages), TerminationReason::server_busy);
    EXPECT_EQ(messages, 1u);  // no challenge: only the reason
    EXPECT_EQ(node.server.stats().refused_busy, 1u);
    const auto started = std::chrono::steady_clock::now();
    for (auto& socket : idle) {
        size_t count = 0;
        EXPECT_EQ(read_to_end(*socket, &count), TerminationReason::timeout);
        EXPECT_EQ(count, 2u);  // the challenge, then the reason
    }
    EXPECT_LE(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    EXPECT_TRUE(eventually([&] { return node.server.stats().timed_out == 3; }));  // counted right after the socket closes
}

// Sockets the gateway hands over count per source here (the gateway's own per-source count ends
// at the hand-over): one source over its share is told server_busy, another is still served.
TEST(HandshakeWebSocket, OneSourceOverItsShareIsToldServerBusyAndAnotherIsServed) {
    TcpOptions options;
    options.max_connections = 10;
    options.max_connections_per_source = 2;
    options.session.open_timeout_ms = 60'000;  // the idle ones stay open for the whole test
    WsFixture node(options);
    std::vector<std::unique_ptr<WsClient>> idle;
    for (int i = 0; i < 2; ++i) {
        idle.push_back(std::make_unique<WsClient>(node.gateway->port()));
        ASSERT_TRUE(idle.back()->upgrade());
    }
    ASSERT_TRUE(eventually([&] { return node.server.stats().open_connections == 2; }));
    WsClient extra(node.gateway->port());
    ASSERT_TRUE(extra.upgrade());
    size_t messages = 0;
    EXPECT_EQ(read_to_end(extra, &messages), TerminationReason::server_busy);
    EXPECT_EQ(messages, 1u);  // no challenge: only the reason
    EXPECT_EQ(node.server.stats().refused_per_source, 1u);
    EXPECT_EQ(node.server.stats().refused_busy, 0u);

    WsClient other(node.gateway->port(), "127.0.0.2");
    ASSERT_TRUE(other.upgrade());
    EXPECT_TRUE(eventually([&] { return node.server.stats().open_connections == 3; }));
    EXPECT_EQ(node.server.stats().refused_per_source, 1u);

    // A unit comes back when a connection of the source ends.
    idle.pop_back();
    ASSERT_TRUE(eventually([&] { return node.server.stats().open_connections == 2; }));
    WsClient again(node.gateway->port());
    ASSERT_TRUE(again.upgrade());
    EXPECT_TRUE(eventually([&] { return node.server.stats().open_connections == 3; }));
    EXPECT_EQ(node.server.stats().refused_per_source, 1u);
}

// The JavaScript client library (clients/js, the WebAssembly verifier, @noble/curves receipts)
// against this server: the other side of the wire is written in another language.
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

TEST(HandshakeWebSocket, TheJavaScriptClientFetchesVerifiedBytesAndSignsReceipts) {
    const std::string js = std::string(FLEEK_SOURCE_DIR) + "/clients/js";
    ASSERT_EQ(std::system((js + "/test/run --install-only").c_str()), 0) << "npm ci in clients/js (Node.js 20 with npm)";
    WsFixture node;
    const Hash32 hash = node.put(8 * mib + 1000, 22);
    const auto out = node.dir.path() / "fetched";
    // The client key is client_key()'s: the seed of 32 bytes 0x02.
    const std::string command = "node --experimental-websocket --no-warnings " + js + "/test/fetch.mjs ws://127.0.0.1:" +
                                std::to_string(node.gateway->port()) + "/handshake " + hex_encode(node.key.public_key().bytes()) +
                                " " + hex_encode(Bytes(32, 2)) + " " +
                                std::to_string(NodeFixture::chain_id) + " " + hex_encode(hash) + " " + out.string();
    int status = 0;
    const std::string output = run_and_capture(command, status);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output, "ok " + std::to_string(8 * mib + 1000) + " signed " + std::to_string(8 * mib + 1000) + "\n");
    EXPECT_EQ(read_file_bytes(out), node.content_bytes);
    // Cumulative receipts every MiB and the rest at the end, each verified by the ledger's code.
    EXPECT_TRUE(eventually([&] { return !node.sink.amounts().empty() && node.sink.amounts().back() == 8 * mib + 1000; }));
    const auto amounts = node.sink.amounts();
    ASSERT_EQ(amounts.size(), 9u);
    for (size_t i = 0; i < 8; ++i) EXPECT_EQ(amounts[i], (i + 1) * mib);
    for (const auto& r : node.sink.receipts()) {
        EXPECT_TRUE(ledger::verify_delivery_receipt(r));
        EXPECT_EQ(r.client_key, client_key().public_key().bytes());
    }
}

TEST(HandshakeWebSocket, AnAdoptedSocketIsClosedWhenTheServerIsNotRunning) {
    NodeFixture node;
    HandshakeWebSocketServer server(TcpDependencies{node.key, node.admission, node.sink, node.source, [] { return uint64_t{3}; }, {}, {}});
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    server.adopt(pair[0], "GET /handshake HTTP/1.1\r\n\r\n");
    char byte;
    EXPECT_EQ(::recv(pair[1], &byte, 1, 0), 0);  // end of stream: the server closed its end
    ::close(pair[1]);
    // What the gateway asks before handing a socket over (503 otherwise): only while running.
    EXPECT_FALSE(server.accepting());
    server.start(TcpOptions{});
    EXPECT_TRUE(server.accepting());
    server.stop();
    EXPECT_FALSE(server.accepting());
}

}  // namespace
}  // namespace fleek::edge::handshake
