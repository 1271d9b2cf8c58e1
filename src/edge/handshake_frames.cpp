#include "edge/handshake_frames.h"

#include "codec/codec.h"

namespace fleek::edge::handshake {

std::string_view to_string(TerminationReason reason) noexcept {
    switch (reason) {
        case TerminationReason::bad_signature: return "bad_signature";
        case TerminationReason::unapproved_client: return "unapproved_client";
        case TerminationReason::insufficient_funds: return "insufficient_funds";
        case TerminationReason::unknown_service: return "unknown_service";
        case TerminationReason::window_exceeded: return "window_exceeded";
        case TerminationReason::token_expired: return "token_expired";
        case TerminationReason::unknown_token: return "unknown_token";
        case TerminationReason::token_mismatch: return "token_mismatch";
        case TerminationReason::timeout: return "timeout";
        case TerminationReason::frame_too_large: return "frame_too_large";
        case TerminationReason::malformed: return "malformed";
        case TerminationReason::unexpected_frame: return "unexpected_frame";
        case TerminationReason::server_busy: return "server_busy";
        case TerminationReason::session_exists: return "session_exists";
        case TerminationReason::receipt_wrong_chain: return "receipt_wrong_chain";
        case TerminationReason::receipt_wrong_node: return "receipt_wrong_node";
        case TerminationReason::receipt_wrong_service: return "receipt_wrong_service";
        case TerminationReason::receipt_wrong_session: return "receipt_wrong_session";
        case TerminationReason::receipt_wrong_epoch: return "receipt_wrong_epoch";
        case TerminationReason::receipt_wrong_client: return "receipt_wrong_client";
        case TerminationReason::receipt_amount_decreased: return "receipt_amount_decreased";
        case TerminationReason::receipt_amount_exceeds_sent: return "receipt_amount_exceeds_sent";
        case TerminationReason::receipt_bad_signature: return "receipt_bad_signature";
        case TerminationReason::receipt_not_stored: return "receipt_not_stored";
        case TerminationReason::shutdown: return "shutdown";
    }
    return "unknown";
}

bool is_known_termination_reason(uint8_t value) noexcept {
    return (value >= 0x01 && value <= 0x0e) || (value >= 0x10 && value <= 0x1a);
}

std::string_view to_string(ContentRefusal refusal) noexcept {
    switch (refusal) {
        case ContentRefusal::not_found: return "not_found";
        case ContentRefusal::bad_range: return "bad_range";
        case ContentRefusal::busy: return "busy";
        case ContentRefusal::unavailable: return "unavailable";
    }
    return "unknown";
}

std::string_view to_string(FrameError error) noexcept {
    switch (error) {
        case FrameError::empty_frame: return "empty_frame";
        case FrameError::frame_too_large: return "frame_too_large";
        case FrameError::truncated: return "truncated";
        case FrameError::trailing_bytes: return "trailing_bytes";
        case FrameError::unknown_tag: return "unknown_tag";
        case FrameError::invalid_value: return "invalid_value";
    }
    return "unknown";
}

namespace {

FrameError from_codec(codec::DecodeError error) {
    switch (error) {
        case codec::DecodeError::truncated: return FrameError::truncated;
        case codec::DecodeError::trailing_bytes: return FrameError::trailing_bytes;
        case codec::DecodeError::unknown_tag: return FrameError::unknown_tag;
        case codec::DecodeError::length_too_large: return FrameError::frame_too_large;
        default: return FrameError::invalid_value;
    }
}

#define FLEEK_TRY_FIELD(var, expr)                         \
    auto var = (expr);                                     \
    if (!var) return fail(from_codec(var.error()))

Bytes with_length(codec::Writer& payload) {
    Bytes body = payload.take();
    FLEEK_ASSERT(!body.empty() && body.size() <= node_frame_max_bytes);
    codec::Writer frame(frame_header_size + body.size());
    frame.u32(static_cast<uint32_t>(body.size()));
    frame.fixed(body);
    return frame.take();
}

void write_challenge_fields(codec::Writer& w, const Challenge& c) {
    w.u8(c.version);
    w.u64(c.chain_id);
    w.u64(c.epoch);
    w.fixed(c.node_key);
    w.fixed(c.nonce);
}

void write_open_fields(codec::Writer& w, const ledger::ClientKeyBytes& client_key, const ledger::SessionId& session_id,
                       ledger::ServiceId service, const std::optional<Token>& token) {
    w.fixed(client_key);
    w.fixed(session_id);
    w.u32(service);
    w.optional(token, [](codec::Writer& out, const Token& t) { out.fixed(t); });
}

void write_opened_fields(codec::Writer& w, const Opened& o) {
    w.fixed(o.session_id);
    w.fixed(o.token);
    w.u64(o.token_ttl_ms);
    w.u64(o.acknowledged_bytes);
    w.u64(o.receipt_interval_bytes);
    w.u64(o.window_bytes);
}

Result<std::optional<Token>, FrameError> read_optional_token(codec::Reader& r) {
    FLEEK_TRY_FIELD(present, r.optional_present());
    if (!*present) return std::optional<Token>{};
    FLEEK_TRY_FIELD(token, r.array<token_size>());
    return std::optional<Token>(*token);
}

template <class T>
Result<T, FrameError> finish(codec::Reader& r, T value) {
    if (auto done = r.finish(); !done) return fail(from_codec(done.error()));
    return value;
}

Result<NodeFrame, FrameError> read_challenge(codec::Reader& r) {
    Challenge c;
    FLEEK_TRY_FIELD(version, r.u8());
    if (*version != protocol_version) return fail(FrameError::invalid_value);
    FLEEK_TRY_FIELD(chain, r.u64());
    FLEEK_TRY_FIELD(epoch, r.u64());
    FLEEK_TRY_FIELD(node_key, r.array<32>());
    FLEEK_TRY_FIELD(nonce, r.array<nonce_size>());
    c.chain_id = *chain;
    c.epoch = *epoch;
    c.node_key = *node_key;
    c.nonce = *nonce;
    return finish<NodeFrame>(r, c);
}

Result<NodeFrame, FrameError> read_opened(codec::Reader& r) {
    Opened o;
    FLEEK_TRY_FIELD(session, r.array<16>());
    FLEEK_TRY_FIELD(token, r.array<token_size>());
    FLEEK_TRY_FIELD(ttl, r.u64());
    FLEEK_TRY_FIELD(acknowledged, r.u64());
    FLEEK_TRY_FIELD(interval, r.u64());
    FLEEK_TRY_FIELD(window, r.u64());
    FLEEK_TRY_FIELD(signature, r.array<64>());
    o.session_id = *session;
    o.token = *token;
    o.token_ttl_ms = *ttl;
    o.acknowledged_bytes = *acknowledged;
    o.receipt_interval_bytes = *interval;
    o.window_bytes = *window;
    o.node_signature = *signature;
    return finish<NodeFrame>(r, o);
}

Result<NodeFrame, FrameError> read_refused(codec::Reader& r) {
    FLEEK_TRY_FIELD(hash, r.array<32>());
    FLEEK_TRY_FIELD(reason, r.u8());
    if (*reason < 0x01 || *reason > 0x04) return fail(FrameError::invalid_value);
    return finish<NodeFrame>(r, Refused{*hash, static_cast<ContentRefusal>(*reason)});
}

Result<NodeFrame, FrameError> read_terminate(codec::Reader& r) {
    FLEEK_TRY_FIELD(reason, r.u8());
    if (!is_known_termination_reason(*reason)) return fail(FrameError::invalid_value);
    return finish<NodeFrame>(r, Terminate{static_cast<TerminationReason>(*reason)});
}

Result<ClientFrame, FrameError> read_open(codec::Reader& r) {
    Open o;
    FLEEK_TRY_FIELD(client_key, r.array<32>());
    FLEEK_TRY_FIELD(session, r.array<16>());
    FLEEK_TRY_FIELD(service, r.u32());
    auto token = read_optional_token(r);
    if (!token) return fail(token.error());
    FLEEK_TRY_FIELD(signature, r.array<64>());
    o.client_key = *client_key;
    o.session_id = *session;
    o.service = *service;
    o.token = *token;
    o.signature = *signature;
    return finish<ClientFrame>(r, o);
}

Result<ClientFrame, FrameError> read_request(codec::Reader& r) {
    Request q;
    FLEEK_TRY_FIELD(hash, r.array<32>());
    FLEEK_TRY_FIELD(present, r.optional_present());
    q.hash = *hash;
    if (*present) {
        FLEEK_TRY_FIELD(first, r.u64());
        FLEEK_TRY_FIELD(end, r.u64());
        q.range = BlockRange{*first, *end};
    }
    return finish<ClientFrame>(r, q);
}

Result<ClientFrame, FrameError> read_receipt(codec::Reader& r) {
    auto receipt = ledger::SignedDeliveryReceipt::decode(r);
    if (!receipt) return fail(from_codec(receipt.error()));
    return finish<ClientFrame>(r, Receipt{*receipt});
}

}  // namespace

Bytes encode_frame(const NodeFrame& frame) {
    codec::Writer w;
    std::visit(
        [&](const auto& f) {
            using F = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<F, Challenge>) {
                w.tag(static_cast<uint8_t>(FrameTag::challenge));
                write_challenge_fields(w, f);
            } else if constexpr (std::is_same_v<F, Opened>) {
                w.tag(static_cast<uint8_t>(FrameTag::opened));
                write_opened_fields(w, f);
                w.fixed(f.node_signature);
            } else if constexpr (std::is_same_v<F, Data>) {
                w.tag(static_cast<uint8_t>(FrameTag::data));
                w.fixed(f.bytes);
            } else if constexpr (std::is_same_v<F, Refused>) {
                w.tag(static_cast<uint8_t>(FrameTag::refused));
                w.fixed(f.hash);
                w.u8(static_cast<uint8_t>(f.reason));
            } else {
                w.tag(static_cast<uint8_t>(FrameTag::terminate));
                w.u8(static_cast<uint8_t>(f.reason));
            }
        },
        frame);
    return with_length(w);
}

Bytes encode_frame(const ClientFrame& frame) {
    codec::Writer w;
    std::visit(
        [&](const auto& f) {
            using F = std::decay_t<decltype(f)>;
            if constexpr (std::is_same_v<F, Open>) {
                w.tag(static_cast<uint8_t>(FrameTag::open));
                write_open_fields(w, f.client_key, f.session_id, f.service, f.token);
                w.fixed(f.signature);
            } else if constexpr (std::is_same_v<F, Request>) {
                w.tag(static_cast<uint8_t>(FrameTag::request));
                w.fixed(f.hash);
                w.optional(f.range, [](codec::Writer& out, const BlockRange& range) {
                    out.u64(range.first_block);
                    out.u64(range.end_block);
                });
            } else {
                w.tag(static_cast<uint8_t>(FrameTag::receipt));
                f.receipt.encode(w);
            }
        },
        frame);
    return with_length(w);
}

Bytes encode_data_frame_head(ByteSpan head, size_t tail_size) {
    const size_t length = 1 + head.size() + tail_size;
    FLEEK_ASSERT(length <= node_frame_max_bytes);
    codec::Writer w(frame_header_size + 1 + head.size());
    w.u32(static_cast<uint32_t>(length));
    w.tag(static_cast<uint8_t>(FrameTag::data));
    w.fixed(head);
    return w.take();
}

Result<NodeFrame, FrameError> decode_node_frame(ByteSpan payload) {
    if (payload.empty()) return fail(FrameError::empty_frame);
    if (payload.size() > node_frame_max_bytes) return fail(FrameError::frame_too_large);
    codec::Reader r(payload.subspan(1));
    switch (payload[0]) {
        case static_cast<uint8_t>(FrameTag::challenge): return read_challenge(r);
        case static_cast<uint8_t>(FrameTag::opened): return read_opened(r);
        case static_cast<uint8_t>(FrameTag::data):
            if (payload.size() == 1) return fail(FrameError::truncated);
            return NodeFrame{Data{payload.subspan(1)}};
        case static_cast<uint8_t>(FrameTag::refused): return read_refused(r);
        case static_cast<uint8_t>(FrameTag::terminate): return read_terminate(r);
        default: return fail(FrameError::unknown_tag);
    }
}

Result<ClientFrame, FrameError> decode_client_frame(ByteSpan payload) {
    if (payload.empty()) return fail(FrameError::empty_frame);
    if (payload.size() > client_frame_max_bytes) return fail(FrameError::frame_too_large);
    codec::Reader r(payload.subspan(1));
    switch (payload[0]) {
        case static_cast<uint8_t>(FrameTag::open): return read_open(r);
        case static_cast<uint8_t>(FrameTag::request): return read_request(r);
        case static_cast<uint8_t>(FrameTag::receipt): return read_receipt(r);
        default: return fail(FrameError::unknown_tag);
    }
}

Result<uint32_t, FrameError> decode_frame_length(std::span<const uint8_t, frame_header_size> header, uint32_t max_bytes) {
    const uint32_t length = static_cast<uint32_t>(header[0]) | static_cast<uint32_t>(header[1]) << 8 |
                            static_cast<uint32_t>(header[2]) << 16 | static_cast<uint32_t>(header[3]) << 24;
    if (length == 0) return fail(FrameError::empty_frame);
    if (length > max_bytes) return fail(FrameError::frame_too_large);
    return length;
}

Result<void, FrameError> FrameSplitter::feed(ByteSpan data, const std::function<bool(ByteSpan)>& on_payload) {
    if (m_failure) return fail(*m_failure);
    m_buffer.insert(m_buffer.end(), data.begin(), data.end());
    size_t offset = 0;
    Result<void, FrameError> outcome;
    while (m_buffer.size() - offset >= frame_header_size) {
        const auto length = decode_frame_length(std::span<const uint8_t, frame_header_size>(m_buffer.data() + offset, frame_header_size), m_max_bytes);
        if (!length) {
            m_failure = length.error();
            outcome = fail(length.error());
            break;
        }
        if (m_buffer.size() - offset - frame_header_size < *length) break;
        const ByteSpan payload(m_buffer.data() + offset + frame_header_size, *length);
        if (!on_payload(payload)) {
            offset += frame_header_size + *length;
            break;
        }
        offset += frame_header_size + *length;
    }
    m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(offset));
    return outcome;
}

Bytes encode_transcript(const Transcript& t) {
    codec::Writer w;
    write_challenge_fields(w, t.challenge);
    write_open_fields(w, t.client_key, t.session_id, t.service, t.token);
    return w.take();
}

Hash32 client_open_digest(const Transcript& transcript) {
    return crypto::object_digest("handshake-open", encode_transcript(transcript));
}

Hash32 node_opened_digest(const Transcript& transcript, const Opened& opened) {
    codec::Writer w;
    w.fixed(encode_transcript(transcript));
    write_opened_fields(w, opened);
    return crypto::object_digest("handshake-opened", w.view());
}

}  // namespace fleek::edge::handshake
