#include "node/node.h"

#include "node/home.h"
#include "util/log.h"

#include <fmt/format.h>

namespace fleek::node {

Node::Node(NodeKeys keys, std::unique_ptr<content::Blockstore> blockstore, std::unique_ptr<edge::HttpGateway> gateway)
    : m_keys(std::move(keys)), m_blockstore(std::move(blockstore)), m_gateway(std::move(gateway)) {}

Node::~Node() { stop(); }

void Node::stop() {
    if (m_gateway) m_gateway->stop();
}

Result<std::unique_ptr<Node>, std::string> Node::start(const std::filesystem::path& home, const Config& config) {
    if (auto valid = config.validate(); !valid) return fail(valid.error());
    auto keys = load_node_keys({resolve_in_home(home, config.keystore.node_key_path),
                                resolve_in_home(home, config.keystore.consensus_key_path)});
    if (!keys) return fail(keys.error().message);

    const content::BlockstoreOptions store_options{
        .capacity_bytes = config.blockstore.capacity_bytes,
        .block_cache_bytes = config.blockstore.block_cache_bytes,
        .max_object_bytes = config.gateway.max_upload_bytes,
    };
    auto store = content::Blockstore::open(resolve_in_home(home, config.blockstore.root), store_options);
    if (!store) return fail(fmt::format("blockstore: {}", store.error()));

    const edge::GatewayOptions gateway_options{
        .host = config.gateway.http_address.host,
        .port = config.gateway.http_address.port,
        .threads = config.gateway.threads,
        .max_connections = config.gateway.max_connections,
        .upload_enabled = config.gateway.upload_enabled,
        .max_upload_bytes = config.gateway.max_upload_bytes,
        .max_directory_bytes = uint64_t{16} << 20,
        .idle_timeout_ms = config.gateway.idle_timeout_ms,
    };
    auto gateway = edge::HttpGateway::start(gateway_options, **store);
    if (!gateway) return fail(gateway.error());
    FLEEK_LOG_INFO("node", "node key {}", keys->node.public_key().to_string());
    FLEEK_LOG_INFO("node", "gateway listening on {}:{}", gateway_options.host, (*gateway)->port());
    return std::unique_ptr<Node>(new Node(std::move(*keys), std::move(*store), std::move(*gateway)));
}

}  // namespace fleek::node
