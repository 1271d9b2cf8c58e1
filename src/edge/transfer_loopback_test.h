// Test support: providers and requesters of the peer content transfer connected in process, no
// sockets. Each direction between two nodes is a link that behaves like the transport's
// per-channel send queue (bounded bytes, `queue_full`, a frame larger than the bound only into an
// empty queue) and records how full it got; a link can tamper with or drop messages.
#pragma once

#include "edge/transfer_client.h"
#include "edge/transfer_server.h"
#include "tests/support/files.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

namespace fleek::edge::loopback {

inline crypto::NodeSecretKey node_key(uint8_t seed_byte) {
    std::array<uint8_t, 32> seed{};
    seed.fill(seed_byte);
    return crypto::NodeSecretKey::from_seed(seed).value();
}

struct Link {
    std::deque<Bytes> queue;
    size_t bytes = 0;
    size_t max_bytes = 0;       // the most it ever held
    uint64_t refused = 0;       // sends answered queue_full
    uint64_t delivered = 0;
    bool connected = true;      // false: sends answer unknown_peer
    // Called on each message as it is delivered; false drops it.
    std::function<bool(Bytes&)> tamper;
};

struct Node {
    explicit Node(const crypto::NodePublicKey& key_) : key(key_) {}
    crypto::NodePublicKey key;
    fleek::testing::ScratchDirectory dir;
    std::unique_ptr<content::Blockstore> store;
    std::unique_ptr<TransferServer> server;
    std::unique_ptr<TransferClient> client;
};

class Loopback {
public:
    explicit Loopback(size_t queue_bytes_max = size_t{8} << 20) : m_queue_bytes_max(queue_bytes_max) {}

    Node& add_node(uint8_t seed, TransferServerOptions server_options = {}, TransferClientOptions client_options = {},
                   content::BlockstoreOptions store_options = {}) {
        auto node = std::make_unique<Node>(node_key(seed).public_key());
        auto store = content::Blockstore::open(node->dir / "store", store_options);
        EXPECT_TRUE(store) << (store ? "" : store.error());
        node->store = std::move(*store);
        const crypto::NodePublicKey self = node->key;
        const auto send = [this, self](const crypto::NodePublicKey& to, net::FramePayload& message) { return this->send(self, to, message); };
        node->server = std::make_unique<TransferServer>(*node->store, send, server_options);
        node->client = std::make_unique<TransferClient>(*node->store, send, client_options);
        Node& added = *node;
        m_nodes.emplace(self, std::move(node));
        return added;
    }

    net::SendResult send(const crypto::NodePublicKey& from, const crypto::NodePublicKey& to, Bytes payload) {
        net::FramePayload message = transfer_payload(std::move(payload));
        return send(from, to, message);
    }

    // Like Transport::send_frame: takes the message (joined into one payload) only when queued.
    net::SendResult send(const crypto::NodePublicKey& from, const crypto::NodePublicKey& to, net::FramePayload& message) {
        Link& l = link(from, to);
        if (!l.connected || m_nodes.count(to) == 0) return net::SendResult::unknown_peer;
        if (l.bytes != 0 && l.bytes + message.size() > m_queue_bytes_max) {
            ++l.refused;
            return net::SendResult::queue_full;
        }
        Bytes payload = std::move(message.head);
        payload.insert(payload.end(), message.tail.begin(), message.tail.end());
        message = net::FramePayload{};
        l.bytes += payload.size();
        l.max_bytes = std::max(l.max_bytes, l.bytes);
        l.queue.push_back(std::move(payload));
        return net::SendResult::queued;
    }

    Link& link(const crypto::NodePublicKey& from, const crypto::NodePublicKey& to) { return m_links[{from, to}]; }

    // Delivers queued messages, one per link per round, until none is left or `max_messages` were
    // delivered; returns how many were delivered.
    size_t run(size_t max_messages = SIZE_MAX) {
        size_t delivered = 0;
        bool any = true;
        while (any && delivered < max_messages) {
            any = false;
            for (auto& [ends, l] : m_links) {
                if (l.queue.empty() || delivered >= max_messages) continue;
                Bytes payload = std::move(l.queue.front());
                l.queue.pop_front();
                l.bytes -= payload.size();
                ++l.delivered;
                any = true;
                ++delivered;
                if (l.tamper && !l.tamper(payload)) continue;
                // Shared like the node's frames, so requesters hand blocks on as views into it.
                auto owner = std::make_shared<const Bytes>(std::move(payload));
                dispatch(ends.first, ends.second, *owner, owner);
            }
        }
        return delivered;
    }

    void dispatch(const crypto::NodePublicKey& from, const crypto::NodePublicKey& to, ByteSpan payload,
                  std::shared_ptr<const void> owner = nullptr) {
        Node& target = *m_nodes.at(to);
        if (content::transfer_direction(payload) == content::TransferDirection::to_provider) {
            target.server->on_message(from, payload, now_ms);
        } else {
            target.client->on_message(from, payload, now_ms, std::move(owner));
        }
    }

    void tick() {
        for (auto& [key, node] : m_nodes) {
            node->server->tick(now_ms);
            node->client->tick(now_ms);
        }
    }

    uint64_t now_ms = 1000;

private:
    size_t m_queue_bytes_max;
    std::map<crypto::NodePublicKey, std::unique_ptr<Node>> m_nodes;
    std::map<std::pair<crypto::NodePublicKey, crypto::NodePublicKey>, Link> m_links;
};

// Records what a fetch hands out.
struct RecordingSink : FetchSink {
    struct File {
        uint64_t content_length, first_block, end_block;
    };
    std::optional<File> file;
    std::vector<uint64_t> blocks;
    Bytes bytes;
    std::optional<Result<Fetched, FetchError>> done;
    size_t stop_after_blocks = SIZE_MAX;

    void on_file(uint64_t content_length, uint64_t first_block, uint64_t end_block) override {
        EXPECT_FALSE(file) << "on_file twice";
        EXPECT_TRUE(blocks.empty()) << "on_file after a block";
        file = File{content_length, first_block, end_block};
    }
    bool on_block(uint64_t index, ByteSpan block) override {
        EXPECT_TRUE(file) << "block before on_file";
        EXPECT_TRUE(blocks.empty() || blocks.back() + 1 == index) << "blocks out of order";
        blocks.push_back(index);
        bytes.insert(bytes.end(), block.begin(), block.end());
        return blocks.size() < stop_after_blocks;
    }
    void on_done(const Result<Fetched, FetchError>& outcome) override {
        EXPECT_FALSE(done) << "on_done twice";
        done = outcome;
    }
    bool succeeded() const { return done && done->has_value(); }
    FetchFailure failure() const { return done && !done->has_value() ? done->error().failure : FetchFailure::cancelled; }
};

inline Bytes random_bytes(size_t size, uint32_t seed) {
    std::mt19937 rng(seed);
    Bytes out(size);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
}

inline content::Hash32 put(Node& node, const Bytes& content) { return node.store->put(content).value(); }

inline FetchRequest request(const content::Hash32& hash, uint64_t first_block = 0, uint64_t end_block = 0,
                     std::optional<content::ObjectKind> expect = std::nullopt, std::optional<uint64_t> deadline_ms = std::nullopt) {
    FetchRequest out;
    out.hash = hash;
    out.first_block = first_block;
    out.end_block = end_block;
    out.expect = expect;
    out.deadline_ms = deadline_ms;
    return out;
}

// Starts a fetch whose outcome the returned sink records.
inline std::shared_ptr<RecordingSink> fetch(Loopback& net, Node& requester, Node& provider, const FetchRequest& request) {
    auto sink = std::make_shared<RecordingSink>();
    auto started = requester.client->fetch(provider.key, request, sink, net.now_ms);
    EXPECT_TRUE(started) << (started ? "" : to_string(started.error()));
    return sink;
}

// Bytes of blocks [first_block, end_block) of `content`.
inline Bytes slice(const Bytes& content, uint64_t first_block, uint64_t end_block) {
    const uint64_t begin = std::min<uint64_t>(first_block * content::block_size, content.size());
    const uint64_t end = std::min<uint64_t>(end_block * content::block_size, content.size());
    return Bytes(content.begin() + static_cast<std::ptrdiff_t>(begin), content.begin() + static_cast<std::ptrdiff_t>(end));
}

inline size_t files_in(const std::filesystem::path& directory) {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
        if (entry.is_regular_file()) ++count;
    }
    return count;
}

}  // namespace fleek::edge::loopback
