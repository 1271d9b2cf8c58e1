#include "edge/handshake_route.h"

#include "edge/handshake_ws.h"

#include <gtest/gtest.h>

#include <unistd.h>

namespace fleek::edge {
namespace {

// A session server that is running or not, and counts what it was handed.
class FakeUpgrades final : public handshake::HandshakeUpgrades {
public:
    explicit FakeUpgrades(bool running) : m_running(running) {}
    void adopt(int socket_fd, std::string) override {
        ::close(socket_fd);
        ++adopted;
    }
    bool accepting() const override { return m_running; }
    int adopted = 0;

private:
    bool m_running;
};

TEST(HandshakeRoute, AnUpgradeToARunningSessionServerIsHandedOver) {
    FakeUpgrades running(true);
    EXPECT_FALSE(refuse_handshake_request(&running, "websocket", false).has_value());
    EXPECT_FALSE(refuse_handshake_request(&running, "WebSocket", false).has_value());
    EXPECT_FALSE(refuse_handshake_request(&running, "h2c, websocket", false).has_value());
    EXPECT_EQ(running.adopted, 0);  // deciding hands nothing over
}

TEST(HandshakeRoute, ANodeWithoutPaidSessionsAnswers404) {
    const auto refusal = refuse_handshake_request(nullptr, "websocket", false);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 404u);
    EXPECT_NE(refusal->message.find("no paid sessions"), std::string::npos) << refusal->message;
    EXPECT_FALSE(refusal->offer_upgrade);
    EXPECT_FALSE(refusal->close);
}

TEST(HandshakeRoute, ASessionServerNotRunningAnswers503) {
    FakeUpgrades stopped(false);
    const auto refusal = refuse_handshake_request(&stopped, "websocket", false);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 503u);
    EXPECT_NE(refusal->message.find("not running"), std::string::npos) << refusal->message;
    EXPECT_FALSE(refusal->close);
    // A slot (the node's, before paid delivery starts and after it stops) is not accepting either.
    handshake::HandshakeUpgradeSlot slot;
    EXPECT_EQ(refuse_handshake_request(&slot, "websocket", false)->status, 503u);
    FakeUpgrades running(true);
    slot.attach(running);
    EXPECT_FALSE(refuse_handshake_request(&slot, "websocket", false).has_value());
    slot.detach();
    EXPECT_EQ(refuse_handshake_request(&slot, "websocket", false)->status, 503u);
}

TEST(HandshakeRoute, ARequestWithoutWebSocketUpgradeAnswers426OfferingIt) {
    FakeUpgrades running(true);
    for (const std::string_view upgrade : {"", "h2c", "websockets", "web socket", "tls/1.2"}) {
        const auto refusal = refuse_handshake_request(&running, upgrade, false);
        ASSERT_TRUE(refusal.has_value()) << upgrade;
        EXPECT_EQ(refusal->status, 426u) << upgrade;
        EXPECT_TRUE(refusal->offer_upgrade);
        EXPECT_FALSE(refusal->close);  // nothing unread: the connection goes on
    }
}

TEST(HandshakeRoute, AnUpgradeRequestWithABodyIsRefusedAndTheConnectionCloses) {
    FakeUpgrades running(true);
    const auto refusal = refuse_handshake_request(&running, "websocket", true);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, 400u);
    EXPECT_TRUE(refusal->close);
    // Every refusal of a request with an unread body closes the connection.
    EXPECT_TRUE(refuse_handshake_request(&running, "", true)->close);
    EXPECT_TRUE(refuse_handshake_request(nullptr, "websocket", true)->close);
}

TEST(HandshakeRoute, UpgradeTokensAreMatchedWholeWithoutCase) {
    EXPECT_TRUE(upgrade_names_websocket("websocket"));
    EXPECT_TRUE(upgrade_names_websocket(" WEBSOCKET "));
    EXPECT_TRUE(upgrade_names_websocket("foo,websocket"));
    EXPECT_FALSE(upgrade_names_websocket("websocket2"));
    EXPECT_FALSE(upgrade_names_websocket("xwebsocket"));
    EXPECT_FALSE(upgrade_names_websocket(","));
}

}  // namespace
}  // namespace fleek::edge
