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
#include "node/config.h"
#include "tests/support/devnet.h"
#include "tests/support/random_bytes.h"

#include <arpa/inet.h>
#include <csignal>
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

// A one-node devnet whose account approved a new client key, with a 3 MiB + 12,345-byte file on
// the node, and the session options of a client of that node.
class PaidDevnet : public testing::LocalDevnet {
public:
    static constexpr uint64_t file_size = (uint64_t{3} << 20) + 12'345;
    // The devnet's service 0 costs 100 stables base units per 10^6 bytes.
    static constexpr uint64_t charge = file_size * 100 / 1'000'000;
    static constexpr uint64_t stables_at_genesis = 1'000'000'000;

    // `port_offset`: the tests of this file run at once under ctest -j2 (tests/support/devnet.h);
    // 12 and 37 meet none of the other devnet tests' ports.
    PaidDevnet(uint16_t port_offset, uint64_t batch_interval_ms)
        : LocalDevnet("paid-e2e", 1, 1, {"--epoch-ms", "36000000"}, port_offset),
          client_key(crypto::ClientSecretKey::generate()),
          file(testing::random_bytes(file_size, 13)),
          hash(crypto::blake3(file)) {
        set_batch_interval_ms(batch_interval_ms);
    }

    // Writes [gateway] batch_interval_ms into the node's config (read when the node starts).
    void set_batch_interval_ms(uint64_t batch_interval_ms) {
        const auto path = home(0) / "config.toml";
        auto config = node::load_config_file(path);
        EXPECT_TRUE(config.has_value()) << config.error().message;
        if (!config) return;
        config->gateway.batch_interval_ms = batch_interval_ms;
        testing::write_text(path, node::render_config(*config));
    }

    // Starts the node, approves the client key, stores the file; fills `options`.
    void prepare() {
        start(0);
        if (::testing::Test::HasFatalFailure()) return;
        handshake_port = static_cast<uint16_t>(node(0).gateway_port + 1);  // devnet: base + 21
        ledger::Transaction approve{{}, ++nonce, chain_id, ledger::ApproveClientKey{client_key.public_key().bytes()}};
        ASSERT_TRUE(send(0, ledger::sign_transaction(std::move(approve), account).to_bytes()));
        const std::string client_text = client_key.public_key().to_string();
        ASSERT_TRUE(eventually([&] {
            auto info = call(0, "flk_get_account_info", Json::array({account.address().to_string()}));
            return info && info->is_object() && info->dump().find(client_text) != std::string::npos;
        })) << "the client key was not approved";
        ASSERT_EQ(stables(), std::to_string(stables_at_genesis));
        const auto put = testing::http_request(node(0).gateway_port, "PUT", "/blake3", "",
                                               std::string(reinterpret_cast<const char*>(file.data()), file.size()));
        ASSERT_EQ(put.status, 201) << put.body;
        auto keys = call(0, "flk_get_public_keys");
        ASSERT_TRUE(keys);
        node_text = (*keys)["public_key"].get<std::string>();
        ledger::SessionId session_id{};
        crypto::random_bytes(session_id);
        options.emplace(hs::ClientOptions{.node = crypto::NodePublicKey::from_base58(node_text).value(),
                                    .chain_id = chain_id,
                                    .session_id = session_id,
                                    .service = 0,
                                    .resume_token = std::nullopt,
                                    .acknowledged_bytes = 0});
    }

    // The whole file over a paid session, verified, every byte signed for.
    void fetch_file() {
        const Fetched fetched = paid_fetch(handshake_port, client_key, *options, hash);
        ASSERT_FALSE(fetched.error) << hs::to_string(*fetched.error);
        ASSERT_EQ(fetched.content, file);
        ASSERT_EQ(fetched.signed_bytes, file_size);  // the last receipt covers every byte
    }

    std::string stables() { return json_text(call(0, "flk_get_stables_balance", Json::array({account.address().to_string()}))); }
    std::string served() { return json_text(call(0, "flk_get_node_served", Json::array({node_text})), "served_bandwidth"); }

    // Waits until the client was charged for the file once and the node credited with its bytes.
    void expect_settled() {
        const std::string stables_after = std::to_string(stables_at_genesis - charge);
        std::string stables_seen;
        std::string served_seen;
        const bool settled = eventually([&] {
            stables_seen = stables();
            served_seen = served();
            return stables_seen == stables_after && served_seen == std::to_string(file_size);
        }, std::chrono::seconds(90));
        EXPECT_TRUE(settled) << "stables " << stables_seen << " (want " << stables_after << "), served " << served_seen
                             << " (want " << file_size << ")";
        // The aggregator drops a receipt once the ledger claims it: nothing is left to submit again.
        EXPECT_TRUE(eventually([&] { return gauge(0, "fleek_delivery_receipts_kept") == 0; }));
        EXPECT_EQ(stables(), stables_after);
        EXPECT_EQ(served(), std::to_string(file_size));
    }

    const crypto::ClientSecretKey client_key;
    const Bytes file;
    const hs::Hash32 hash;
    uint16_t handshake_port = 0;
    std::string node_text;
    std::optional<hs::ClientOptions> options;  // set by prepare()
};

TEST(PaidDeliveryE2e, ClientPaysExactlyForTheBytesTheNodeServed) {
    PaidDevnet devnet(12, 1'000);
    devnet.prepare();
    if (::testing::Test::HasFatalFailure()) return;
    devnet.fetch_file();
    if (::testing::Test::HasFatalFailure()) return;
    devnet.expect_settled();
    EXPECT_GE(devnet.gauge(0, "fleek_delivery_receipts_recorded_total"), 1);
    EXPECT_GE(devnet.gauge(0, "fleek_delivery_batches_submitted_total"), 1);
    EXPECT_GE(devnet.gauge(0, "fleek_delivery_receipts_claimed_total"), 1);
}

// Receipts the node acknowledged to the client are on disk before any batch: killed with SIGKILL
// before its first batch was due, the node submits them after its restart, and the client pays
// for the bytes exactly once.
TEST(PaidDeliveryE2e, ReceiptsRecordedBeforeAKillAreChargedOnceAfterTheRestart) {
    PaidDevnet devnet(37, 3'600'000);  // no batch is due during the first run
    devnet.prepare();
    if (::testing::Test::HasFatalFailure()) return;
    devnet.fetch_file();
    if (::testing::Test::HasFatalFailure()) return;
    // Receipts at 1, 2 and 3 MiB and the last one at the end of the file.
    ASSERT_TRUE(devnet.eventually([&] { return devnet.gauge(0, "fleek_delivery_receipts_recorded_total") == 4; }))
        << devnet.gauge(0, "fleek_delivery_receipts_recorded_total") << " receipts recorded";
    ASSERT_EQ(devnet.gauge(0, "fleek_delivery_receipts_kept"), 1);  // the newest of the one session
    ASSERT_EQ(devnet.gauge(0, "fleek_delivery_batches_submitted_total"), 0);
    devnet.stop(0, SIGKILL);
    ASSERT_FALSE(devnet.running(0));
    // Reopened receipts are due at once whatever the interval; a short one makes the aggregator
    // look again within the test, find the receipt claimed, and drop it instead of submitting it.
    devnet.set_batch_interval_ms(1'000);
    devnet.start(0);
    if (::testing::Test::HasFatalFailure()) return;
    devnet.expect_settled();
    EXPECT_EQ(devnet.gauge(0, "fleek_delivery_batches_submitted_total"), 1);
    EXPECT_EQ(devnet.gauge(0, "fleek_delivery_receipts_claimed_total"), 1);
}

}  // namespace
}  // namespace fleek
