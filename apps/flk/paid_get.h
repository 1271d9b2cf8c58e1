// flk get HASH --client-key FILE [--handshake HOST:PORT] [-o OUT] [--force]: a file fetched
// over a paid session (docs/formats/handshake.md) instead of plain HTTP. Every block is verified
// before it is written; the client key signs cumulative receipts as blocks verify, and the
// node's account is paid from the stables of the account that approved the key.
//
// What comes from where: the node's public key (flk_get_public_keys), the chain id
// (flk_get_chain_info) and the service price (flk_get_service) from --rpc; the handshake address
// from --handshake, else the host of --node and the handshake_tcp port the node registered on
// chain (flk_get_node_info). Output as plain `flk get` of a file: written to a temporary file
// next to OUT, renamed into place once complete, never over an existing name without --force.
// A paid download does not resume (a new session pays again for what it fetches); directories
// are refused.
#pragma once

#include "apps/flk/content_commands.h"
#include "ledger/types.h"

#include <optional>
#include <string>

namespace fleek::flk {

struct PaidGetOptions {
    std::string client_key_file;           // --client-key
    std::optional<std::string> handshake;  // --handshake HOST:PORT
    std::string rpc_url;                   // --rpc
    ledger::ServiceId service_id = 0;      // the bandwidth service sessions are paid in
};

int command_paid_get(const std::string& hash, const std::optional<std::string>& output, const ContentOptions& content,
                     const PaidGetOptions& paid);

// "HOST:PORT" or "[IPv6]:PORT" -> host and port; an error message for people otherwise.
struct HostPort {
    std::string host;
    uint16_t port = 0;
};
Result<HostPort, std::string> parse_host_port(const std::string& text);
// The host of a URL ("http://node.example:4220/x" -> "node.example", "http://[::1]:4220" -> "::1").
Result<std::string, std::string> url_host(const std::string& url);

}  // namespace fleek::flk
