#include "net/gossip.h"

#include "util/assert.h"
#include "util/log.h"

#include <algorithm>

namespace fleek::net {

namespace {
constexpr std::string_view log_category = "net.gossip";
constexpr std::string_view digest_object = "gossip-message";
}  // namespace

std::string_view to_string(Topic topic) noexcept {
    switch (topic) {
        case Topic::blocks: return "blocks";
        case Topic::block_certificates: return "block_certificates";
        case Topic::transactions: return "transactions";
        case Topic::resolver_records: return "resolver_records";
        case Topic::checkpoint_attestations: return "checkpoint_attestations";
        case Topic::providers: return "providers";
    }
    return "unknown";
}

// ---- wire format -------------------------------------------------------------------------------

namespace {

Bytes encode_signed_part(Topic topic, const crypto::NodePublicKey& origin, uint64_t sequence, ByteSpan payload) {
    codec::Writer writer(1 + 32 + 8 + 4 + payload.size());
    writer.tag(static_cast<uint8_t>(topic));
    writer.fixed(origin.bytes());
    writer.u64(sequence);
    writer.bytes(payload, gossip_payload_bytes_limit);
    return writer.take();
}

}  // namespace

Bytes GossipMessage::signed_encoding() const { return encode_signed_part(topic, origin, sequence, payload); }

crypto::Hash32 GossipMessage::digest() const { return crypto::object_digest(digest_object, signed_encoding()); }

bool GossipMessage::verify() const { return origin.verify(digest(), signature); }

GossipMessage GossipMessage::sign(const crypto::NodeSecretKey& key, Topic topic, uint64_t sequence, Bytes payload) {
    FLEEK_ASSERT(payload.size() <= gossip_payload_bytes_limit);
    const auto digest = crypto::object_digest(digest_object, encode_signed_part(topic, key.public_key(), sequence, payload));
    return GossipMessage{topic, key.public_key(), sequence, std::move(payload), key.sign(digest)};
}

void GossipMessage::encode(codec::Writer& writer) const {
    writer.tag(static_cast<uint8_t>(topic));
    writer.fixed(origin.bytes());
    writer.u64(sequence);
    writer.bytes(payload, gossip_payload_bytes_limit);
    writer.fixed(signature.bytes());
}

Result<GossipMessage, codec::DecodeError> GossipMessage::decode(codec::Reader& reader, uint32_t payload_bytes_max) {
    auto topic = reader.tag(static_cast<uint8_t>(topic_count));
    if (!topic) return fail(topic.error());
    auto origin_bytes = reader.fixed(crypto::ed25519::public_key_size);
    if (!origin_bytes) return fail(origin_bytes.error());
    auto origin = crypto::NodePublicKey::from_bytes(*origin_bytes);
    if (!origin) return fail(codec::DecodeError::invalid_value);
    auto sequence = reader.u64();
    if (!sequence) return fail(sequence.error());
    auto payload = reader.bytes(std::min(payload_bytes_max, gossip_payload_bytes_limit));
    if (!payload) return fail(payload.error());
    auto signature_bytes = reader.fixed(crypto::ed25519::signature_size);
    if (!signature_bytes) return fail(signature_bytes.error());
    auto signature = crypto::NodeSignature::from_bytes(*signature_bytes);
    if (!signature) return fail(codec::DecodeError::invalid_value);
    return GossipMessage{static_cast<Topic>(*topic), *origin, *sequence, Bytes(payload->begin(), payload->end()), *signature};
}

void GossipFrame::encode(codec::Writer& writer) const {
    writer.tag(static_cast<uint8_t>(kind));
    if (kind == GossipFrameKind::message) {
        FLEEK_ASSERT(message.has_value());
        message->encode(writer);
        return;
    }
    writer.sequence(std::span<const crypto::Hash32>(digests), gossip_digests_max,
                    [](codec::Writer& w, const crypto::Hash32& digest) { w.fixed(digest); });
}

Result<GossipFrame, codec::DecodeError> GossipFrame::decode(codec::Reader& reader, uint32_t payload_bytes_max) {
    auto kind = reader.tag(3);
    if (!kind) return fail(kind.error());
    GossipFrame frame;
    frame.kind = static_cast<GossipFrameKind>(*kind);
    if (frame.kind == GossipFrameKind::message) {
        auto message = GossipMessage::decode(reader, payload_bytes_max);
        if (!message) return fail(message.error());
        frame.message = std::move(*message);
        return frame;
    }
    auto count = reader.count(gossip_digests_max, 32);
    if (!count) return fail(count.error());
    if (*count == 0) return fail(codec::DecodeError::invalid_value);
    frame.digests.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        auto digest = reader.array<32>();
        if (!digest) return fail(digest.error());
        frame.digests.push_back(*digest);
    }
    return frame;
}

Bytes encode_message_frame(const GossipMessage& message) {
    codec::Writer writer(1 + 32 + 8 + 4 + message.payload.size() + 64);
    writer.tag(static_cast<uint8_t>(GossipFrameKind::message));
    message.encode(writer);
    return writer.take();
}

Bytes encode_digests_frame(GossipFrameKind kind, std::span<const crypto::Hash32> digests) {
    FLEEK_ASSERT(kind != GossipFrameKind::message && !digests.empty() && digests.size() <= gossip_digests_max);
    codec::Writer writer(1 + 4 + 32 * digests.size());
    writer.tag(static_cast<uint8_t>(kind));
    writer.sequence(digests, gossip_digests_max, [](codec::Writer& w, const crypto::Hash32& digest) { w.fixed(digest); });
    return writer.take();
}

Result<GossipFrame, codec::DecodeError> decode_gossip_frame(ByteSpan frame_payload, uint32_t payload_bytes_max) {
    codec::Reader reader(frame_payload);
    auto frame = GossipFrame::decode(reader, payload_bytes_max);
    if (!frame) return fail(frame.error());
    if (auto done = reader.finish(); !done) return fail(done.error());
    return frame;
}

// ---- the protocol ------------------------------------------------------------------------------

Gossip::Gossip(const crypto::NodeSecretKey& key, GossipOptions options, GossipSend send)
    : m_key(key.clone()), m_options(options), m_send(std::move(send)) {
    FLEEK_ASSERT(m_send);
    FLEEK_ASSERT(m_options.message_bytes_max <= gossip_payload_bytes_limit);
    FLEEK_ASSERT(m_options.seen_messages_max > 0);
}

void Gossip::set_peers(std::vector<crypto::NodePublicKey> peers) {
    std::sort(peers.begin(), peers.end());
    peers.erase(std::unique(peers.begin(), peers.end()), peers.end());
    std::erase(peers, m_key.public_key());
    m_peers = std::move(peers);
    std::map<crypto::NodePublicKey, PeerScore> scores;
    for (const auto& peer : m_peers) {
        auto it = m_scores.find(peer);
        scores.emplace(peer, it != m_scores.end() ? it->second : PeerScore{peer});
    }
    m_scores = std::move(scores);
}

void Gossip::subscribe(Topic topic, GossipHandler handler) {
    const auto index = static_cast<size_t>(topic);
    FLEEK_ASSERT(index < topic_count);
    m_handlers[index] = std::move(handler);
}

Gossip::PeerScore* Gossip::score(const crypto::NodePublicKey& peer) {
    auto it = m_scores.find(peer);
    return it == m_scores.end() ? nullptr : &it->second;
}

std::vector<Gossip::PeerScore> Gossip::scores() const {
    std::vector<PeerScore> out;
    out.reserve(m_scores.size());
    for (const auto& [key, score] : m_scores) out.push_back(score);
    return out;
}

void Gossip::publish(Topic topic, Bytes payload, uint64_t now_ms) {
    if (payload.size() > m_options.message_bytes_max) {
        FLEEK_LOG_ERROR(log_category, "not publishing a {} message of {} bytes: the maximum is {}", to_string(topic), payload.size(),
                        m_options.message_bytes_max);
        return;
    }
    // Strictly increasing, and past anything sent before a restart when now_ms is wall time.
    m_sequence = std::max(m_sequence + 1, now_ms * 1000);
    const auto message = GossipMessage::sign(m_key, topic, m_sequence, std::move(payload));
    const auto digest = message.digest();
    Bytes frame = encode_message_frame(message);
    propagate(digest, frame, {});
    remember(digest, std::move(frame), now_ms);
}

void Gossip::on_frame(const crypto::NodePublicKey& from, ByteSpan frame_payload, uint64_t now_ms) {
    PeerScore* peer_score = score(from);
    if (peer_score == nullptr) {
        FLEEK_LOG_DEBUG(log_category, "ignoring a gossip frame from {}, not a peer", from.to_string());
        return;
    }
    auto frame = decode_gossip_frame(frame_payload, static_cast<uint32_t>(m_options.message_bytes_max));
    if (!frame) {
        peer_score->invalid += 1;
        FLEEK_LOG_DEBUG(log_category, "undecodable gossip frame from {}: {}", from.to_string(), codec::to_string(frame.error()));
        return;
    }
    switch (frame->kind) {
        case GossipFrameKind::message: on_message(from, std::move(*frame->message), frame_payload, now_ms); return;
        case GossipFrameKind::advertise:
            for (const auto& digest : frame->digests) {
                if (m_seen.contains(digest)) continue;
                auto it = m_pending.find(digest);
                if (it == m_pending.end()) {
                    if (m_pending.size() >= m_options.pending_wants_max) continue;
                    it = m_pending.emplace(digest, PendingWant{{}, 0, now_ms, 0, std::nullopt}).first;
                }
                PendingWant& pending = it->second;
                if (std::find(pending.advertisers.begin(), pending.advertisers.end(), from) != pending.advertisers.end()) continue;
                if (pending.advertisers.size() >= m_options.advertisers_max) continue;
                pending.advertisers.push_back(from);
                if (!pending.asked) ask_next(digest, pending, now_ms);
            }
            return;
        case GossipFrameKind::want:
            for (const auto& digest : frame->digests) {
                auto it = m_seen.find(digest);
                if (it != m_seen.end() && !it->second.frame.empty()) m_send(from, it->second.frame);
            }
            return;
    }
}

void Gossip::ask_next(const crypto::Hash32& digest, PendingWant& pending, uint64_t now_ms) {
    pending.asked.reset();
    if (pending.next_advertiser >= pending.advertisers.size()) return;
    const auto peer = pending.advertisers[pending.next_advertiser++];
    pending.asked = peer;
    pending.want_sent_ms = now_ms;
    m_send(peer, encode_digests_frame(GossipFrameKind::want, std::span<const crypto::Hash32>(&digest, 1)));
}

void Gossip::on_message(const crypto::NodePublicKey& from, GossipMessage message, ByteSpan frame, uint64_t now_ms) {
    PeerScore& peer_score = *score(from);
    const auto digest = message.digest();
    if (m_seen.contains(digest)) {
        peer_score.duplicate += 1;
        return;
    }
    if (!message.origin.verify(digest, message.signature)) {
        peer_score.invalid += 1;
        FLEEK_LOG_DEBUG(log_category, "gossip message from {} with a bad signature of origin {}", from.to_string(), message.origin.to_string());
        return;
    }
    std::vector<crypto::NodePublicKey> have_it{from, message.origin};
    if (auto it = m_pending.find(digest); it != m_pending.end()) {
        have_it.insert(have_it.end(), it->second.advertisers.begin(), it->second.advertisers.end());
        m_pending.erase(it);
    }
    const auto& handler = m_handlers[static_cast<size_t>(message.topic)];
    if (!handler) {
        // Nobody here can validate it: remember it (so it is not fetched again) but do not relay.
        remember(digest, Bytes(), now_ms);
        return;
    }
    if (!handler(message.origin, message.payload)) {
        peer_score.invalid += 1;
        remember(digest, Bytes(), now_ms);
        return;
    }
    peer_score.valid += 1;
    Bytes stored(frame.begin(), frame.end());
    propagate(digest, stored, have_it);
    remember(digest, std::move(stored), now_ms);
}

void Gossip::remember(const crypto::Hash32& digest, Bytes frame, uint64_t now_ms) {
    const size_t frame_size = frame.size();
    const bool stored = !frame.empty() && frame_size <= m_options.stored_bytes_max;
    auto [it, inserted] = m_seen.emplace(digest, SeenEntry{now_ms, stored ? std::move(frame) : Bytes()});
    FLEEK_ASSERT(inserted);
    m_seen_order.push_back(digest);
    if (stored) {
        m_stored_bytes += frame_size;
        m_stored_order.push_back(digest);
    }
    while (m_seen.size() > m_options.seen_messages_max) {
        const auto oldest = m_seen_order.front();
        m_seen_order.pop_front();
        auto victim = m_seen.find(oldest);
        m_stored_bytes -= victim->second.frame.size();
        m_seen.erase(victim);
    }
    while (m_stored_bytes > m_options.stored_bytes_max) {
        const auto oldest = m_stored_order.front();
        m_stored_order.pop_front();
        auto victim = m_seen.find(oldest);
        if (victim == m_seen.end()) continue;
        m_stored_bytes -= victim->second.frame.size();
        victim->second.frame = Bytes();
    }
}

void Gossip::propagate(const crypto::Hash32& digest, const Bytes& frame, const std::vector<crypto::NodePublicKey>& have_it) {
    std::vector<crypto::NodePublicKey> targets;
    for (const auto& peer : m_peers)
        if (std::find(have_it.begin(), have_it.end(), peer) == have_it.end()) targets.push_back(peer);
    if (targets.empty()) return;
    size_t push_count = frame.size() <= m_options.push_bytes_max ? targets.size() : 0;
    if (push_count > 0 && m_options.fanout != 0 && m_options.fanout < targets.size()) {
        // Each node ranks its peers by BLAKE3(own key | digest | peer key): a different spread per
        // node and message, without randomness.
        std::vector<std::pair<crypto::Hash32, size_t>> ranked;
        ranked.reserve(targets.size());
        for (size_t i = 0; i < targets.size(); ++i) {
            crypto::Blake3Hasher hasher;
            hasher.update(m_key.public_key().bytes());
            hasher.update(digest);
            hasher.update(targets[i].bytes());
            ranked.emplace_back(hasher.finalize(), i);
        }
        std::sort(ranked.begin(), ranked.end());
        std::vector<crypto::NodePublicKey> ordered;
        ordered.reserve(targets.size());
        for (const auto& [rank, index] : ranked) ordered.push_back(targets[index]);
        targets = std::move(ordered);
        push_count = m_options.fanout;
    }
    const Bytes advertisement = encode_digests_frame(GossipFrameKind::advertise, std::span<const crypto::Hash32>(&digest, 1));
    for (size_t i = 0; i < targets.size(); ++i) m_send(targets[i], i < push_count ? frame : advertisement);
}

void Gossip::tick(uint64_t now_ms) {
    while (!m_seen_order.empty()) {
        auto it = m_seen.find(m_seen_order.front());
        FLEEK_ASSERT(it != m_seen.end());
        if (now_ms < it->second.first_seen_ms + m_options.seen_ttl_ms) break;
        m_stored_bytes -= it->second.frame.size();
        m_seen.erase(it);
        m_seen_order.pop_front();
    }
    while (!m_stored_order.empty() && !m_seen.contains(m_stored_order.front())) m_stored_order.pop_front();
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        PendingWant& pending = it->second;
        if (pending.asked && now_ms >= pending.want_sent_ms + m_options.want_timeout_ms) {
            if (PeerScore* peer_score = score(*pending.asked)) peer_score->unanswered_wants += 1;
            ask_next(it->first, pending, now_ms);
        }
        if (!pending.asked && now_ms >= pending.first_advertised_ms + m_options.seen_ttl_ms)
            it = m_pending.erase(it);
        else
            ++it;
    }
}

}  // namespace fleek::net
