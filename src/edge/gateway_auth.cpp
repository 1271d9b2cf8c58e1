#include "edge/gateway_auth.h"

#include "crypto/hash.h"
#include "util/encoding.h"

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace fleek::edge {

namespace {

bool is_token68_character(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool is_token68(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && is_token68_character(text[i])) ++i;
    if (i == 0) return false;
    while (i < text.size() && text[i] == '=') ++i;
    return i == text.size();
}

}  // namespace

Result<std::vector<std::string>, std::string> parse_token_file(std::string_view text) {
    if (text.size() > token_file_bytes_max) return fail(fmt::format("a token file holds at most {} bytes", token_file_bytes_max));
    std::vector<std::string> tokens;
    size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const size_t end = text.find('\n');
        const std::string_view line = trim_whitespace(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        if (line.empty() || line.front() == '#') continue;
        if (line.size() < token_size_min || line.size() > token_size_max || !is_token68(line)) {
            return fail(fmt::format("line {}: a token is {} to {} characters of letters, digits and - . _ ~ + / (then '=' padding)",
                                    line_number, token_size_min, token_size_max));
        }
        tokens.emplace_back(line);
    }
    return tokens;
}

Authorization authorize(std::string_view header, const std::vector<std::string>& tokens) {
    Authorization out;
    header = trim_whitespace(header);
    if (header.empty()) return out;
    constexpr std::string_view scheme = "bearer ";
    std::string start(header.substr(0, scheme.size()));
    for (char& c : start) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (start != scheme) {
        out.outcome = AuthOutcome::malformed;
        return out;
    }
    const std::string_view presented = trim_whitespace(header.substr(scheme.size()));
    if (!is_token68(presented) || presented.size() > token_size_max) {
        out.outcome = AuthOutcome::malformed;
        return out;
    }
    const crypto::Hash32 digest = crypto::sha256(as_bytes(presented));
    bool matched = false;
    for (const auto& token : tokens) {
        const crypto::Hash32 candidate = crypto::sha256(as_bytes(token));
        uint8_t difference = 0;
        for (size_t i = 0; i < digest.size(); ++i) difference |= static_cast<uint8_t>(digest[i] ^ candidate[i]);
        matched = matched || difference == 0;
    }
    if (!matched) {
        out.outcome = AuthOutcome::invalid;
        return out;
    }
    out.outcome = AuthOutcome::authorized;
    out.identity = "token:" + hex_encode(digest).substr(0, 16);
    return out;
}

std::string anonymous_identity(std::string_view address) {
    const std::string text(address.substr(0, 64));
    std::array<uint8_t, 16> bytes{};
    if (::inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) return "ip:" + text;
    if (::inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) return "ip:unknown";
    const bool mapped = std::all_of(bytes.begin(), bytes.begin() + 10, [](uint8_t b) { return b == 0; }) && bytes[10] == 0xff &&
                        bytes[11] == 0xff;
    if (mapped) return fmt::format("ip:{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
    std::fill(bytes.begin() + 8, bytes.end(), 0);
    char prefix[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, bytes.data(), prefix, sizeof(prefix));
    return fmt::format("ip:{}/64", prefix);
}

}  // namespace fleek::edge
