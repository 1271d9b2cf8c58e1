// The peer content transfer over the real transport: two net::Transport instances in one
// process (TLS over loopback TCP), the provider's and requester's messages on Channel::content.
#include "edge/transfer_loopback_test.h"
#include "net/transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <random>
#include <thread>

namespace fleek::edge {
namespace {

using namespace std::chrono_literals;

struct Inbox {
    std::mutex mutex;
    std::vector<std::pair<crypto::NodePublicKey, Bytes>> messages;

    net::FrameHandler handler() {
        return [this](const crypto::NodePublicKey& from, net::Channel channel, Bytes payload) {
            if (channel != net::Channel::content) return;
            std::lock_guard lock(mutex);
            messages.emplace_back(from, std::move(payload));
        };
    }
    std::vector<std::pair<crypto::NodePublicKey, Bytes>> take() {
        std::lock_guard lock(mutex);
        return std::exchange(messages, {});
    }
};

struct Side {
    crypto::NodeSecretKey key;
    Inbox inbox;
    std::unique_ptr<net::Transport> transport;
    fleek::testing::ScratchDirectory dir;
    std::unique_ptr<content::Blockstore> store;
    std::unique_ptr<TransferServer> server;
    std::unique_ptr<TransferClient> client;

    explicit Side(uint8_t seed) : key(loopback::node_key(seed)) {
        net::TransportOptions options;
        options.listen_host = "127.0.0.1";
        options.listen_port = 0;
        auto started = net::Transport::start(options, key, inbox.handler());
        EXPECT_TRUE(started) << (started ? "" : started.error());
        transport = std::move(*started);
        store = content::Blockstore::open(dir / "store", {}).value();
        const auto send = [this](const crypto::NodePublicKey& to, net::FramePayload& message) {
            return transport->send_frame(to, net::Channel::content, message);
        };
        server = std::make_unique<TransferServer>(*store, send);
        client = std::make_unique<TransferClient>(*store, send);
    }
    net::PeerAddress address() const { return {key.public_key(), "127.0.0.1", transport->port()}; }
    bool connected_to(const Side& other) const {
        for (const auto& status : transport->peer_status()) {
            if (status.key == other.key.public_key()) return status.connected;
        }
        return false;
    }
    // Hands what arrived to the provider or the requester side; true when there was something.
    bool dispatch(uint64_t now_ms) {
        auto messages = inbox.take();
        for (auto& [from, payload] : messages) {
            if (content::transfer_direction(payload) == content::TransferDirection::to_provider) {
                server->on_message(from, payload, now_ms);
            } else {
                client->on_message(from, payload, now_ms);
            }
        }
        return !messages.empty();
    }
};

uint64_t steady_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

TEST(TransferOverTransport, AFileCrossesTwoTransportsVerifiedAndStored) {
    Side provider(41), requester(42);
    provider.transport->set_peers({requester.address()});
    requester.transport->set_peers({provider.address()});
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!(provider.connected_to(requester) && requester.connected_to(provider)) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(provider.connected_to(requester) && requester.connected_to(provider));

    std::mt19937 rng(5);
    Bytes content(40 * content::block_size + 1234);
    for (auto& b : content) b = static_cast<uint8_t>(rng());
    const content::Hash32 hash = provider.store->put(content).value();

    auto sink = std::make_shared<loopback::RecordingSink>();
    ASSERT_TRUE(requester.client->fetch(provider.key.public_key(), FetchRequest{hash, 0, 0, std::nullopt, std::nullopt}, sink, steady_ms()));
    uint64_t last_tick = steady_ms();
    while (!sink->done && std::chrono::steady_clock::now() < deadline) {
        const uint64_t now = steady_ms();
        const bool busy = provider.dispatch(now) | requester.dispatch(now);
        if (now - last_tick >= 100) {
            provider.server->tick(now);
            requester.client->tick(now);
            last_tick = now;
        }
        if (!busy) std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(sink->done);
    ASSERT_TRUE(*sink->done) << sink->done->error().describe();
    EXPECT_TRUE(sink->bytes == content);
    EXPECT_TRUE((*sink->done)->stored);
    EXPECT_EQ(requester.store->read_range(hash, 0, content.size()).value(), content);
    const auto stats = requester.client->stats(provider.key.public_key());
    EXPECT_EQ(stats.succeeded, 1u);
    EXPECT_EQ(stats.bad_messages, 0u);
    EXPECT_EQ(stats.blocks_verified, 41u);
    // The transport never refused a content frame.
    for (const auto& status : provider.transport->peer_status()) EXPECT_EQ(status.frames_dropped_queue_full, 0u);
}

}  // namespace
}  // namespace fleek::edge
