// Signed gossip over the transport's gossip channel (docs/formats/gossip.md).
//
// Sans-IO: the node feeds frames (on_frame), the clock (now_ms) and timer ticks (tick); the
// Gossip sends through the GossipSend callback. Nothing here reads a clock, draws randomness or
// opens a socket, so a test wires N instances with a fake send and gets the same run every time.
// Not thread-safe: the node calls every method from one thread.
//
// Design ("push small, advertise the rest", an equivalent of lightning.md §10.2):
// - A message is signed by its origin over object_digest("gossip-message", topic | origin |
//   sequence | payload) and identified by that digest.
// - When a node accepts a new message (its own publish, or a received one whose signature
//   verifies and whose topic handler returns true) it forwards it once: the full message goes to
//   `fanout` peers (0 = all) if it is at most push_bytes_max bytes encoded; every other peer gets
//   a 32-byte advertisement. Peers known to have it (the sender, the origin, advertisers) get
//   nothing. So every connected node learns of every message, and full copies are bounded.
// - A node that receives an advertisement of an unknown digest asks the advertiser with a want;
//   if the message does not arrive within want_timeout_ms it asks the next advertiser (tick).
// - Deduplication by digest in a seen set of at most seen_messages_max digests, each kept
//   seen_ttl_ms; bodies (answering wants) at most stored_bytes_max bytes; pending wants at most
//   pending_wants_max digests with at most advertisers_max advertisers each.
// - Per-peer accounting: valid, invalid (undecodable frame, bad signature, rejected by the
//   handler) and duplicate messages, and wants a peer did not answer. The node may disconnect
//   peers on these scores; the gossip itself only refuses to propagate invalid messages.
// - A message whose signature fails is not recorded as seen (a forgery must not block the real
//   message with the same digest); one the handler rejects is (the digest covers its content).
// - Replays after seen_ttl_ms are delivered again: handlers must be idempotent.
#pragma once

#include "codec/codec.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "net/transport.h"
#include "util/bytes.h"

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

namespace fleek::net {

enum class Topic : uint8_t {
    blocks = 0,
    block_certificates = 1,
    transactions = 2,
    resolver_records = 3,
    checkpoint_attestations = 4,
    providers = 5,  // batches of signed provider records (docs/formats/provider-records.md)
};
inline constexpr size_t topic_count = 6;
std::string_view to_string(Topic topic) noexcept;

// ---- wire format -------------------------------------------------------------------------------

// The largest payload the decoder accepts at all; GossipOptions::message_bytes_max is the limit
// a node applies (at most this).
inline constexpr uint32_t gossip_payload_bytes_limit = 16 * 1024 * 1024;
inline constexpr uint32_t gossip_digests_max = 1024;  // per advertise or want frame

struct GossipMessage {
    Topic topic = Topic::blocks;
    crypto::NodePublicKey origin;
    uint64_t sequence = 0;
    Bytes payload;
    crypto::NodeSignature signature;

    // What the signature covers: topic | origin | sequence | payload in canonical encoding.
    Bytes signed_encoding() const;
    crypto::Hash32 digest() const;
    bool verify() const;
    static GossipMessage sign(const crypto::NodeSecretKey& key, Topic topic, uint64_t sequence, Bytes payload);

    void encode(codec::Writer& writer) const;
    static Result<GossipMessage, codec::DecodeError> decode(codec::Reader& reader, uint32_t payload_bytes_max = gossip_payload_bytes_limit);
};

enum class GossipFrameKind : uint8_t { message = 0, advertise = 1, want = 2 };

// One frame on Channel::gossip: u8 kind, then a GossipMessage (message) or a u32 count and that
// many 32-byte digests (advertise, want).
struct GossipFrame {
    GossipFrameKind kind = GossipFrameKind::message;
    std::optional<GossipMessage> message;  // kind == message
    std::vector<crypto::Hash32> digests;   // kind == advertise or want

    void encode(codec::Writer& writer) const;
    static Result<GossipFrame, codec::DecodeError> decode(codec::Reader& reader, uint32_t payload_bytes_max = gossip_payload_bytes_limit);
};

Bytes encode_message_frame(const GossipMessage& message);
Bytes encode_digests_frame(GossipFrameKind kind, std::span<const crypto::Hash32> digests);
// A whole frame payload; trailing bytes are an error.
Result<GossipFrame, codec::DecodeError> decode_gossip_frame(ByteSpan frame_payload, uint32_t payload_bytes_max = gossip_payload_bytes_limit);

// ---- the protocol ------------------------------------------------------------------------------

using GossipSend = std::function<SendResult(const crypto::NodePublicKey& to, Bytes frame_payload)>;  // sends on Channel::gossip
// Returns true when the payload is valid (then it is delivered and propagated), false otherwise
// (peer penalized, not propagated).
using GossipHandler = std::function<bool(const crypto::NodePublicKey& origin, ByteSpan payload)>;

struct GossipOptions {
    size_t seen_messages_max = 65536;
    size_t message_bytes_max = 4 * 1024 * 1024;  // payload bytes
    uint64_t seen_ttl_ms = 120000;
    size_t fanout = 8;  // 0 = all peers
    // Messages up to this encoded size are pushed whole to the fanout peers; larger ones are only
    // advertised.
    size_t push_bytes_max = 64 * 1024;
    uint64_t want_timeout_ms = 1000;
    size_t pending_wants_max = 4096;
    size_t advertisers_max = 16;
    size_t stored_bytes_max = 64 * 1024 * 1024;
};

class Gossip {
public:
    Gossip(const crypto::NodeSecretKey& key, GossipOptions options, GossipSend send);

    void set_peers(std::vector<crypto::NodePublicKey> peers);
    void subscribe(Topic topic, GossipHandler handler);
    // Signs, records as seen, sends to peers. The publisher's own handler is not called.
    void publish(Topic topic, Bytes payload, uint64_t now_ms);
    void on_frame(const crypto::NodePublicKey& from, ByteSpan frame_payload, uint64_t now_ms);
    void tick(uint64_t now_ms);  // expiry, retries of wants

    struct PeerScore {
        crypto::NodePublicKey key;
        uint64_t valid = 0, invalid = 0, duplicate = 0;
        uint64_t unanswered_wants = 0;
    };
    std::vector<PeerScore> scores() const;

    // Introspection for tests and metrics.
    size_t seen_count() const noexcept { return m_seen.size(); }
    size_t stored_bytes() const noexcept { return m_stored_bytes; }
    size_t pending_wants() const noexcept { return m_pending.size(); }
    const crypto::NodePublicKey& key() const noexcept { return m_key.public_key(); }

private:
    struct SeenEntry {
        uint64_t first_seen_ms = 0;
        Bytes frame;  // the encoded message frame, kept to answer wants; empty once dropped
    };
    struct PendingWant {
        std::vector<crypto::NodePublicKey> advertisers;
        size_t next_advertiser = 0;  // index of the next advertiser to ask
        uint64_t first_advertised_ms = 0;
        uint64_t want_sent_ms = 0;
        std::optional<crypto::NodePublicKey> asked;  // the peer the outstanding want went to
    };

    PeerScore* score(const crypto::NodePublicKey& peer);
    void on_message(const crypto::NodePublicKey& from, GossipMessage message, ByteSpan frame, uint64_t now_ms);
    void remember(const crypto::Hash32& digest, Bytes frame, uint64_t now_ms);
    void propagate(const crypto::Hash32& digest, const Bytes& frame, const std::vector<crypto::NodePublicKey>& have_it);
    void ask_next(const crypto::Hash32& digest, PendingWant& pending, uint64_t now_ms);

    crypto::NodeSecretKey m_key;
    GossipOptions m_options;
    GossipSend m_send;
    std::array<GossipHandler, topic_count> m_handlers;
    std::vector<crypto::NodePublicKey> m_peers;  // sorted
    std::map<crypto::NodePublicKey, PeerScore> m_scores;
    std::map<crypto::Hash32, SeenEntry> m_seen;
    std::deque<crypto::Hash32> m_seen_order;    // insertion order, for expiry and eviction
    std::deque<crypto::Hash32> m_stored_order;  // messages with a stored body, oldest first
    size_t m_stored_bytes = 0;
    std::map<crypto::Hash32, PendingWant> m_pending;
    uint64_t m_sequence = 0;
};

}  // namespace fleek::net
