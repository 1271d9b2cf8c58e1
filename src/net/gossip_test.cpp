#include "net/gossip.h"
#include "net/net_test_support.h"

#include "util/encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>

namespace fleek::net {
namespace {

using testing::key_from;

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// N gossip instances wired by a fake send: frames wait in one FIFO until pump() delivers them.
struct Network {
    struct Delivery {
        size_t from, to;
        Bytes frame;
    };
    std::vector<crypto::NodeSecretKey> keys;
    std::vector<std::unique_ptr<Gossip>> nodes;
    std::map<crypto::NodePublicKey, size_t> index;
    std::deque<Delivery> in_flight;
    std::set<std::pair<size_t, size_t>> cut;  // frames on these links are dropped
    std::vector<std::vector<Bytes>> delivered;  // per node, payloads its handler saw
    std::map<GossipFrameKind, size_t> frames_by_kind;
    uint64_t now_ms = 1'000'000;
    bool accept = true;

    Network(size_t count, GossipOptions options) {
        for (size_t i = 0; i < count; ++i) {
            keys.push_back(key_from(static_cast<uint8_t>(i + 1)));
            index.emplace(keys.back().public_key(), i);
        }
        delivered.resize(count);
        for (size_t i = 0; i < count; ++i) {
            nodes.push_back(std::make_unique<Gossip>(keys[i], options, [this, i](const crypto::NodePublicKey& to, Bytes frame) {
                const size_t target = index.at(to);
                frames_by_kind[static_cast<GossipFrameKind>(frame.at(0))] += 1;
                if (!cut.contains({i, target})) in_flight.push_back(Delivery{i, target, std::move(frame)});
                return SendResult::queued;
            }));
            nodes[i]->subscribe(Topic::transactions, [this, i](const crypto::NodePublicKey&, ByteSpan payload) {
                delivered[i].emplace_back(payload.begin(), payload.end());
                return accept;
            });
        }
    }
    void full_mesh() {
        for (size_t i = 0; i < nodes.size(); ++i) {
            std::vector<crypto::NodePublicKey> peers;
            for (size_t j = 0; j < nodes.size(); ++j)
                if (j != i) peers.push_back(keys[j].public_key());
            nodes[i]->set_peers(peers);
        }
    }
    void ring() {
        const size_t n = nodes.size();
        for (size_t i = 0; i < n; ++i) nodes[i]->set_peers({keys[(i + 1) % n].public_key(), keys[(i + n - 1) % n].public_key()});
    }
    size_t pump() {
        size_t count = 0;
        while (!in_flight.empty()) {
            auto delivery = std::move(in_flight.front());
            in_flight.pop_front();
            nodes[delivery.to]->on_frame(keys[delivery.from].public_key(), delivery.frame, now_ms);
            ++count;
        }
        return count;
    }
    Gossip::PeerScore score(size_t node, size_t peer) const {
        for (const auto& s : nodes[node]->scores())
            if (s.key == keys[peer].public_key()) return s;
        ADD_FAILURE() << "no score";
        return Gossip::PeerScore{keys[peer].public_key()};
    }
};

GossipOptions small_fanout() {
    GossipOptions options;
    options.fanout = 2;
    options.push_bytes_max = 1024;
    return options;
}

void expect_everyone_but(const Network& net, size_t origin, const Bytes& payload) {
    for (size_t i = 0; i < net.nodes.size(); ++i) {
        if (i == origin) {
            EXPECT_TRUE(net.delivered[i].empty()) << "the publisher does not deliver to itself";
            continue;
        }
        ASSERT_EQ(net.delivered[i].size(), 1u) << "node " << i;
        EXPECT_EQ(net.delivered[i][0], payload);
    }
}

TEST(GossipTest, SmallMessageReachesEveryNodeExactlyOnce) {
    Network net(10, small_fanout());
    net.full_mesh();
    const Bytes payload = text("transfer 5 FLK");
    net.nodes[3]->publish(Topic::transactions, payload, net.now_ms);
    net.pump();
    expect_everyone_but(net, 3, payload);
    // Fanout 2: the publisher pushes to 2 peers and advertises to 7; nobody pushes more than 2.
    EXPECT_GT(net.frames_by_kind[GossipFrameKind::advertise], 0u);
    EXPECT_LE(net.frames_by_kind[GossipFrameKind::message], 10u * 2u + net.frames_by_kind[GossipFrameKind::want]);
}

TEST(GossipTest, LargeMessageTravelsByAdvertiseAndWant) {
    Network net(6, small_fanout());
    net.full_mesh();
    const Bytes payload(5000, 0x42);  // over push_bytes_max
    net.nodes[0]->publish(Topic::transactions, payload, net.now_ms);
    net.pump();
    expect_everyone_but(net, 0, payload);
    // Every node got the body exactly once, as an answer to its want.
    EXPECT_EQ(net.frames_by_kind[GossipFrameKind::want], 5u);
    EXPECT_EQ(net.frames_by_kind[GossipFrameKind::message], 5u);
}

TEST(GossipTest, MultiHopOverARing) {
    GossipOptions options;
    options.fanout = 0;  // all peers
    Network net(9, options);
    net.ring();
    for (size_t origin = 0; origin < 3; ++origin) {
        for (auto& d : net.delivered) d.clear();
        const Bytes payload = text("message " + std::to_string(origin));
        net.nodes[origin]->publish(Topic::transactions, payload, net.now_ms);
        net.pump();
        expect_everyone_but(net, origin, payload);
    }
    // Duplicates happen on a ring (both directions meet) and are scored, never delivered twice.
    uint64_t duplicates = 0, valid = 0;
    for (size_t i = 0; i < net.nodes.size(); ++i)
        for (const auto& s : net.nodes[i]->scores()) {
            duplicates += s.duplicate;
            valid += s.valid;
            EXPECT_EQ(s.invalid, 0u);
        }
    EXPECT_EQ(valid, 3u * 8u);
    EXPECT_GT(duplicates, 0u);
}

TEST(GossipTest, DuplicateIsScoredAndNotPropagated) {
    Network net(3, GossipOptions{});
    net.full_mesh();
    const auto message = GossipMessage::sign(net.keys[0], Topic::transactions, 7, text("once"));
    const Bytes frame = encode_message_frame(message);
    net.nodes[1]->on_frame(net.keys[0].public_key(), frame, net.now_ms);
    ASSERT_EQ(net.delivered[1].size(), 1u);
    ASSERT_EQ(net.in_flight.size(), 1u);  // relayed to node 2 only (node 0 is sender and origin)
    EXPECT_EQ(net.in_flight.front().to, 2u);
    net.in_flight.clear();
    net.nodes[1]->on_frame(net.keys[2].public_key(), frame, net.now_ms);
    EXPECT_EQ(net.delivered[1].size(), 1u);
    EXPECT_TRUE(net.in_flight.empty());
    EXPECT_EQ(net.score(1, 2).duplicate, 1u);
    EXPECT_EQ(net.score(1, 0).valid, 1u);
}

TEST(GossipTest, BadSignatureIsDroppedScoredAndDoesNotBlockTheRealMessage) {
    Network net(3, GossipOptions{});
    net.full_mesh();
    const auto genuine = GossipMessage::sign(net.keys[0], Topic::transactions, 1, text("pay 1"));
    Bytes forged = encode_message_frame(genuine);
    forged[forged.size() - 40] ^= 0x01;  // a bit of the signature's S half
    net.nodes[1]->on_frame(net.keys[2].public_key(), forged, net.now_ms);
    EXPECT_TRUE(net.delivered[1].empty());
    EXPECT_TRUE(net.in_flight.empty());
    EXPECT_EQ(net.score(1, 2).invalid, 1u);
    // A different payload under the genuine signature fails too.
    auto tampered = genuine;
    tampered.payload = text("pay 1000");
    net.nodes[1]->on_frame(net.keys[2].public_key(), encode_message_frame(tampered), net.now_ms);
    EXPECT_EQ(net.score(1, 2).invalid, 2u);
    EXPECT_TRUE(net.delivered[1].empty());
    // The genuine message with the same digest still gets through.
    net.nodes[1]->on_frame(net.keys[0].public_key(), encode_message_frame(genuine), net.now_ms);
    ASSERT_EQ(net.delivered[1].size(), 1u);
    EXPECT_EQ(net.delivered[1][0], text("pay 1"));
}

TEST(GossipTest, MessageTheHandlerRejectsIsScoredAndNotPropagated) {
    Network net(3, GossipOptions{});
    net.full_mesh();
    net.accept = false;
    const Bytes frame = encode_message_frame(GossipMessage::sign(net.keys[0], Topic::transactions, 1, text("invalid tx")));
    net.nodes[1]->on_frame(net.keys[0].public_key(), frame, net.now_ms);
    EXPECT_EQ(net.delivered[1].size(), 1u);  // the handler saw it
    EXPECT_TRUE(net.in_flight.empty());      // and nobody else will from here
    EXPECT_EQ(net.score(1, 0).invalid, 1u);
    net.nodes[1]->on_frame(net.keys[2].public_key(), frame, net.now_ms);
    EXPECT_EQ(net.delivered[1].size(), 1u);  // not judged twice
    EXPECT_EQ(net.score(1, 2).duplicate, 1u);
}

TEST(GossipTest, UndecodableFramesAndStrangersAreHandled) {
    Network net(3, GossipOptions{});
    net.full_mesh();
    net.nodes[1]->on_frame(net.keys[0].public_key(), Bytes{}, net.now_ms);
    net.nodes[1]->on_frame(net.keys[0].public_key(), Bytes{9, 1, 2}, net.now_ms);
    net.nodes[1]->on_frame(net.keys[0].public_key(), Bytes{1, 0, 0, 0, 0}, net.now_ms);  // advertise of 0 digests
    EXPECT_EQ(net.score(1, 0).invalid, 3u);
    // A frame from a key that is not a peer is ignored.
    const auto stranger = key_from(200);
    net.nodes[1]->on_frame(stranger.public_key(), encode_message_frame(GossipMessage::sign(stranger, Topic::transactions, 1, text("x"))),
                           net.now_ms);
    EXPECT_TRUE(net.delivered[1].empty());
    EXPECT_TRUE(net.in_flight.empty());
}

TEST(GossipTest, WantMovesToTheNextAdvertiserAfterTimeout) {
    GossipOptions options;
    options.push_bytes_max = 0;  // advertise everything
    options.want_timeout_ms = 500;
    Network net(4, options);
    net.full_mesh();
    const auto message = GossipMessage::sign(net.keys[0], Topic::transactions, 1, text("slow"));
    const auto digest = message.digest();
    const Bytes advertisement = encode_digests_frame(GossipFrameKind::advertise, std::span<const crypto::Hash32>(&digest, 1));
    // Node 3 hears of it from node 1 first, which will not answer, then from node 2.
    net.cut.insert({1, 3});
    net.nodes[3]->on_frame(net.keys[1].public_key(), advertisement, net.now_ms);
    net.nodes[3]->on_frame(net.keys[2].public_key(), advertisement, net.now_ms);
    ASSERT_EQ(net.in_flight.size(), 1u);  // one want, to node 1
    EXPECT_EQ(net.in_flight.front().to, 1u);
    // Node 1 has not got the message: its want goes unanswered.
    net.pump();
    EXPECT_EQ(net.nodes[3]->pending_wants(), 1u);
    net.nodes[3]->tick(net.now_ms + 499);
    EXPECT_TRUE(net.in_flight.empty());
    net.nodes[2]->on_frame(net.keys[0].public_key(), encode_message_frame(message), net.now_ms);  // node 2 gets it
    net.in_flight.clear();
    net.nodes[3]->tick(net.now_ms + 500);
    ASSERT_EQ(net.in_flight.size(), 1u);
    EXPECT_EQ(net.in_flight.front().to, 2u);
    net.pump();
    ASSERT_EQ(net.delivered[3].size(), 1u);
    EXPECT_EQ(net.nodes[3]->pending_wants(), 0u);
    EXPECT_EQ(net.score(3, 1).unanswered_wants, 1u);
}

TEST(GossipTest, MemoryBoundsHold) {
    GossipOptions options;
    options.seen_messages_max = 10;
    options.stored_bytes_max = 2000;
    options.seen_ttl_ms = 10'000;
    Network net(3, options);
    net.full_mesh();
    for (uint64_t i = 0; i < 100; ++i) {
        net.nodes[0]->publish(Topic::transactions, Bytes(300, static_cast<uint8_t>(i)), net.now_ms + i);
        net.pump();
        for (const auto& node : net.nodes) {
            EXPECT_LE(node->seen_count(), 10u);
            EXPECT_LE(node->stored_bytes(), 2000u);
        }
    }
    EXPECT_EQ(net.delivered[1].size(), 100u);
    EXPECT_EQ(net.nodes[1]->seen_count(), 10u);
    // Pending wants are bounded too: a flood of advertisements of unknown digests.
    GossipOptions few;
    few.pending_wants_max = 5;
    Network flood(2, few);
    flood.full_mesh();
    for (uint8_t i = 0; i < 50; ++i) {
        crypto::Hash32 digest{};
        digest[0] = i;
        flood.nodes[1]->on_frame(flood.keys[0].public_key(),
                                 encode_digests_frame(GossipFrameKind::advertise, std::span<const crypto::Hash32>(&digest, 1)), flood.now_ms);
    }
    EXPECT_EQ(flood.nodes[1]->pending_wants(), 5u);
    // Everything expires.
    for (auto& node : net.nodes) node->tick(net.now_ms + 100 + options.seen_ttl_ms);
    for (auto& node : net.nodes) {
        EXPECT_EQ(node->seen_count(), 0u);
        EXPECT_EQ(node->stored_bytes(), 0u);
    }
    flood.nodes[1]->tick(flood.now_ms + few.seen_ttl_ms + few.want_timeout_ms * 2);
    EXPECT_EQ(flood.nodes[1]->pending_wants(), 0u);
}

TEST(GossipTest, FrameRoundTripsAndDecoderIsStrict) {
    const auto key = key_from(1);
    const auto message = GossipMessage::sign(key, Topic::resolver_records, 42, text("record"));
    const Bytes frame = encode_message_frame(message);
    auto decoded = decode_gossip_frame(frame);
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->kind, GossipFrameKind::message);
    EXPECT_EQ(decoded->message->payload, text("record"));
    EXPECT_TRUE(decoded->message->verify());
    Bytes trailing = frame;
    trailing.push_back(0);
    EXPECT_EQ(decode_gossip_frame(trailing).error(), codec::DecodeError::trailing_bytes);
    EXPECT_EQ(decode_gossip_frame(ByteSpan(frame).first(frame.size() - 1)).error(), codec::DecodeError::truncated);
    EXPECT_EQ(decode_gossip_frame(frame, 5).error(), codec::DecodeError::length_too_large);  // payload over the node's maximum
    Bytes providers_topic = frame;
    providers_topic[1] = 5;  // topic `providers`: decodes (its signature no longer verifies)
    ASSERT_TRUE(decode_gossip_frame(providers_topic));
    EXPECT_EQ(decode_gossip_frame(providers_topic)->message->topic, Topic::providers);
    Bytes bad_topic = frame;
    bad_topic[1] = 6;
    EXPECT_EQ(decode_gossip_frame(bad_topic).error(), codec::DecodeError::unknown_tag);
}

// docs/formats/gossip.md: the test vector.
TEST(GossipTest, TestVector) {
    std::array<uint8_t, 32> seed{};
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
    const auto key = crypto::NodeSecretKey::from_seed(seed).value();
    const auto message = GossipMessage::sign(key, Topic::transactions, 1, text("hello fleek"));
    EXPECT_EQ(hex_encode(message.signed_encoding()), "02" + hex_encode(key.public_key().bytes()) + "0100000000000000" + "0b000000" + hex_encode(text("hello fleek")));
    EXPECT_EQ(hex_encode(message.digest()), "de69fb402cf6551afe12f0354660cad1615e15415855ad423bca57f8cac328cb");
    EXPECT_EQ(hex_encode(encode_message_frame(message)), "000203a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b801000000000000000b00000068656c6c6f20666c65656b691a17d14f2c0b298a541cc7d9e4c72918767ec6bbe422163d85446cc23b9f3921b4657e65c41015f02f7d0b83000c32ebaf97d38bde202c1f22eaaeb3bd1a04");
    const crypto::Hash32 digest = message.digest();
    EXPECT_EQ(hex_encode(encode_digests_frame(GossipFrameKind::want, std::span<const crypto::Hash32>(&digest, 1))), "0201000000" + hex_encode(digest));
}

}  // namespace
}  // namespace fleek::net
