#include "edge/handshake_route.h"

#include "edge/handshake_ws.h"

#include <cctype>

namespace fleek::edge {

namespace {

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

bool equal_without_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

}  // namespace

bool upgrade_names_websocket(std::string_view upgrade_field) {
    while (!upgrade_field.empty()) {
        const size_t comma = upgrade_field.find(',');
        const std::string_view token = trimmed(upgrade_field.substr(0, comma));
        if (equal_without_case(token, "websocket")) return true;
        if (comma == std::string_view::npos) break;
        upgrade_field.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<HandshakeRefusal> refuse_handshake_request(const handshake::HandshakeUpgrades* upgrades, std::string_view upgrade_field,
                                                         bool has_body) {
    if (upgrades == nullptr) {
        return HandshakeRefusal{404, "this node serves no paid sessions: it runs without a genesis (ledger.genesis_path)", false, has_body};
    }
    if (!upgrades->accepting()) {
        return HandshakeRefusal{503, "paid sessions are not running on this node right now (it is starting or stopping); try again",
                                false, has_body};
    }
    if (!upgrade_names_websocket(upgrade_field)) {
        return HandshakeRefusal{426, "/handshake is a WebSocket endpoint: a paid session needs a WebSocket upgrade (Upgrade: websocket)",
                                true, has_body};
    }
    if (has_body) return HandshakeRefusal{400, "a WebSocket upgrade request has no body", false, true};
    return std::nullopt;
}

}  // namespace fleek::edge
