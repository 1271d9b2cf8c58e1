// GET /handshake on the HTTP gateway (docs/gateway.md): whether a request's socket goes to the
// paid session server as a WebSocket upgrade (docs/formats/handshake.md §WebSocket mapping), or
// what the gateway answers instead. Pure, so the refusals are tested without Beast; the gateway
// (http_gateway.cpp) reads the request and acts on the answer.
//
// Refusals, first match wins:
//   404  the node serves no paid sessions (no session server: a node without a genesis);
//   503  the session server is not running right now (the node is starting or stopping);
//   426  no `Upgrade: websocket` (with `Upgrade: websocket` in the answer, RFC 9110 §15.5.22);
//   400  the request has a body (an upgrade request has none; the connection closes).
// Otherwise the socket is handed over and the session server answers the upgrade itself (a bad
// Sec-WebSocket-Key or version gets Beast's 400 there).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleek::edge {

namespace handshake {
class HandshakeUpgrades;  // edge/handshake_ws.h
}  // namespace handshake

struct HandshakeRefusal {
    unsigned status = 0;          // HTTP status
    std::string message;          // the text of the JSON error body
    bool offer_upgrade = false;   // answer with `Upgrade: websocket` (426)
    bool close = false;           // the connection closes after the answer (a body was not read)
};

// `upgrades`: where the gateway hands upgrades (null: none); `upgrade_field`: the request's
// Upgrade header (a comma-separated token list, compared without case); `has_body`: a
// Content-Length above 0 or chunked. nullopt: hand the socket over.
std::optional<HandshakeRefusal> refuse_handshake_request(const handshake::HandshakeUpgrades* upgrades, std::string_view upgrade_field,
                                                         bool has_body);

// Whether an Upgrade header value lists the `websocket` token.
bool upgrade_names_websocket(std::string_view upgrade_field);

}  // namespace fleek::edge
