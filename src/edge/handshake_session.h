// The node's side of a paid client session (docs/formats/handshake.md), sans-IO: it takes
// client frame payloads, the time (`now_ms`) and randomness, and hands out frames to send or a
// termination. One HandshakeConnection per TCP connection; sessions (what a token resumes)
// live in a SessionRegistry shared by the connections of one thread.
//
// Invariants: no content byte before the open frame's signature verified and admission said
// yes; a receipt is counted (acknowledged bytes advance, the window reopens) only after every
// check passed and its recording completed (receipt_recorded: persisted). Recording is
// asynchronous: the transport takes verified receipts with take_receipt_to_record(), at most one
// in flight per connection and one waiting (a newer receipt replaces the waiting one), and
// streams what the window allows meanwhile; a failed recording ends the session. The node
// never has more than `window_bytes` of block bytes sent and not acknowledged in one session,
// so a client that stops signing costs at most one window, and is cut off (`window_exceeded`)
// after `ack_timeout_ms` with a full window.
#pragma once

#include "content/block.h"
#include "crypto/keys.h"
#include "edge/handshake_frames.h"

#include <deque>
#include <functional>
#include <map>
#include <memory>

namespace fleek::edge::handshake {

// ------------------------------------------------------------------ injected interfaces

enum class AdmissionRefusal : uint8_t { unapproved_client, insufficient_funds, unknown_service };

// Whether a client may be served: its key approved by an account, and that account able to pay
// for `next_window_bytes` more of `service` beyond the `acknowledged_bytes` of this session.
class ClientAdmission {
public:
    virtual ~ClientAdmission() = default;
    virtual Result<void, AdmissionRefusal> admit(const crypto::ClientPublicKey& client, ledger::ServiceId service,
                                                 uint64_t acknowledged_bytes, uint64_t next_window_bytes) = 0;
};

enum class ReceiptSinkError : uint8_t {
    not_stored,  // the node could not persist it (disk)
    busy,        // too many receipts wait to be persisted on this node
};

using ReceiptRecorded = std::function<void(Result<void, ReceiptSinkError>)>;

// Where verified receipts go (the transport calls it with what take_receipt_to_record() hands
// out). `record` persists the receipt and then calls `done` exactly once, from any thread (maybe
// before it returns), with success only once the receipt is durably stored.
class ReceiptSink {
public:
    virtual ~ReceiptSink() = default;
    virtual void record(const ledger::SignedDeliveryReceipt& receipt, ReceiptRecorded done) = 0;
};

enum class ContentError : uint8_t { not_found, bad_range, unavailable };

// One piece of a verified stream: `head` (the stream header, or a block's proof) then the
// block's bytes when `block` is set.
struct StreamSegment {
    Bytes head;
    content::BlockBuffer block;
    uint64_t block_bytes() const noexcept { return block ? block->size() : 0; }
};

class ContentStream {
public:
    virtual ~ContentStream() = default;
    virtual bool done() const = 0;
    virtual Result<StreamSegment, ContentError> next() = 0;
};

class ContentSource {
public:
    virtual ~ContentSource() = default;
    virtual Result<std::unique_ptr<ContentStream>, ContentError> open(const Hash32& hash, const std::optional<BlockRange>& range) = 0;
};

using RandomFill = std::function<void(MutableByteSpan)>;

// ------------------------------------------------------------------ options and sessions

struct SessionOptions {
    uint64_t chain_id = 0;
    uint64_t receipt_interval_bytes = 1 << 20;
    uint64_t window_bytes = 4 << 20;
    uint64_t ack_timeout_ms = 30'000;   // a full window without a receipt this long ends the session
    uint64_t open_timeout_ms = 5'000;   // from the challenge to the open frame
    uint64_t idle_timeout_ms = 60'000;  // an open connection with no request streaming and no frame from the client
    uint64_t token_ttl_ms = 600'000;
    size_t max_sessions = 10'000;       // sessions held by the registry (connected or resumable)
    uint32_t max_connections_per_session = 2;
};

struct SessionState {
    crypto::ClientPublicKey client;
    ledger::SessionId session_id{};
    ledger::ServiceId service = 0;
    uint64_t epoch = 0;
    Token token{};
    uint64_t token_expires_ms = 0;
    uint64_t sent_bytes = 0;          // block bytes sent in this session, over all its connections
    uint64_t acknowledged_bytes = 0;  // the newest receipt's amount
    uint32_t connections = 0;
};

enum class Lookup : uint8_t { unknown_token, token_expired };

// Sessions by token, and by (client, session id) so one session id is never opened twice.
// Expired sessions stay one more TTL (a resume then learns `token_expired`), then go.
class SessionRegistry {
public:
    explicit SessionRegistry(const SessionOptions& options) : m_options(options) {}
    // Fails with session_exists when this client already holds the session id here, server_busy
    // when max_sessions are held (after dropping those gone for good).
    Result<std::shared_ptr<SessionState>, TerminationReason> create(SessionState state, uint64_t now_ms);
    Result<std::shared_ptr<SessionState>, TerminationReason> find(const Token& token, uint64_t now_ms) const;
    void expire(uint64_t now_ms);
    size_t size() const noexcept { return m_by_token.size(); }

private:
    SessionOptions m_options;
    std::map<Token, std::shared_ptr<SessionState>> m_by_token;
    std::map<std::pair<ledger::ClientKeyBytes, ledger::SessionId>, Token> m_by_session;
};

struct SessionContext {
    const crypto::NodeSecretKey& node_key;
    ClientAdmission& admission;
    ContentSource& content;
    SessionRegistry& registry;
    RandomFill random;
    std::function<uint64_t()> current_epoch;
};

// A frame to write: `bytes`, then the block's bytes when `block` is set.
struct OutFrame {
    Bytes bytes;
    content::BlockBuffer block;
    size_t size() const noexcept { return bytes.size() + (block ? block->size() : 0); }
};

class HandshakeConnection {
public:
    HandshakeConnection(SessionContext context, const SessionOptions& options, uint64_t now_ms);
    ~HandshakeConnection();
    HandshakeConnection(const HandshakeConnection&) = delete;
    HandshakeConnection& operator=(const HandshakeConnection&) = delete;

    // One client frame payload (without its length prefix).
    void on_frame(ByteSpan payload, uint64_t now_ms);
    // The transport refused a frame before reading it (its announced length).
    void on_frame_error(FrameError error);
    void tick(uint64_t now_ms);
    // The next frame to write, control frames first, then content within the window; nullopt
    // when nothing can be sent now.
    std::optional<OutFrame> next_frame(uint64_t now_ms);
    // The newest verified receipt not yet handed out, when none is being recorded: the caller
    // persists it (ReceiptSink) and then calls receipt_recorded with its amount.
    std::optional<ledger::SignedDeliveryReceipt> take_receipt_to_record();
    // The recording of the receipt of `amount` finished: on success the session counts it
    // (acknowledged bytes, window, admission for the next window); on failure the session ends
    // (`receipt_not_stored`, or `server_busy`) and nothing counts. Ignored once closed.
    void receipt_recorded(uint64_t amount, Result<void, ReceiptSinkError> result);
    bool receipt_recording() const noexcept { return m_receipt_recording.has_value(); }
    // The connection goes (the client closed it): the verified receipt still waiting, if any, to
    // persist without a completion (it no longer opens a window here, but it is owed).
    std::optional<ledger::SignedDeliveryReceipt> take_receipt_at_close();
    // True once the termination frame (if any) was handed out: close the connection.
    bool finished() const noexcept { return m_state == State::closed && m_control.empty(); }
    std::optional<TerminationReason> termination() const noexcept { return m_termination; }
    // The earliest time tick() has something to do.
    std::optional<uint64_t> next_deadline_ms() const;
    const SessionState* session() const noexcept { return m_session.get(); }
    void terminate(TerminationReason reason);

private:
    enum class State : uint8_t { awaiting_open, open, closed };
    void on_open(const Open& open, uint64_t now_ms);
    void on_request(const Request& request);
    void on_receipt(const ledger::SignedDeliveryReceipt& receipt);
    std::optional<TerminationReason> check_receipt(const ledger::SignedDeliveryReceipt& receipt) const;
    void detach();
    bool is_idle() const noexcept;  // open, nothing streaming

    SessionContext m_context;
    SessionOptions m_options;
    State m_state = State::awaiting_open;
    Challenge m_challenge;
    uint64_t m_open_deadline_ms = 0;
    uint64_t m_last_frame_ms = 0;
    std::deque<Bytes> m_control;
    std::optional<TerminationReason> m_termination;
    std::shared_ptr<SessionState> m_session;
    std::unique_ptr<ContentStream> m_stream;
    Hash32 m_stream_hash{};
    std::optional<StreamSegment> m_pending;      // read, waiting for room in the window
    std::optional<uint64_t> m_window_full_since_ms;
    uint64_t m_acknowledged_when_full = 0;  // a receipt on another connection of the session also reopens the window
    std::optional<ledger::SignedDeliveryReceipt> m_receipt_waiting;  // verified, not yet handed out
    std::optional<uint64_t> m_receipt_recording;                     // the amount handed out, not yet recorded
    uint64_t m_newest_receipt_amount = 0;                            // the highest amount verified on this connection
};

}  // namespace fleek::edge::handshake
