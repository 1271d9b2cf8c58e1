// A running node: the components a config describes, started in order and stopped in reverse.
// So far: keys, blockstore, the origins (IPFS, HTTP) with their resolver store, and the handshake
// HTTP gateway (docs/organization.md).
#pragma once

#include "content/blockstore.h"
#include "edge/http_gateway.h"
#include "node/config.h"
#include "node/keystore.h"
#include "origins/http_origin.h"
#include "origins/ipfs_origin.h"
#include "origins/ipfs_store.h"
#include "origins/resolver.h"

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
    explicit Node(NodeKeys keys) : m_keys(std::move(keys)) {}
    // Declaration order is construction order; destruction runs backwards (gateway first).
    NodeKeys m_keys;
    std::unique_ptr<content::Blockstore> m_blockstore;
    std::unique_ptr<origins::Resolver> m_resolver;
    std::unique_ptr<origins::IpfsStore> m_ipfs_store;
    std::unique_ptr<origins::IpfsOrigin> m_ipfs_origin;
    std::unique_ptr<origins::HttpOrigin> m_http_origin;
    std::unique_ptr<edge::HttpGateway> m_gateway;
};

}  // namespace fleek::node
