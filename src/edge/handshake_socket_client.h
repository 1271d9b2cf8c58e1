// One paid fetch over a blocking POSIX TCP socket (docs/formats/handshake.md): connects to the
// node's handshake port, drives a HandshakeClient (challenge, open, request, verified blocks,
// receipts) and ends the connection gracefully once the last receipt is sent, so the node reads
// it before the connection closes. Used by `flk get --client-key` and by the tests. No Boost.
//
// Bounded: a connect that does not complete within `connect_timeout_ms`, or a node that sends
// nothing for `stall_timeout_ms`, fails with a typed error instead of waiting forever; frames
// over node_frame_max_bytes are refused by the frame splitter before they are buffered.
#pragma once

#include "edge/handshake_client.h"

#include <cstdint>
#include <optional>
#include <string>

namespace fleek::edge::handshake {

struct SocketClientOptions {
    std::string host;                    // a name or a numeric IPv4/IPv6 address
    uint16_t port = 4221;
    uint64_t connect_timeout_ms = 10'000;
    uint64_t stall_timeout_ms = 30'000;  // no byte from the node for this long abandons the fetch
};

enum class SocketError : uint8_t {
    resolve_failed,      // the host name does not resolve
    connection_refused,  // nothing listens on the port
    connect_failed,      // another connect error (unreachable, ...)
    connect_timeout,     // the connect did not complete in time
    stalled,             // the node sent nothing for stall_timeout_ms
    closed,              // the node closed the connection before the request was done
    send_failed,         // writing to the node failed
    receive_failed,      // reading from the node failed
    bad_frame,           // a node frame header or length the splitter refused (see frame_error)
    session,             // the handshake client failed (see client_error)
};
std::string_view to_string(SocketError error) noexcept;

struct SocketFailure {
    SocketError error = SocketError::session;
    std::optional<ClientError> client_error;      // error == session
    std::optional<TerminationReason> termination;  // client_error == terminated
    std::optional<ContentRefusal> refusal;         // client_error == refused
    std::optional<content::StreamFailure> stream_failure;  // client_error == stream_failed
    std::optional<FrameError> frame_error;         // error == bad_frame
    int system_error = 0;                          // errno, or the getaddrinfo code for resolve_failed
    // One line for people: the typed error and its reason, e.g.
    // "the node ended the session: terminated (unapproved_client)".
    std::string describe() const;
};

// Fetches `hash` (whole, or `range`) over one session of `client`, handing verified blocks to
// `sink`. Returns when the request is done and its last receipt was sent and read by the node
// (or the node closed the connection); `client` keeps the byte counts either way.
Result<void, SocketFailure> fetch_over_socket(const SocketClientOptions& options, HandshakeClient& client, const Hash32& hash,
                                              const std::optional<BlockRange>& range, HandshakeClient::BlockSink sink);

}  // namespace fleek::edge::handshake
