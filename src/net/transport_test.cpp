#include "net/transport.h"
#include "net/net_test_support.h"

#include "net/write_batch.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace fleek::net {
namespace {

using namespace std::chrono_literals;

using testing::key_from;

// Keys sorted by public key, so a test knows which of two dials the other (the smaller).
std::vector<crypto::NodeSecretKey> sorted_keys(size_t count) {
    std::vector<crypto::NodeSecretKey> keys;
    for (size_t i = 0; i < count; ++i) keys.push_back(key_from(static_cast<uint8_t>(i + 1)));
    std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.public_key() < b.public_key(); });
    return keys;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return condition();
}

struct Received {
    crypto::NodePublicKey from;
    Channel channel;
    Bytes payload;
};

struct Inbox {
    mutable std::mutex mutex;
    std::vector<Received> frames;

    FrameHandler handler() {
        return [this](const crypto::NodePublicKey& from, Channel channel, Bytes payload) {
            std::lock_guard lock(mutex);
            frames.push_back(Received{from, channel, std::move(payload)});
        };
    }
    size_t count() const {
        std::lock_guard lock(mutex);
        return frames.size();
    }
    size_t count_from(const crypto::NodePublicKey& key) const {
        std::lock_guard lock(mutex);
        return static_cast<size_t>(std::count_if(frames.begin(), frames.end(), [&](const Received& r) { return r.from == key; }));
    }
    std::vector<Received> snapshot() const {
        std::lock_guard lock(mutex);
        return frames;
    }
};

TransportOptions test_options() {
    TransportOptions options;
    options.listen_host = "127.0.0.1";
    options.listen_port = 0;
    options.idle_timeout_ms = 3000;
    options.reconnect_min_ms = 20;
    options.reconnect_max_ms = 200;
    options.handshake_timeout_ms = 2000;
    return options;
}

struct Node {
    crypto::NodeSecretKey key;
    Inbox inbox;
    std::unique_ptr<Transport> transport;

    explicit Node(crypto::NodeSecretKey k, TransportOptions options = test_options()) : key(std::move(k)) { start(options); }
    void start(TransportOptions options) {
        auto started = Transport::start(options, key, inbox.handler());
        ASSERT_TRUE(started) << started.error();
        transport = std::move(*started);
    }
    PeerAddress address() const { return PeerAddress{key.public_key(), "127.0.0.1", transport->port()}; }
    std::optional<PeerStatus> status_of(const crypto::NodePublicKey& peer) const {
        for (const auto& status : transport->peer_status())
            if (status.key == peer) return status;
        return std::nullopt;
    }
    bool connected_to(const Node& other) const {
        auto status = status_of(other.key.public_key());
        return status && status->connected;
    }
};

void connect_all(const std::vector<Node*>& nodes) {
    for (Node* node : nodes) {
        std::vector<PeerAddress> peers;
        for (Node* other : nodes)
            if (other != node) peers.push_back(other->address());
        node->transport->set_peers(peers);
    }
}

Bytes numbered(Channel channel, uint32_t index, size_t size = 16) {
    Bytes out(std::max<size_t>(size, 5), 0x5a);
    out[0] = static_cast<uint8_t>(channel);
    for (int i = 0; i < 4; ++i) out[static_cast<size_t>(1 + i)] = static_cast<uint8_t>(index >> (8 * i));
    return out;
}

uint32_t index_of(const Bytes& payload) {
    uint32_t index = 0;
    for (int i = 0; i < 4; ++i) index |= static_cast<uint32_t>(payload[static_cast<size_t>(1 + i)]) << (8 * i);
    return index;
}

// Every channel's frames from `from` arrived, in order.
void expect_in_order(const Inbox& inbox, const crypto::NodePublicKey& from, uint32_t per_channel) {
    std::map<Channel, uint32_t> next;
    for (const auto& frame : inbox.snapshot()) {
        if (frame.from != from) continue;
        ASSERT_EQ(frame.payload[0], static_cast<uint8_t>(frame.channel));
        EXPECT_EQ(index_of(frame.payload), next[frame.channel]) << "channel " << to_string(frame.channel);
        next[frame.channel] = index_of(frame.payload) + 1;
    }
    for (Channel channel : {Channel::consensus, Channel::gossip, Channel::sync, Channel::request, Channel::content})
        EXPECT_EQ(next[channel], per_channel);
}

constexpr Channel all_channels[] = {Channel::consensus, Channel::gossip, Channel::sync, Channel::request, Channel::content};
constexpr uint32_t channels = std::size(all_channels);

TEST(TransportTest, TwoTransportsExchangeFramesOnEveryChannelInOrder) {
    auto keys = sorted_keys(2);
    Node a(std::move(keys[0])), b(std::move(keys[1]));
    connect_all({&a, &b});
    constexpr uint32_t per_channel = 200;
    for (uint32_t i = 0; i < per_channel; ++i)
        for (Channel channel : all_channels) {
            // Sizes vary up to 20 KiB so frames span TLS records and write batches.
            ASSERT_EQ(a.transport->send(b.key.public_key(), channel, numbered(channel, i, (i * 997) % 20000)), SendResult::queued);
            ASSERT_EQ(b.transport->send(a.key.public_key(), channel, numbered(channel, i, 8)), SendResult::queued);
        }
    ASSERT_TRUE(eventually([&] { return a.inbox.count() == channels * per_channel && b.inbox.count() == channels * per_channel; }));
    expect_in_order(b.inbox, a.key.public_key(), per_channel);
    expect_in_order(a.inbox, b.key.public_key(), per_channel);
    const auto status = a.status_of(b.key.public_key()).value();
    EXPECT_TRUE(status.connected);
    EXPECT_EQ(status.frames_sent, channels * per_channel);
    EXPECT_EQ(status.frames_received, channels * per_channel);
    EXPECT_EQ(status.connects, 1u);
    EXPECT_EQ(status.disconnects, 0u);
    EXPECT_GT(status.bytes_sent, channels * per_channel * 5);
    EXPECT_EQ(status.queued_bytes, 0u);
}

TEST(TransportTest, ThreeTransportsOneConnectionPerPair) {
    auto keys = sorted_keys(3);
    Node a(std::move(keys[0])), b(std::move(keys[1])), c(std::move(keys[2]));
    std::vector<Node*> nodes{&a, &b, &c};
    connect_all(nodes);
    constexpr uint32_t per_channel = 30;
    for (Node* from : nodes) {
        for (Node* to : nodes) {
            if (from == to) continue;
            for (uint32_t i = 0; i < per_channel; ++i) {
                for (Channel channel : all_channels) {
                    ASSERT_EQ(from->transport->send(to->key.public_key(), channel, numbered(channel, i)), SendResult::queued);
                }
            }
        }
    }
    ASSERT_TRUE(eventually([&] {
        return std::all_of(nodes.begin(), nodes.end(), [](Node* n) { return n->inbox.count() == 2 * channels * per_channel; });
    }));
    for (Node* to : nodes) {
        for (Node* from : nodes) {
            if (from != to) expect_in_order(to->inbox, from->key.public_key(), per_channel);
        }
    }
    // Keepalives flow; still exactly one connection per pair, never replaced.
    std::this_thread::sleep_for(200ms);
    for (Node* node : nodes) {
        for (const auto& status : node->transport->peer_status()) {
            EXPECT_TRUE(status.connected);
            EXPECT_EQ(status.connects, 1u);
            EXPECT_EQ(status.disconnects, 0u);
        }
    }
}

TEST(TransportTest, RefusesUnregisteredKeyAndWrongKeyAtAddress) {
    auto keys = sorted_keys(4);
    // intruder < a < b: the intruder dials a, which does not know its key.
    Node intruder(std::move(keys[0])), a(std::move(keys[1])), b(std::move(keys[2]));
    const crypto::NodePublicKey absent = keys[3].public_key();  // a dials it (a < absent), b answers
    connect_all({&a, &b});
    intruder.transport->set_peers({a.address()});
    ASSERT_EQ(intruder.transport->send(a.key.public_key(), Channel::consensus, Bytes{1, 2, 3}), SendResult::queued);
    ASSERT_TRUE(eventually([&] { return a.connected_to(b) && b.connected_to(a); }));
    // a also expects `absent` at b's address: b's certificate carries another key.
    auto peers = std::vector<PeerAddress>{b.address(), PeerAddress{absent, "127.0.0.1", b.transport->port()}};
    a.transport->set_peers(peers);

    std::this_thread::sleep_for(600ms);  // several dial attempts with backoff
    EXPECT_EQ(a.inbox.count_from(intruder.key.public_key()), 0u);
    const auto intruder_view = intruder.status_of(a.key.public_key()).value();
    EXPECT_FALSE(intruder_view.connected);
    EXPECT_EQ(intruder_view.connects, 0u);
    EXPECT_EQ(intruder_view.frames_sent, 0u);
    const auto absent_view = a.status_of(absent).value();
    EXPECT_FALSE(absent_view.connected);
    EXPECT_EQ(absent_view.connects, 0u);
    // The registered pair is untouched.
    ASSERT_EQ(a.transport->send(b.key.public_key(), Channel::request, Bytes{7}), SendResult::queued);
    ASSERT_TRUE(eventually([&] { return b.inbox.count_from(a.key.public_key()) == 1; }));
    EXPECT_EQ(a.status_of(b.key.public_key())->connects, 1u);
}

int tcp_connect(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
}

// Reads until the server closes; true when it did within the receive timeout.
bool server_closes(int fd) {
    std::array<char, 4096> buffer{};
    for (;;) {
        const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
        if (n == 0) return true;
        if (n < 0) return errno == ECONNRESET;
    }
}

TEST(TransportTest, PlainTcpGarbageAndTruncatedBytesDoNotDisturbRealPeers) {
    auto keys = sorted_keys(2);
    auto options = test_options();
    options.handshake_timeout_ms = 300;
    Node a(std::move(keys[0]), options), b(std::move(keys[1]));
    connect_all({&a, &b});
    ASSERT_TRUE(eventually([&] { return a.connected_to(b); }));

    // Garbage instead of a TLS ClientHello: refused at once.
    const int garbage = tcp_connect(a.transport->port());
    ASSERT_GE(garbage, 0);
    Bytes junk(4096);
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<uint8_t>(i * 31 + 7);
    ASSERT_EQ(::send(garbage, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
    // Something that looks like a frame header, then silence: closed at the handshake timeout.
    const int truncated = tcp_connect(a.transport->port());
    ASSERT_GE(truncated, 0);
    const uint8_t header[] = {100, 0, 0, 0, 1, 9, 9};
    ASSERT_EQ(::send(truncated, header, sizeof header, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof header));
    // A client that connects and sends nothing.
    const int silent = tcp_connect(a.transport->port());
    ASSERT_GE(silent, 0);

    EXPECT_TRUE(server_closes(garbage));
    EXPECT_TRUE(server_closes(truncated));
    EXPECT_TRUE(server_closes(silent));
    ::close(garbage);
    ::close(truncated);
    ::close(silent);

    ASSERT_EQ(b.transport->send(a.key.public_key(), Channel::gossip, Bytes{4, 2}), SendResult::queued);
    ASSERT_TRUE(eventually([&] { return a.inbox.count_from(b.key.public_key()) == 1; }));
    EXPECT_EQ(a.status_of(b.key.public_key())->connects, 1u);
}

// A registered peer that sends malformed frames loses its connection (with a logged reason); the
// receiver keeps running and the peer's later, well-formed frames arrive after the reconnect.
TEST(TransportTest, MalformedFramesFromARegisteredPeerCloseOnlyThatConnection) {
    auto keys = sorted_keys(3);
    auto options = test_options();
    options.frame_bytes_max = 1024;
    options.idle_timeout_ms = 600;
    auto quiet = test_options();
    quiet.keepalive = false;  // so a truncated frame is followed by silence
    quiet.idle_timeout_ms = 600;
    Node a(std::move(keys[0]), options), b(std::move(keys[1]), quiet), c(std::move(keys[2]), options);
    connect_all({&a, &b, &c});
    ASSERT_TRUE(eventually([&] { return a.connected_to(b) && a.connected_to(c); }));

    struct Case {
        const char* name;
        Bytes raw;
    };
    const Case cases[] = {
        {"bad channel", Bytes{1, 0, 0, 0, 7, 0}},
        {"oversized", Bytes{0x01, 0x04, 0, 0, 0}},      // 1025 > 1024
        {"truncated", Bytes{100, 0, 0, 0, 1, 1, 2, 3}},  // 3 of 100 payload bytes, then silence
    };
    uint64_t disconnects = 0;
    uint32_t delivered = 0;
    for (const auto& test_case : cases) {
        SCOPED_TRACE(test_case.name);
        ASSERT_TRUE(eventually([&] { return a.connected_to(b) && b.connected_to(a); }));
        ASSERT_EQ(b.transport->send_raw_for_test(a.key.public_key(), test_case.raw), SendResult::queued);
        ASSERT_TRUE(eventually([&] { return a.status_of(b.key.public_key())->disconnects > disconnects; }, 5s));
        disconnects = a.status_of(b.key.public_key())->disconnects;
        // The other peer is unaffected.
        ASSERT_EQ(c.transport->send(a.key.public_key(), Channel::consensus, numbered(Channel::consensus, delivered)), SendResult::queued);
        ++delivered;
        ASSERT_TRUE(eventually([&] { return a.inbox.count_from(c.key.public_key()) == delivered; }));
        EXPECT_EQ(a.status_of(c.key.public_key())->connects, 1u);
    }
    // b reconnects and its well-formed frames arrive.
    ASSERT_TRUE(eventually([&] { return a.connected_to(b) && b.connected_to(a); }));
    ASSERT_EQ(b.transport->send(a.key.public_key(), Channel::sync, Bytes{5}), SendResult::queued);
    ASSERT_TRUE(eventually([&] { return a.inbox.count_from(b.key.public_key()) == 1; }));
    EXPECT_EQ(a.inbox.count_from(b.key.public_key()), 1u);  // nothing of the malformed frames was delivered
}

TEST(TransportTest, IdleButHealthyConnectionsStayUp) {
    auto keys = sorted_keys(2);
    auto options = test_options();
    options.idle_timeout_ms = 150;
    Node a(std::move(keys[0]), options), b(std::move(keys[1]), options);
    connect_all({&a, &b});
    ASSERT_TRUE(eventually([&] { return a.connected_to(b) && b.connected_to(a); }));
    std::this_thread::sleep_for(1000ms);  // > 6 idle timeouts with no application frames
    EXPECT_EQ(a.status_of(b.key.public_key())->connects, 1u);
    EXPECT_EQ(a.status_of(b.key.public_key())->disconnects, 0u);
    EXPECT_EQ(b.status_of(a.key.public_key())->disconnects, 0u);
}

TEST(TransportTest, QueueFullBackpressure) {
    auto keys = sorted_keys(3);
    auto options = test_options();
    options.channel_queue_bytes_max = 1000;
    options.frame_bytes_max = 5000;
    Node a(std::move(keys[0]), options);
    // The peer is registered but nobody listens at its address: frames stay queued.
    const auto peer = keys[1].public_key();
    a.transport->set_peers({PeerAddress{peer, "127.0.0.1", 1}});
    for (int i = 0; i < 10; ++i) ASSERT_EQ(a.transport->send(peer, Channel::consensus, Bytes(100, 1)), SendResult::queued);
    EXPECT_EQ(a.transport->send(peer, Channel::consensus, Bytes(1, 1)), SendResult::queue_full);
    // Other channels have their own queue.
    EXPECT_EQ(a.transport->send(peer, Channel::gossip, Bytes(1000, 1)), SendResult::queued);
    EXPECT_EQ(a.transport->send(peer, Channel::gossip, Bytes(1, 1)), SendResult::queue_full);
    // A frame larger than the queue fits only into an empty queue; over the frame maximum never.
    EXPECT_EQ(a.transport->send(peer, Channel::sync, Bytes(4000, 1)), SendResult::queued);
    EXPECT_EQ(a.transport->send(peer, Channel::request, Bytes(5001, 1)), SendResult::queue_full);
    EXPECT_EQ(a.transport->send(keys[2].public_key(), Channel::request, Bytes(1, 1)), SendResult::unknown_peer);
    const auto status = a.status_of(peer).value();
    EXPECT_EQ(status.frames_dropped_queue_full, 3u);
    EXPECT_EQ(status.queued_bytes, 1000u + 1000u + 4000u);
    EXPECT_FALSE(status.connected);
    a.transport->stop();
    EXPECT_EQ(a.transport->send(peer, Channel::consensus, Bytes(1, 1)), SendResult::stopped);
}

// A payload in two parts (head, then a tail the sender's buffer keeps alive) arrives as one
// payload, byte for byte, in order with the channel's other frames; the transport holds the tail's
// owner until the frame is written, so the sender may drop its own reference at once.
TEST(TransportTest, SendFrameDeliversHeadAndTailAsOnePayload) {
    auto keys = sorted_keys(2);
    Node a(std::move(keys[0])), b(std::move(keys[1]));
    connect_all({&a, &b});
    const auto to = b.key.public_key();
    std::vector<Bytes> expected;
    std::vector<std::weak_ptr<const Bytes>> tails;
    for (uint32_t i = 0; i < 20; ++i) {
        Bytes whole = numbered(Channel::sync, i, 5 + (i * 7919) % 300000);  // up to 300 KB: several TLS records
        for (size_t k = 5; k < whole.size(); ++k) whole[k] = static_cast<uint8_t>(k * 31 + i);
        const size_t split = i % 3 == 0 ? whole.size() : 5 + (whole.size() - 5) * i / 20;  // some with no tail
        auto tail = std::make_shared<const Bytes>(whole.begin() + static_cast<std::ptrdiff_t>(split), whole.end());
        FramePayload payload{Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(split)), tail, ByteSpan(*tail)};
        tails.push_back(tail);
        tail.reset();
        ASSERT_EQ(a.transport->send_frame(to, Channel::sync, payload), SendResult::queued);
        EXPECT_TRUE(payload.head.empty() && payload.tail.empty() && !payload.tail_owner);  // taken
        if (i == 0) {
            ASSERT_EQ(a.transport->send(to, Channel::sync, numbered(Channel::sync, 1000, 8)), SendResult::queued);
        }
        expected.push_back(std::move(whole));
    }
    ASSERT_TRUE(eventually([&] { return b.inbox.count() == expected.size() + 1; }));
    const auto frames = b.inbox.snapshot();
    size_t next = 0;
    for (const auto& frame : frames) {
        ASSERT_EQ(frame.channel, Channel::sync);
        if (index_of(frame.payload) == 1000) {
            EXPECT_EQ(next, 1u);  // after the first two-part frame, before the second
            continue;
        }
        ASSERT_LT(next, expected.size());
        EXPECT_EQ(frame.payload, expected[next]) << "frame " << next;
        ++next;
    }
    EXPECT_EQ(next, expected.size());
    // Written: the transport let go of every tail.
    EXPECT_TRUE(eventually([&] { return std::all_of(tails.begin(), tails.end(), [](const auto& tail) { return tail.expired(); }); }));
}

// A frame send_frame refuses stays with the caller, whole, to be offered again.
TEST(TransportTest, SendFrameLeavesARefusedPayloadWithTheCaller) {
    auto keys = sorted_keys(2);
    auto options = test_options();
    options.channel_queue_bytes_max = 1000;
    options.frame_bytes_max = 5000;
    Node a(std::move(keys[0]), options);
    const auto peer = keys[1].public_key();
    a.transport->set_peers({PeerAddress{peer, "127.0.0.1", 1}});  // nobody listens: frames stay queued
    ASSERT_EQ(a.transport->send(peer, Channel::content, Bytes(900, 1)), SendResult::queued);
    const auto tail = std::make_shared<const Bytes>(200, 7);
    FramePayload payload{Bytes(50, 3), tail, ByteSpan(*tail)};
    EXPECT_EQ(a.transport->send_frame(peer, Channel::content, payload), SendResult::queue_full);
    EXPECT_EQ(payload.head, Bytes(50, 3));
    EXPECT_EQ(payload.tail_owner, tail);
    EXPECT_EQ(payload.tail.data(), tail->data());
    EXPECT_EQ(payload.tail.size(), 200u);
    EXPECT_EQ(a.status_of(peer).value().queued_bytes, 900u);
    // Over the frame maximum (head and tail together): refused, kept as well.
    const auto big = std::make_shared<const Bytes>(4990, 7);
    FramePayload oversized{Bytes(11, 3), big, ByteSpan(*big)};
    EXPECT_EQ(a.transport->send_frame(peer, Channel::sync, oversized), SendResult::queue_full);
    EXPECT_EQ(oversized.size(), 5001u);
}

// Frames sent while a WriteBatch lives stay queued until it ends (nested batches: the outermost),
// then all go out, in order: a reply of several frames leaves in one write, not its first frame
// alone (net/write_batch.h).
TEST(TransportTest, AWriteBatchHoldsItsFramesUntilItEnds) {
    auto keys = sorted_keys(2);
    auto options = test_options();
    options.idle_timeout_ms = 60'000;  // no keep-alive ping write during the test
    Node a(std::move(keys[0]), options), b(std::move(keys[1]), options);
    connect_all({&a, &b});
    const auto to = b.key.public_key();
    ASSERT_TRUE(eventually([&] { return a.connected_to(b) && b.connected_to(a); }));
    // A write already running takes whatever is queued when it completes (a batch defers only the
    // wake-up of an idle writer): settle the connection's first writes with one frame first.
    ASSERT_EQ(a.transport->send(to, Channel::content, numbered(Channel::content, 7)), SendResult::queued);
    ASSERT_TRUE(eventually([&] { return b.inbox.count() == 1; }));
    const uint64_t sent_before = a.status_of(to).value().frames_sent;
    const size_t big_bytes = 300'000;
    {
        WriteBatch batch;
        {
            WriteBatch nested;
            ASSERT_EQ(a.transport->send(to, Channel::content, numbered(Channel::content, 0)), SendResult::queued);
        }
        const auto tail = std::make_shared<const Bytes>(numbered(Channel::content, 1, big_bytes));
        FramePayload payload{Bytes{}, tail, ByteSpan(*tail)};
        ASSERT_EQ(a.transport->send_frame(to, Channel::content, payload), SendResult::queued);
        // Nothing to wait for: without the batch the I/O thread writes both at once, so it gets
        // the time to (and must not use it).
        EXPECT_FALSE(eventually([&] { return b.inbox.count() > 1 || a.status_of(to).value().frames_sent != sent_before; }, 300ms));
        EXPECT_EQ(a.status_of(to).value().queued_bytes, 16 + big_bytes);
    }
    ASSERT_TRUE(eventually([&] { return b.inbox.count() == 3; }));
    const auto frames = b.inbox.snapshot();
    EXPECT_EQ(index_of(frames[1].payload), 0u);
    EXPECT_EQ(index_of(frames[2].payload), 1u);
    EXPECT_EQ(frames[2].payload.size(), big_bytes);
    EXPECT_EQ(a.status_of(to).value().frames_sent, sent_before + 2);
    EXPECT_EQ(a.status_of(to).value().queued_bytes, 0u);
}

TEST(TransportTest, ReconnectsAfterPeerRestartsOnTheSamePort) {
    // Restart the dialer (smaller key), then the listener (larger key).
    for (int restarted = 0; restarted < 2; ++restarted) {
        SCOPED_TRACE(restarted == 0 ? "dialer restarts" : "listener restarts");
        auto keys = sorted_keys(2);
        Node a(std::move(keys[0])), b(std::move(keys[1]));
        connect_all({&a, &b});
        Node& gone = restarted == 0 ? a : b;
        Node& stays = restarted == 0 ? b : a;
        ASSERT_EQ(stays.transport->send(gone.key.public_key(), Channel::sync, Bytes{1}), SendResult::queued);
        ASSERT_TRUE(eventually([&] { return gone.inbox.count() == 1; }));

        auto options = test_options();
        options.listen_port = gone.transport->port();
        const auto stays_address = stays.address();
        gone.transport->stop();
        gone.transport.reset();
        ASSERT_TRUE(eventually([&] { return !stays.connected_to(gone); }));
        // Queued while the peer is away, delivered after it is back.
        ASSERT_EQ(stays.transport->send(gone.key.public_key(), Channel::sync, Bytes{2}), SendResult::queued);
        std::this_thread::sleep_for(300ms);  // a few failed dials: backoff grows to reconnect_max_ms
        gone.start(options);
        ASSERT_EQ(gone.transport->port(), options.listen_port);
        gone.transport->set_peers({stays_address});
        ASSERT_TRUE(eventually([&] { return stays.connected_to(gone) && gone.connected_to(stays); }));
        ASSERT_TRUE(eventually([&] { return gone.inbox.count() == 2; }));
        EXPECT_EQ(gone.inbox.snapshot().back().payload, Bytes{2});
        EXPECT_EQ(stays.status_of(gone.key.public_key())->connects, 2u);
        EXPECT_EQ(stays.status_of(gone.key.public_key())->disconnects, 1u);
    }
}

TEST(TransportTest, StopJoinsWhileSendersAreBusy) {
    auto keys = sorted_keys(2);
    Node a(std::move(keys[0])), b(std::move(keys[1]));
    connect_all({&a, &b});
    ASSERT_TRUE(eventually([&] { return a.connected_to(b); }));
    std::atomic<bool> running{true};
    std::atomic<uint64_t> stopped_results{0};
    std::thread sender([&] {
        uint32_t i = 0;
        while (running) {
            if (a.transport->send(b.key.public_key(), Channel::consensus, numbered(Channel::consensus, i++, 2000)) == SendResult::stopped)
                stopped_results += 1;
        }
    });
    ASSERT_TRUE(eventually([&] { return b.inbox.count() > 100; }));
    a.transport->stop();
    b.transport->stop();
    b.transport->stop();  // idempotent
    EXPECT_TRUE(eventually([&] { return stopped_results > 0; }));
    running = false;
    sender.join();
    EXPECT_EQ(b.transport->send(a.key.public_key(), Channel::consensus, Bytes{1}), SendResult::stopped);
}

TEST(TransportTest, RemovingAPeerClosesItsConnection) {
    auto keys = sorted_keys(2);
    Node a(std::move(keys[0])), b(std::move(keys[1]));
    connect_all({&a, &b});
    ASSERT_TRUE(eventually([&] { return a.connected_to(b) && b.connected_to(a); }));
    b.transport->set_peers({});
    EXPECT_EQ(b.transport->send(a.key.public_key(), Channel::consensus, Bytes{1}), SendResult::unknown_peer);
    ASSERT_TRUE(eventually([&] { return !a.connected_to(b); }));
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(a.connected_to(b));  // redials are refused
}

TEST(TransportTest, ConnectionLimitRefusesConnectionsOverIt) {
    auto keys = sorted_keys(3);
    auto limited = test_options();
    limited.inbound_connections_max = 1;
    // a and b dial c (the largest key), which takes one connection only.
    Node a(std::move(keys[0])), b(std::move(keys[1])), c(std::move(keys[2]), limited);
    a.transport->set_peers({c.address()});
    b.transport->set_peers({c.address()});
    c.transport->set_peers({a.address(), b.address()});
    ASSERT_TRUE(eventually([&] { return c.connected_to(a) || c.connected_to(b); }));
    std::this_thread::sleep_for(500ms);  // the other keeps redialing and is refused
    EXPECT_NE(c.connected_to(a), c.connected_to(b));
    EXPECT_NE(a.connected_to(c), b.connected_to(c));
}

// A plain TCP socket from `source` (a loopback address) to 127.0.0.1:port, held open; -1 when
// the connection could not be made.
int plain_connection(const char* source, uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
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
        return -1;
    }
    return fd;
}

// Issue 15: 300 plain TCP connections from one address, held silent for longer than the test
// (the handshake timeout is 60 s), used to take every connection slot until they timed out: a
// registered peer could not connect and the node could not dial. Now that address holds
// unauthenticated_per_ip_max slots, the rest is refused and counted, and peers connect both ways.
TEST(TransportTest, PlainConnectionsFromOneAddressCannotLockOutPeers) {
    auto keys = sorted_keys(3);
    auto options = test_options();
    options.handshake_timeout_ms = 60'000;
    options.idle_timeout_ms = 60'000;
    // a dials target (a's key is smaller); target dials b (target's key is smaller).
    Node a(std::move(keys[0]), options), target(std::move(keys[1]), options), b(std::move(keys[2]), options);
    constexpr size_t flood = 300;  // more than the 256 connections the transport took in before
    std::vector<int> held;
    for (size_t i = 0; i < flood; ++i) {
        const int fd = plain_connection("127.0.0.2", target.transport->port());
        if (fd >= 0) held.push_back(fd);
    }
    ASSERT_EQ(held.size(), flood);  // the kernel completes TCP handshakes before the transport decides
    const size_t kept = options.unauthenticated_per_ip_max;
    ASSERT_TRUE(eventually([&] { return target.transport->counters().refused_per_ip_limit == flood - kept; }))
        << target.transport->counters().refused_per_ip_limit;
    EXPECT_EQ(target.transport->counters().unauthenticated, kept);
    EXPECT_EQ(target.transport->counters().inbound, kept);

    a.transport->set_peers({target.address()});
    b.transport->set_peers({target.address()});
    target.transport->set_peers({a.address(), b.address()});
    EXPECT_TRUE(eventually([&] { return target.connected_to(a) && a.connected_to(target); }, 5s)) << "the registered peer cannot get in";
    EXPECT_TRUE(eventually([&] { return target.connected_to(b) && b.connected_to(target); }, 5s)) << "the node cannot dial out";
    const auto counters = target.transport->counters();
    EXPECT_EQ(counters.outbound, 1u);
    EXPECT_EQ(counters.inbound, kept + 1);  // the flood's slots and a's connection
    EXPECT_EQ(counters.unauthenticated, kept);
    EXPECT_EQ(counters.refused_inbound_limit + counters.refused_unauthenticated_limit, 0u);
    EXPECT_EQ(counters.dials_deferred, 0u);
    for (const int fd : held) ::close(fd);
    // Closed by the other side, the held connections give their slots back.
    EXPECT_TRUE(eventually([&] { return target.transport->counters().unauthenticated == 0; }));
}

TEST(TransportTest, UnauthenticatedBudgetIsSharedByAllAddresses) {
    auto keys = sorted_keys(1);
    auto options = test_options();
    options.handshake_timeout_ms = 60'000;
    options.unauthenticated_max = 6;
    options.unauthenticated_per_ip_max = 4;
    Node target(std::move(keys[0]), options);
    std::vector<int> held;
    for (const char* source : {"127.0.0.2", "127.0.0.3", "127.0.0.4"}) {
        for (int i = 0; i < 4; ++i) held.push_back(plain_connection(source, target.transport->port()));
    }
    ASSERT_TRUE(eventually([&] {
        const auto c = target.transport->counters();
        return c.refused_per_ip_limit + c.refused_unauthenticated_limit == 6;
    }));
    const auto counters = target.transport->counters();
    EXPECT_EQ(counters.unauthenticated, 6u);
    EXPECT_EQ(counters.refused_unauthenticated_limit, 6u);  // 4 + 2 took the budget; the last 6 found it spent
    EXPECT_EQ(counters.refused_per_ip_limit, 0u);
    for (const int fd : held) ::close(fd);
}

TEST(TransportTest, StartFailsOnABusyPort) {
    auto keys = sorted_keys(2);
    Node a(std::move(keys[0]));
    auto options = test_options();
    options.listen_port = a.transport->port();
    Inbox inbox;
    // reuse_address lets a restarted node bind past TIME_WAIT, not over a live listener.
    auto second = Transport::start(options, keys[1], inbox.handler());
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace fleek::net
