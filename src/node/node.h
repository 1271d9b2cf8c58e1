// A running node: the components a config describes, started in order and stopped in reverse.
// So far: keys, blockstore and the handshake HTTP gateway (docs/organization.md).
#pragma once

#include "content/blockstore.h"
#include "edge/http_gateway.h"
#include "node/config.h"
#include "node/keystore.h"

#include <filesystem>
#include <memory>

namespace fleek::node {

class Node {
public:
    // Loads the keys, opens the stores and starts listening. The error says what failed.
    static Result<std::unique_ptr<Node>, std::string> start(const std::filesystem::path& home, const Config& config);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    void stop();
    uint16_t gateway_port() const { return m_gateway->port(); }
    const NodeKeys& keys() const { return m_keys; }
    content::Blockstore& blockstore() { return *m_blockstore; }

private:
    Node(NodeKeys keys, std::unique_ptr<content::Blockstore> blockstore, std::unique_ptr<edge::HttpGateway> gateway);
    NodeKeys m_keys;
    std::unique_ptr<content::Blockstore> m_blockstore;
    std::unique_ptr<edge::HttpGateway> m_gateway;
};

}  // namespace fleek::node
