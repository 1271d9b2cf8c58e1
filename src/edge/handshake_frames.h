// Frames of a paid client session over TCP (docs/formats/handshake.md). Pure: no I/O.
//
//   frame    = length u32 LE | payload          (1 <= length <= the direction's maximum)
//   payload  = tag u8 | body (canonical encoding)
//
//   node -> client                                client -> node
//   0x01 challenge   version, chain, epoch,       0x10 open      client key, session id,
//                    node key, nonce                             service, token?, signature
//   0x02 opened      session id, token, ttl,      0x11 request   hash, block range?
//                    acknowledged, interval,      0x12 receipt   SignedDeliveryReceipt
//                    window, node signature
//   0x03 data        verified-stream bytes
//   0x04 refused     hash, reason (content)
//   0x05 terminate   reason
//
// Decoders reject empty and over-long frames, unknown tags (and a tag of the other direction),
// truncated bodies, trailing bytes and out-of-range enum values, each with its own error.
#pragma once

#include "crypto/hash.h"
#include "ledger/delivery.h"
#include "util/bytes.h"
#include "util/result.h"

#include <optional>
#include <string_view>
#include <variant>

namespace fleek::edge::handshake {

inline constexpr uint8_t protocol_version = 1;
inline constexpr size_t frame_header_size = 4;
// Client frames are small (an open frame is 1 + 32 + 16 + 4 + 33 + 64 = 150 bytes).
inline constexpr uint32_t client_frame_max_bytes = 1024;
// A data frame carries at most one block (256 KiB) and its proof (1 + 64 x 32 bytes).
inline constexpr uint32_t node_frame_max_bytes = 256 * 1024 + 4096;
inline constexpr size_t token_size = 32;
inline constexpr size_t nonce_size = 32;

using Token = ByteArray<token_size>;
using Nonce = ByteArray<nonce_size>;
using Hash32 = crypto::Hash32;

enum class FrameTag : uint8_t {
    challenge = 0x01,
    opened = 0x02,
    data = 0x03,
    refused = 0x04,
    terminate = 0x05,
    open = 0x10,
    request = 0x11,
    receipt = 0x12,
};

// Why a session ends (the terminate frame's reason; also what the node logs).
enum class TerminationReason : uint8_t {
    bad_signature = 0x01,            // the open frame's signature does not verify
    unapproved_client = 0x02,        // the client key is not approved by any account
    insufficient_funds = 0x03,       // the client's account cannot cover the next window
    unknown_service = 0x04,          // a service this node does not serve in sessions
    window_exceeded = 0x05,          // no receipt came within the ack timeout while the window was full
    token_expired = 0x06,            // the access token's time to live passed
    unknown_token = 0x07,            // no session holds this token
    token_mismatch = 0x08,           // the token's session has another client key, session id or service
    timeout = 0x09,                  // the open frame did not come in time
    frame_too_large = 0x0a,          // a frame over the direction's maximum
    malformed = 0x0b,                // a frame that does not decode
    unexpected_frame = 0x0c,         // a valid frame at the wrong time (a second open, a request before open)
    server_busy = 0x0d,              // too many connections or sessions
    session_exists = 0x0e,           // a new open with a session id this client already opened here
    receipt_wrong_chain = 0x10,      // receipt checks, in this order
    receipt_wrong_node = 0x11,
    receipt_wrong_service = 0x12,
    receipt_wrong_session = 0x13,
    receipt_wrong_epoch = 0x14,
    receipt_wrong_client = 0x15,
    receipt_amount_decreased = 0x16,
    receipt_amount_exceeds_sent = 0x17,
    receipt_bad_signature = 0x18,
    receipt_not_stored = 0x19,       // the node could not persist a good receipt (its own failure)
    shutdown = 0x1a,                 // the node is stopping
};
std::string_view to_string(TerminationReason reason) noexcept;
bool is_known_termination_reason(uint8_t value) noexcept;

// Why one content request is refused (the session goes on).
enum class ContentRefusal : uint8_t {
    not_found = 0x01,    // the node does not hold the content
    bad_range = 0x02,    // the block range is outside the content (or empty and backwards)
    busy = 0x03,         // a request is already streaming on this connection
    unavailable = 0x04,  // the node failed to read it (disk)
};
std::string_view to_string(ContentRefusal refusal) noexcept;

enum class FrameError : uint8_t {
    empty_frame,      // length 0
    frame_too_large,  // length over the direction's maximum
    truncated,        // the body ends inside a field
    trailing_bytes,   // bytes after the body
    unknown_tag,      // a tag this direction does not have
    invalid_value,    // an enum or marker byte out of range
};
std::string_view to_string(FrameError error) noexcept;

// ------------------------------------------------------------------ node -> client

struct Challenge {
    uint8_t version = protocol_version;
    uint64_t chain_id = 0;
    uint64_t epoch = 0;
    ledger::NodeKeyBytes node_key{};
    Nonce nonce{};
    friend bool operator==(const Challenge&, const Challenge&) = default;
};

struct Opened {
    ledger::SessionId session_id{};
    Token token{};
    uint64_t token_ttl_ms = 0;            // the token is valid this long from now
    uint64_t acknowledged_bytes = 0;      // the session's newest receipt amount (0 for a new session)
    uint64_t receipt_interval_bytes = 0;  // the client signs a receipt at least this often
    uint64_t window_bytes = 0;            // unacknowledged bytes the node sends at most
    ledger::Ed25519SignatureBytes node_signature{};
    friend bool operator==(const Opened&, const Opened&) = default;
};

// A piece of the verified stream (docs/formats/verified-stream.md) of the current request; a
// view into the decoded payload.
struct Data {
    ByteSpan bytes;
};

struct Refused {
    Hash32 hash{};
    ContentRefusal reason = ContentRefusal::not_found;
    friend bool operator==(const Refused&, const Refused&) = default;
};

struct Terminate {
    TerminationReason reason = TerminationReason::malformed;
    friend bool operator==(const Terminate&, const Terminate&) = default;
};

using NodeFrame = std::variant<Challenge, Opened, Data, Refused, Terminate>;

// ------------------------------------------------------------------ client -> node

struct Open {
    ledger::ClientKeyBytes client_key{};
    ledger::SessionId session_id{};
    ledger::ServiceId service = 0;
    std::optional<Token> token;  // present: attach to (resume) the session holding this token
    ledger::Ed25519SignatureBytes signature{};
    friend bool operator==(const Open&, const Open&) = default;
};

struct BlockRange {
    uint64_t first_block = 0;
    uint64_t end_block = 0;  // exclusive
    friend bool operator==(const BlockRange&, const BlockRange&) = default;
};

struct Request {
    Hash32 hash{};
    std::optional<BlockRange> range;  // absent: every block
    friend bool operator==(const Request&, const Request&) = default;
};

struct Receipt {
    ledger::SignedDeliveryReceipt receipt;
    friend bool operator==(const Receipt&, const Receipt&) = default;
};

using ClientFrame = std::variant<Open, Request, Receipt>;

// ------------------------------------------------------------------ encoding

// Whole frames, length prefix included.
Bytes encode_frame(const NodeFrame& frame);
Bytes encode_frame(const ClientFrame& frame);
// The first part of a data frame whose payload continues with `tail_size` more bytes (a block
// sent from its buffer): length | 0x03 | head.
Bytes encode_data_frame_head(ByteSpan head, size_t tail_size);

// Payloads (without the length prefix).
Result<NodeFrame, FrameError> decode_node_frame(ByteSpan payload);
Result<ClientFrame, FrameError> decode_client_frame(ByteSpan payload);

// The payload length announced by a frame header, checked against `max_bytes` before anything
// is allocated for it.
Result<uint32_t, FrameError> decode_frame_length(std::span<const uint8_t, frame_header_size> header, uint32_t max_bytes);

// Splits a byte stream into frame payloads (for clients reading from a socket). Each complete
// payload is handed out as a view valid until the next feed; after an error it stays failed.
class FrameSplitter {
public:
    explicit FrameSplitter(uint32_t max_bytes) : m_max_bytes(max_bytes) {}
    // Calls on_payload for each complete frame in order; stops at the first error, or after a
    // frame for which on_payload returns false (the bytes after it wait for the next feed).
    Result<void, FrameError> feed(ByteSpan data, const std::function<bool(ByteSpan)>& on_payload);
    bool idle() const noexcept { return m_buffer.empty(); }

private:
    uint32_t m_max_bytes;
    Bytes m_buffer;
    std::optional<FrameError> m_failure;
};

// ------------------------------------------------------------------ transcript

// What both sides sign: the challenge and the client's open fields (without its signature).
struct Transcript {
    Challenge challenge;
    ledger::ClientKeyBytes client_key{};
    ledger::SessionId session_id{};
    ledger::ServiceId service = 0;
    std::optional<Token> token;
};
Bytes encode_transcript(const Transcript& transcript);
// object_digest("handshake-open", transcript): what the client key signs.
Hash32 client_open_digest(const Transcript& transcript);
// object_digest("handshake-opened", transcript | opened without its signature): what the node key signs.
Hash32 node_opened_digest(const Transcript& transcript, const Opened& opened);

}  // namespace fleek::edge::handshake
