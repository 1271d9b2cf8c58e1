// The client's side of a paid session (docs/formats/handshake.md), sans-IO: it answers the
// challenge with its client key, checks the node's signature against the node it meant to
// reach, verifies the content it receives block by block (content::StreamVerifier), and signs a
// cumulative receipt every `receipt_interval_bytes` verified bytes and at the end of each
// request. Used by `flk` and by tests.
#pragma once

#include "content/stream.h"
#include "edge/handshake_frames.h"

namespace fleek::edge::handshake {

enum class ClientError : uint8_t {
    malformed,            // a node frame that does not decode
    unexpected_frame,     // a valid frame at the wrong time
    wrong_node,           // the challenge names another node key than expected
    wrong_chain,          // the challenge names another chain than expected
    bad_node_signature,   // the opened frame's signature does not verify under the node key
    wrong_session,        // the opened frame names another session id
    refused,              // the node refused the request (see refusal())
    stream_failed,        // a block did not verify (see stream_failure())
    terminated,           // the node ended the session (see termination())
};
std::string_view to_string(ClientError error) noexcept;

struct ClientOptions {
    crypto::NodePublicKey node;
    std::optional<uint64_t> chain_id;  // when set, the challenge must name it
    ledger::SessionId session_id{};
    ledger::ServiceId service = 0;
    std::optional<Token> resume_token;   // attach to this session instead of opening a new one
    uint64_t acknowledged_bytes = 0;     // what a resumed session already signed for
};

class HandshakeClient {
public:
    // Receives verified blocks (index, bytes); false stops the stream.
    using BlockSink = content::StreamVerifier::Sink;

    HandshakeClient(crypto::ClientSecretKey key, ClientOptions options);

    // One node frame payload (without its length prefix). Frames to send are appended to `out`.
    Result<void, ClientError> on_frame(ByteSpan payload, std::vector<Bytes>& out);

    bool is_open() const noexcept { return m_opened.has_value(); }
    // Asks for content; only when open and no request is streaming.
    Bytes request(const Hash32& hash, const std::optional<BlockRange>& range, BlockSink sink);
    bool request_done() const noexcept { return !m_verifier; }
    // The length of the content being streamed, once its stream header arrived.
    std::optional<uint64_t> streaming_content_length() const noexcept {
        if (!m_verifier || !m_verifier->header()) return std::nullopt;
        return m_verifier->header()->content_length;
    }

    const std::optional<Opened>& opened() const noexcept { return m_opened; }
    const std::optional<Challenge>& challenge() const noexcept { return m_challenge; }
    uint64_t verified_bytes() const noexcept { return m_verified_bytes; }
    uint64_t signed_bytes() const noexcept { return m_signed_bytes; }
    std::optional<TerminationReason> termination() const noexcept { return m_termination; }
    std::optional<ContentRefusal> refusal() const noexcept { return m_refusal; }
    const std::optional<content::StreamFailure>& stream_failure() const noexcept { return m_stream_failure; }

private:
    Result<void, ClientError> on_challenge(const Challenge& challenge, std::vector<Bytes>& out);
    Result<void, ClientError> on_opened(const Opened& opened);
    Result<void, ClientError> on_data(ByteSpan bytes, std::vector<Bytes>& out);
    Bytes sign_receipt();

    crypto::ClientSecretKey m_key;
    ClientOptions m_options;
    std::optional<Challenge> m_challenge;
    std::optional<Transcript> m_transcript;
    std::optional<Opened> m_opened;
    std::optional<content::StreamVerifier> m_verifier;
    Hash32 m_request_hash{};
    BlockSink m_sink;
    uint64_t m_verified_bytes = 0;  // cumulative in the session (a resumed one starts at its acknowledged bytes)
    uint64_t m_signed_bytes = 0;
    std::optional<TerminationReason> m_termination;
    std::optional<ContentRefusal> m_refusal;
    std::optional<content::StreamFailure> m_stream_failure;
};

}  // namespace fleek::edge::handshake
