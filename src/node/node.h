// A running node: the components a config describes, started in order and stopped in reverse.
// Keys, blockstore, the origins (IPFS, HTTP) with their resolver store, the handshake HTTP
// gateway and, when a genesis is configured, the content network (content shared with peers),
// the runtime (transport, gossip, consensus, chain) and the JSON-RPC server (docs/organization.md).
#pragma once

#include "content/blockstore.h"
#include "edge/http_gateway.h"
#include "node/content_network.h"
#include "node/config.h"
#include "node/keystore.h"
#include "node/paid_delivery.h"
#include "node/rpc_backend.h"
#include "node/raw_ingest.h"
#include "node/runtime.h"
#include "rpc/registry.h"
#include "rpc/rpc_server.h"
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
    // `version` is what GET /version answers.
    static Result<std::unique_ptr<Node>, std::string> start(const std::filesystem::path& home, const Config& config,
                                                            const std::string& version = "fleek-node");
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    void stop();
    uint16_t gateway_port() const { return m_gateway->port(); }
    const NodeKeys& keys() const { return m_keys; }
    content::Blockstore& blockstore() { return *m_blockstore; }
    // The ledger, consensus and chain; null when no genesis is configured.
    Runtime* runtime() { return m_runtime.get(); }
    uint16_t rpc_port() const { return m_rpc_server ? m_rpc_server->port() : 0; }
    uint16_t handshake_tcp_port() const { return m_paid ? m_paid->port() : 0; }

private:
    explicit Node(NodeKeys keys) : m_keys(std::move(keys)) {}
    // Declaration order is construction order; destruction runs backwards (gateway first).
    NodeKeys m_keys;
    std::unique_ptr<content::Blockstore> m_blockstore;
    std::unique_ptr<origins::Resolver> m_resolver;
    std::unique_ptr<origins::IpfsStore> m_ipfs_store;
    std::unique_ptr<origins::IpfsOrigin> m_ipfs_origin;
    std::unique_ptr<origins::HttpOrigin> m_http_origin;
    std::unique_ptr<ContentNetwork> m_content;  // with a genesis: content shared with peers
    // Before the gateway: its threads hand WebSocket upgrades here until they are joined.
    std::unique_ptr<edge::handshake::HandshakeUpgradeSlot> m_handshake_upgrades;
    std::unique_ptr<edge::HttpGateway> m_gateway;
    std::unique_ptr<Runtime> m_runtime;
    std::unique_ptr<rpc::Registry> m_rpc_registry;
    std::unique_ptr<RuntimeBackend> m_rpc_backend;
    std::unique_ptr<rpc::RpcServer> m_rpc_server;
    std::unique_ptr<RawIngest> m_raw_ingest;
    std::unique_ptr<PaidDelivery> m_paid;  // with a genesis: paid sessions on gateway.tcp_address
};

}  // namespace fleek::node
