// Who may use the gateway's routes that cost the node something (uploads, origin fetches,
// pins), and who an upload is charged to. No Beast: unit-tested and fuzzed.
//
// Operator tokens are kept in a file in the node home (gateway.token_path, mode 0600): one token
// per line, blank lines and lines starting with '#' ignored. A token is 32 to 256 characters of
// the RFC 6750 token68 alphabet (letters, digits, - . _ ~ + /, then optional '='). Requests
// present one as `Authorization: Bearer <token>`.
#pragma once

#include "util/bytes.h"
#include "util/result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::edge {

inline constexpr size_t token_size_min = 32;
inline constexpr size_t token_size_max = 256;
inline constexpr size_t token_file_bytes_max = 64 * 1024;

// The tokens of a token file's text; an error names the line.
Result<std::vector<std::string>, std::string> parse_token_file(std::string_view text);

enum class AuthOutcome : uint8_t {
    authorized,  // a configured token
    anonymous,   // no Authorization header
    malformed,   // an Authorization header that is not `Bearer <token68>`
    invalid,     // a well-formed token that is not configured
};

struct Authorization {
    AuthOutcome outcome = AuthOutcome::anonymous;
    // Set when authorized: "token:<16 hex of SHA-256(token)>", the uploader the token's
    // uploads are charged to (the token itself is never logged or stored).
    std::string identity;
};

// Checks an Authorization header value against the configured tokens (compared by SHA-256
// digest, so the time taken says nothing about how much of a token matched).
Authorization authorize(std::string_view header, const std::vector<std::string>& tokens);

// The uploader an anonymous upload is charged to: "ip:<IPv4>" or, for IPv6, "ip:<the /64>::/64"
// (one end network holds a whole /64, so counting single addresses would not bound it).
// `address` as Boost prints it; anything unparsable is charged to "ip:unknown".
std::string anonymous_identity(std::string_view address);

}  // namespace fleek::edge
