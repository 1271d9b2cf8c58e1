#include "edge/handshake_client.h"

namespace fleek::edge::handshake {

std::string_view to_string(ClientError error) noexcept {
    switch (error) {
        case ClientError::malformed: return "malformed";
        case ClientError::unexpected_frame: return "unexpected_frame";
        case ClientError::wrong_node: return "wrong_node";
        case ClientError::wrong_chain: return "wrong_chain";
        case ClientError::bad_node_signature: return "bad_node_signature";
        case ClientError::wrong_session: return "wrong_session";
        case ClientError::refused: return "refused";
        case ClientError::stream_failed: return "stream_failed";
        case ClientError::terminated: return "terminated";
    }
    return "unknown";
}

HandshakeClient::HandshakeClient(crypto::ClientSecretKey key, ClientOptions options)
    : m_key(std::move(key)), m_options(std::move(options)), m_verified_bytes(m_options.acknowledged_bytes),
      m_signed_bytes(m_options.acknowledged_bytes) {}

Result<void, ClientError> HandshakeClient::on_frame(ByteSpan payload, std::vector<Bytes>& out) {
    auto frame = decode_node_frame(payload);
    if (!frame) return fail(ClientError::malformed);
    if (const auto* terminate = std::get_if<Terminate>(&*frame)) {
        m_termination = terminate->reason;
        return fail(ClientError::terminated);
    }
    if (const auto* challenge = std::get_if<Challenge>(&*frame)) return on_challenge(*challenge, out);
    if (const auto* opened = std::get_if<Opened>(&*frame)) return on_opened(*opened);
    if (!m_opened) return fail(ClientError::unexpected_frame);
    if (const auto* data = std::get_if<Data>(&*frame)) return on_data(data->bytes, out);
    const auto& refused = std::get<Refused>(*frame);
    if (!m_verifier || refused.hash != m_request_hash) return fail(ClientError::unexpected_frame);
    m_refusal = refused.reason;
    m_verifier.reset();
    return fail(ClientError::refused);
}

Result<void, ClientError> HandshakeClient::on_challenge(const Challenge& challenge, std::vector<Bytes>& out) {
    if (m_challenge) return fail(ClientError::unexpected_frame);
    if (challenge.node_key != m_options.node.bytes()) return fail(ClientError::wrong_node);
    if (m_options.chain_id && challenge.chain_id != *m_options.chain_id) return fail(ClientError::wrong_chain);
    m_challenge = challenge;
    m_transcript = Transcript{challenge, m_key.public_key().bytes(), m_options.session_id, m_options.service, m_options.resume_token};
    Open open;
    open.client_key = m_key.public_key().bytes();
    open.session_id = m_options.session_id;
    open.service = m_options.service;
    open.token = m_options.resume_token;
    open.signature = m_key.sign(client_open_digest(*m_transcript)).bytes();
    out.push_back(encode_frame(ClientFrame{open}));
    return {};
}

Result<void, ClientError> HandshakeClient::on_opened(const Opened& opened) {
    if (!m_transcript || m_opened) return fail(ClientError::unexpected_frame);
    auto signature = crypto::NodeSignature::from_bytes(opened.node_signature);
    if (!signature || !m_options.node.verify(node_opened_digest(*m_transcript, opened), *signature)) {
        return fail(ClientError::bad_node_signature);
    }
    if (opened.session_id != m_options.session_id) return fail(ClientError::wrong_session);
    m_opened = opened;
    // A resumed session continues from what the node holds a receipt for.
    m_verified_bytes = std::max(m_verified_bytes, opened.acknowledged_bytes);
    m_signed_bytes = std::max(m_signed_bytes, opened.acknowledged_bytes);
    return {};
}

Bytes HandshakeClient::request(const Hash32& hash, const std::optional<BlockRange>& range, BlockSink sink) {
    FLEEK_ASSERT(m_opened && !m_verifier);
    m_request_hash = hash;
    m_sink = std::move(sink);
    m_refusal.reset();
    m_verifier.emplace(hash, range ? std::optional<uint64_t>(range->first_block) : std::nullopt,
                       range ? std::optional<uint64_t>(range->end_block) : std::nullopt);
    return encode_frame(ClientFrame{Request{hash, range}});
}

Bytes HandshakeClient::sign_receipt() {
    ledger::DeliveryReceipt receipt;
    receipt.chain_id = m_challenge->chain_id;
    receipt.node = m_challenge->node_key;
    receipt.service = m_options.service;
    receipt.session_id = m_options.session_id;
    receipt.epoch = m_challenge->epoch;
    receipt.amount = m_verified_bytes;
    m_signed_bytes = m_verified_bytes;
    return encode_frame(ClientFrame{Receipt{ledger::sign_delivery_receipt(receipt, m_key)}});
}

Result<void, ClientError> HandshakeClient::on_data(ByteSpan bytes, std::vector<Bytes>& out) {
    if (!m_verifier) return fail(ClientError::unexpected_frame);
    const uint64_t interval = std::max<uint64_t>(m_opened->receipt_interval_bytes, 1);
    auto fed = m_verifier->feed(bytes, [&](uint64_t k, ByteSpan block) {
        m_verified_bytes += block.size();
        if (m_verified_bytes - m_signed_bytes >= interval) out.push_back(sign_receipt());
        return m_sink ? m_sink(k, block) : true;
    });
    if (!fed) {
        m_stream_failure = fed.error();
        m_verifier.reset();
        return fail(ClientError::stream_failed);
    }
    if (m_verifier->finish()) {  // the last block arrived: acknowledge the rest
        m_verifier.reset();
        if (m_verified_bytes > m_signed_bytes) out.push_back(sign_receipt());
    }
    return {};
}

}  // namespace fleek::edge::handshake
