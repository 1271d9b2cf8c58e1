#include "edge/handshake_session.h"

#include "content/tree.h"
#include "util/encoding.h"
#include "util/log.h"

#include <algorithm>

namespace fleek::edge::handshake {

// ------------------------------------------------------------------ registry

Result<std::shared_ptr<SessionState>, TerminationReason> SessionRegistry::create(SessionState state, uint64_t now_ms) {
    expire(now_ms);
    const auto key = std::make_pair(state.client.bytes(), state.session_id);
    if (m_by_session.contains(key)) return fail(TerminationReason::session_exists);
    if (m_by_token.size() >= m_options.max_sessions) return fail(TerminationReason::server_busy);
    if (m_by_token.contains(state.token)) return fail(TerminationReason::server_busy);  // 2^-256: a broken random source
    auto session = std::make_shared<SessionState>(std::move(state));
    m_by_token.emplace(session->token, session);
    m_by_session.emplace(key, session->token);
    return session;
}

Result<std::shared_ptr<SessionState>, TerminationReason> SessionRegistry::find(const Token& token, uint64_t now_ms) const {
    const auto it = m_by_token.find(token);
    if (it == m_by_token.end()) return fail(TerminationReason::unknown_token);
    if (now_ms >= it->second->token_expires_ms) return fail(TerminationReason::token_expired);
    return it->second;
}

void SessionRegistry::expire(uint64_t now_ms) {
    for (auto it = m_by_token.begin(); it != m_by_token.end();) {
        const SessionState& s = *it->second;
        if (s.connections == 0 && now_ms >= s.token_expires_ms + m_options.token_ttl_ms) {
            m_by_session.erase(std::make_pair(s.client.bytes(), s.session_id));
            it = m_by_token.erase(it);
        } else {
            ++it;
        }
    }
}

// ------------------------------------------------------------------ connection

HandshakeConnection::HandshakeConnection(SessionContext context, const SessionOptions& options, uint64_t now_ms)
    : m_context(std::move(context)), m_options(options) {
    FLEEK_ASSERT(m_options.window_bytes >= content::block_size);  // a block must fit in the window
    m_challenge.chain_id = m_options.chain_id;
    m_challenge.epoch = m_context.current_epoch();
    m_challenge.node_key = m_context.node_key.public_key().bytes();
    m_context.random(m_challenge.nonce);
    m_open_deadline_ms = now_ms + m_options.open_timeout_ms;
    m_control.push_back(encode_frame(NodeFrame{m_challenge}));
}

HandshakeConnection::~HandshakeConnection() { detach(); }

void HandshakeConnection::detach() {
    if (m_session) {
        FLEEK_ASSERT(m_session->connections > 0);
        --m_session->connections;
        m_session.reset();
    }
}

void HandshakeConnection::terminate(TerminationReason reason) {
    if (m_state == State::closed) return;
    m_state = State::closed;
    m_termination = reason;
    m_control.clear();
    m_control.push_back(encode_frame(NodeFrame{Terminate{reason}}));
    m_stream.reset();
    m_pending.reset();
    m_receipt_waiting.reset();
    detach();
}

void HandshakeConnection::on_frame_error(FrameError error) {
    terminate(error == FrameError::frame_too_large ? TerminationReason::frame_too_large : TerminationReason::malformed);
}

void HandshakeConnection::on_frame(ByteSpan payload, uint64_t now_ms) {
    if (m_state == State::closed) return;
    m_last_frame_ms = now_ms;
    auto frame = decode_client_frame(payload);
    if (!frame) return on_frame_error(frame.error());
    if (const auto* open = std::get_if<Open>(&*frame)) {
        if (m_state != State::awaiting_open) return terminate(TerminationReason::unexpected_frame);
        return on_open(*open, now_ms);
    }
    if (m_state != State::open) return terminate(TerminationReason::unexpected_frame);
    if (const auto* request = std::get_if<Request>(&*frame)) return on_request(*request);
    on_receipt(std::get<Receipt>(*frame).receipt);
}

void HandshakeConnection::on_open(const Open& open, uint64_t now_ms) {
    const Transcript transcript{m_challenge, open.client_key, open.session_id, open.service, open.token};
    auto client = crypto::ClientPublicKey::from_bytes(open.client_key);
    auto signature = crypto::ClientSignature::from_bytes(open.signature);
    if (!client || !signature || !client->verify(client_open_digest(transcript), *signature)) {
        return terminate(TerminationReason::bad_signature);
    }
    if (open.service != 0) return terminate(TerminationReason::unknown_service);

    std::shared_ptr<SessionState> session;
    if (open.token) {
        auto found = m_context.registry.find(*open.token, now_ms);
        if (!found) return terminate(found.error());
        session = *found;
        // Receipts count within one epoch: a token does not outlive its session's epoch.
        if (session->epoch != m_challenge.epoch) return terminate(TerminationReason::token_expired);
        if (session->client != *client || session->session_id != open.session_id || session->service != open.service) {
            return terminate(TerminationReason::token_mismatch);
        }
        if (session->connections >= m_options.max_connections_per_session) return terminate(TerminationReason::server_busy);
    }
    const uint64_t acknowledged = session ? session->acknowledged_bytes : 0;
    if (auto admitted = m_context.admission.admit(*client, open.service, acknowledged, m_options.window_bytes); !admitted) {
        switch (admitted.error()) {
            case AdmissionRefusal::unapproved_client: return terminate(TerminationReason::unapproved_client);
            case AdmissionRefusal::insufficient_funds: return terminate(TerminationReason::insufficient_funds);
            case AdmissionRefusal::unknown_service: return terminate(TerminationReason::unknown_service);
        }
    }
    if (!session) {
        SessionState state{*client};
        state.session_id = open.session_id;
        state.service = open.service;
        state.epoch = m_challenge.epoch;
        m_context.random(state.token);
        state.token_expires_ms = now_ms + m_options.token_ttl_ms;
        auto created = m_context.registry.create(std::move(state), now_ms);
        if (!created) return terminate(created.error());
        session = *created;
    }
    m_session = session;
    ++m_session->connections;
    m_state = State::open;

    Opened opened;
    opened.session_id = m_session->session_id;
    opened.token = m_session->token;
    opened.token_ttl_ms = m_session->token_expires_ms - now_ms;
    opened.acknowledged_bytes = m_session->acknowledged_bytes;
    opened.receipt_interval_bytes = m_options.receipt_interval_bytes;
    opened.window_bytes = m_options.window_bytes;
    opened.node_signature = m_context.node_key.sign(node_opened_digest(transcript, opened)).bytes();
    m_control.push_back(encode_frame(NodeFrame{opened}));
}

void HandshakeConnection::on_request(const Request& request) {
    if (m_stream && m_stream->done() && !m_pending) m_stream.reset();
    if (m_stream) {
        m_control.push_back(encode_frame(NodeFrame{Refused{request.hash, ContentRefusal::busy}}));
        return;
    }
    auto stream = m_context.content.open(request.hash, request.range);
    if (!stream) {
        const ContentRefusal reason = stream.error() == ContentError::not_found   ? ContentRefusal::not_found
                                      : stream.error() == ContentError::bad_range ? ContentRefusal::bad_range
                                                                                  : ContentRefusal::unavailable;
        m_control.push_back(encode_frame(NodeFrame{Refused{request.hash, reason}}));
        return;
    }
    m_stream = std::move(*stream);
    m_stream_hash = request.hash;
}

std::optional<TerminationReason> HandshakeConnection::check_receipt(const ledger::SignedDeliveryReceipt& signed_receipt) const {
    const ledger::DeliveryReceipt& r = signed_receipt.receipt;
    const SessionState& s = *m_session;
    if (r.chain_id != m_options.chain_id) return TerminationReason::receipt_wrong_chain;
    if (r.node != m_context.node_key.public_key().bytes()) return TerminationReason::receipt_wrong_node;
    if (r.service != s.service) return TerminationReason::receipt_wrong_service;
    if (r.session_id != s.session_id) return TerminationReason::receipt_wrong_session;
    if (r.epoch != s.epoch) return TerminationReason::receipt_wrong_epoch;
    if (signed_receipt.client_key != s.client.bytes()) return TerminationReason::receipt_wrong_client;
    if (r.amount < std::max(s.acknowledged_bytes, m_newest_receipt_amount)) return TerminationReason::receipt_amount_decreased;
    if (r.amount > s.sent_bytes) return TerminationReason::receipt_amount_exceeds_sent;
    // The client key is the session's, parsed and checked once at the open.
    const auto signature = crypto::ClientSignature::from_bytes(signed_receipt.signature);
    if (!signature || !s.client.verify(r.digest(), *signature)) return TerminationReason::receipt_bad_signature;
    return std::nullopt;
}

void HandshakeConnection::on_receipt(const ledger::SignedDeliveryReceipt& receipt) {
    if (auto bad = check_receipt(receipt)) return terminate(*bad);
    const uint64_t amount = receipt.receipt.amount;
    if (amount == std::max(m_session->acknowledged_bytes, m_newest_receipt_amount)) return;  // nothing new (a repeat)
    m_newest_receipt_amount = amount;
    m_receipt_waiting = receipt;  // replaces an older one still waiting: the newest covers it
}

std::optional<ledger::SignedDeliveryReceipt> HandshakeConnection::take_receipt_to_record() {
    if (m_state != State::open || m_receipt_recording || !m_receipt_waiting) return std::nullopt;
    m_receipt_recording = m_receipt_waiting->receipt.amount;
    auto out = std::move(*m_receipt_waiting);
    m_receipt_waiting.reset();
    return out;
}

std::optional<ledger::SignedDeliveryReceipt> HandshakeConnection::take_receipt_at_close() {
    auto out = std::move(m_receipt_waiting);
    m_receipt_waiting.reset();
    return out;
}

void HandshakeConnection::receipt_recorded(uint64_t amount, Result<void, ReceiptSinkError> result) {
    FLEEK_ASSERT(m_receipt_recording == amount);
    m_receipt_recording.reset();
    if (m_state != State::open) return;
    if (!result) {
        return terminate(result.error() == ReceiptSinkError::busy ? TerminationReason::server_busy : TerminationReason::receipt_not_stored);
    }
    if (amount <= m_session->acknowledged_bytes) return;  // another connection of the session counted more meanwhile
    m_session->acknowledged_bytes = amount;
    m_window_full_since_ms.reset();
    if (auto admitted = m_context.admission.admit(m_session->client, m_session->service, m_session->acknowledged_bytes,
                                                  m_options.window_bytes);
        !admitted) {
        terminate(admitted.error() == AdmissionRefusal::unapproved_client ? TerminationReason::unapproved_client
                  : admitted.error() == AdmissionRefusal::unknown_service ? TerminationReason::unknown_service
                                                                          : TerminationReason::insufficient_funds);
    }
}

std::optional<OutFrame> HandshakeConnection::next_frame(uint64_t now_ms) {
    if (!m_control.empty()) {
        OutFrame out{std::move(m_control.front()), nullptr};
        m_control.pop_front();
        return out;
    }
    if (m_state != State::open || !m_stream) return std::nullopt;
    if (!m_pending) {
        if (m_stream->done()) {
            m_stream.reset();
            return std::nullopt;
        }
        auto segment = m_stream->next();
        if (!segment) {
            // The stream is cut: the client drops what it got of this request.
            FLEEK_LOG_WARN("handshake", "stream of {} cut: read failed", hex_encode(m_stream_hash));
            m_stream.reset();
            return OutFrame{encode_frame(NodeFrame{Refused{m_stream_hash, ContentRefusal::unavailable}}), nullptr};
        }
        m_pending = std::move(*segment);
    }
    const uint64_t block_bytes = m_pending->block_bytes();
    const uint64_t unacknowledged = m_session->sent_bytes - m_session->acknowledged_bytes;
    if (block_bytes > 0 && unacknowledged + block_bytes > m_options.window_bytes) {
        if (!m_window_full_since_ms) {
            m_window_full_since_ms = now_ms;
            m_acknowledged_when_full = m_session->acknowledged_bytes;
        }
        return std::nullopt;
    }
    m_window_full_since_ms.reset();
    m_session->sent_bytes += block_bytes;
    OutFrame out{encode_data_frame_head(m_pending->head, block_bytes), std::move(m_pending->block)};
    m_pending.reset();
    return out;
}

void HandshakeConnection::tick(uint64_t now_ms) {
    if (m_state == State::awaiting_open && now_ms >= m_open_deadline_ms) return terminate(TerminationReason::timeout);
    if (is_idle() && now_ms >= m_last_frame_ms + m_options.idle_timeout_ms) return terminate(TerminationReason::timeout);
    if (m_state == State::open && m_window_full_since_ms && now_ms >= *m_window_full_since_ms + m_options.ack_timeout_ms) {
        // Acknowledged meanwhile (on another connection of the session): the next frame goes out.
        if (m_session->acknowledged_bytes > m_acknowledged_when_full) return m_window_full_since_ms.reset();
        // The client did acknowledge: its receipt is still being persisted (a slow disk), not its fault.
        if (m_receipt_recording || m_receipt_waiting) {
            m_window_full_since_ms = now_ms;
            return;
        }
        terminate(TerminationReason::window_exceeded);
    }
}

std::optional<uint64_t> HandshakeConnection::next_deadline_ms() const {
    if (m_state == State::awaiting_open) return m_open_deadline_ms;
    if (m_state == State::open && m_window_full_since_ms) return *m_window_full_since_ms + m_options.ack_timeout_ms;
    if (is_idle()) return m_last_frame_ms + m_options.idle_timeout_ms;
    return std::nullopt;
}

bool HandshakeConnection::is_idle() const noexcept {
    return m_state == State::open && !m_pending && (!m_stream || m_stream->done());
}

}  // namespace fleek::edge::handshake
