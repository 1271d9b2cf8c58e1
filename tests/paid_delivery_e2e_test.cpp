// Paid delivery end to end (issue 13) on a one-node devnet of a real `fleek-node run` process:
// the devnet account approves a client key, the node holds a file, the client opens a paid
// session on the node's handshake TCP port (gateway.tcp_address), fetches the file verifying it
// and signing receipts as blocks verify; the node records the receipts, submits them in a
// SubmitDeliveryAcknowledgments transaction signed with its key, and the ledger charges the
// client's stables exactly ⌊bytes × price / 10^6⌋ and credits the node with the bytes served.
// No sleeps: JSON-RPC is polled with a deadline.
#include "crypto/hash.h"
#include "crypto/random.h"
#include "edge/handshake_client.h"
#include "tests/support/devnet.h"
#include "tests/support/random_bytes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fleek {
namespace {

using Json = nlohmann::json;
namespace hs = edge::handshake;

// A blocking loopback TCP client with receive deadlines.
class Socket {
public:
    explicit Socket(uint16_t port) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
    }
    ~Socket() { ::close(m_fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    bool connected() const { return m_connected; }
    bool send(ByteSpan bytes) {
        size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
            if (n <= 0) return false;
            done += static_cast<size_t>(n);
        }
        return true;
    }
    // Bytes received within `deadline_ms`; empty at end of stream; nullopt on timeout.
    std::optional<Bytes> receive(int deadline_ms) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, deadline_ms) <= 0) return std::nullopt;
        Bytes buffer(64 * 1024);
        const ssize_t n = ::recv(m_fd, buffer.data(), buffer.size(), 0);
        if (n < 0) return Bytes{};
        buffer.resize(static_cast<size_t>(n));
        return buffer;
    }

private:
    int m_fd;
    bool m_connected = false;
};

struct Fetched {
    Bytes content;
    uint64_t signed_bytes = 0;
    std::optional<hs::ClientError> error;
};

// One paid session: open, request `hash`, verify, sign receipts as blocks verify; returns once
// the request is done and its last receipt was sent.
Fetched paid_fetch(uint16_t port, const crypto::ClientSecretKey& key, const hs::ClientOptions& options, const hs::Hash32& hash) {
    Fetched result;
    Socket socket(port);
    EXPECT_TRUE(socket.connected()) << "nothing listens on the handshake port " << port;
    if (!socket.connected()) return result;
    hs::HandshakeClient client(key.clone(), options);
    hs::FrameSplitter splitter(hs::node_frame_max_bytes);
    bool requested = false;
    while (!result.error) {
        auto bytes = socket.receive(30'000);
        if (!bytes || bytes->empty()) {
            ADD_FAILURE() << "the node stopped sending";
            break;
        }
        std::vector<Bytes> out;
        EXPECT_TRUE(splitter.feed(*bytes, [&](ByteSpan payload) {
            auto fed = client.on_frame(payload, out);
            if (!fed) result.error = fed.error();
            return fed.has_value();
        }));
        if (client.is_open() && !requested) {
            requested = true;
            out.push_back(client.request(hash, std::nullopt, [&](uint64_t, ByteSpan block) {
                result.content.insert(result.content.end(), block.begin(), block.end());
                return true;
            }));
        }
        for (const Bytes& frame : out) EXPECT_TRUE(socket.send(frame));
        if (requested && client.request_done()) break;
    }
    result.signed_bytes = client.signed_bytes();
    return result;
}

std::string json_text(const Result<Json, std::string>& result, const char* field = nullptr) {
    if (!result) return "?";
    const Json& value = field ? (result->is_object() && result->contains(field) ? (*result)[field] : Json()) : *result;
    return value.is_string() ? value.get<std::string>() : value.dump();
}

TEST(PaidDeliveryE2e, ClientPaysExactlyForTheBytesTheNodeServed) {
    // Port offset 12: its ports (mod 100) meet none of the other devnet tests' (tests/support/devnet.h).
    testing::LocalDevnet devnet("paid-e2e", 1, 1, {"--epoch-ms", "36000000"}, 12);
    devnet.start(0);
    if (::testing::Test::HasFatalFailure()) return;
    const uint16_t handshake_port = static_cast<uint16_t>(devnet.node(0).gateway_port + 1);  // devnet: base + 21

    // The devnet account approves a new client key.
    const auto client_key = crypto::ClientSecretKey::generate();
    const auto address = devnet.account.address();
    ledger::Transaction approve{{}, ++devnet.nonce, testing::LocalDevnet::chain_id, ledger::ApproveClientKey{client_key.public_key().bytes()}};
    ASSERT_TRUE(devnet.send(0, ledger::sign_transaction(std::move(approve), devnet.account).to_bytes()));
    const std::string client_text = client_key.public_key().to_string();
    ASSERT_TRUE(devnet.eventually([&] {
        auto info = devnet.call(0, "flk_get_account_info", Json::array({address.to_string()}));
        return info && info->is_object() && info->dump().find(client_text) != std::string::npos;
    })) << "the client key was not approved";
    const std::string stables_before = json_text(devnet.call(0, "flk_get_stables_balance", Json::array({address.to_string()})));
    ASSERT_EQ(stables_before, "1000000000");

    // 3 MiB + 12345 bytes on the node.
    const uint64_t size = (uint64_t{3} << 20) + 12'345;
    const Bytes file = testing::random_bytes(size, 13);
    const auto put = testing::http_request(devnet.node(0).gateway_port, "PUT", "/blake3", "",
                                           std::string(reinterpret_cast<const char*>(file.data()), file.size()));
    ASSERT_EQ(put.status, 201) << put.body;
    const hs::Hash32 hash = crypto::blake3(file);

    auto keys = devnet.call(0, "flk_get_public_keys");
    ASSERT_TRUE(keys);
    const std::string node_text = (*keys)["public_key"].get<std::string>();
    ledger::SessionId session_id{};
    crypto::random_bytes(session_id);
    const hs::ClientOptions options{.node = crypto::NodePublicKey::from_base58(node_text).value(),
                                    .chain_id = testing::LocalDevnet::chain_id,
                                    .session_id = session_id,
                                    .service = 0,
                                    .resume_token = std::nullopt,
                                    .acknowledged_bytes = 0};
    const Fetched fetched = paid_fetch(handshake_port, client_key, options, hash);
    ASSERT_FALSE(fetched.error) << hs::to_string(*fetched.error);
    ASSERT_EQ(fetched.content, file);
    ASSERT_EQ(fetched.signed_bytes, size);  // the last receipt covers every byte

    // The devnet's service 0 costs 100 stables base units per 10^6 bytes.
    const uint64_t charged = size * 100 / 1'000'000;
    const std::string stables_after = std::to_string(1'000'000'000 - charged);
    std::string stables_seen;
    std::string served_seen;
    const bool settled = devnet.eventually([&] {
        stables_seen = json_text(devnet.call(0, "flk_get_stables_balance", Json::array({address.to_string()})));
        served_seen = json_text(devnet.call(0, "flk_get_node_served", Json::array({node_text})), "served_bandwidth");
        return stables_seen == stables_after && served_seen == std::to_string(size);
    }, std::chrono::seconds(90));
    EXPECT_TRUE(settled) << "stables " << stables_seen << " (want " << stables_after << "), served " << served_seen << " (want " << size
                         << ")";
    EXPECT_GE(devnet.gauge(0, "fleek_delivery_receipts_recorded_total"), 1);
    EXPECT_GE(devnet.gauge(0, "fleek_delivery_batches_submitted_total"), 1);
    // Nothing is charged twice: the aggregator drops the claimed receipt, so later batches hold none.
    EXPECT_TRUE(devnet.eventually([&] { return devnet.gauge(0, "fleek_delivery_receipts_kept") == 0; }));
    EXPECT_EQ(json_text(devnet.call(0, "flk_get_stables_balance", Json::array({address.to_string()}))), stables_after);
}

}  // namespace
}  // namespace fleek
