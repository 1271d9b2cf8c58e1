#include "node/node.h"

#include "crypto/random.h"
#include "edge/gateway_auth.h"
#include "node/home.h"
#include "util/encoding.h"
#include "util/file.h"
#include "util/log.h"

#include <fmt/format.h>

namespace fleek::node {

namespace {

// The gateway's operator tokens (gateway.token_path): created with one random token when the
// file does not exist, refused when others may read it.
Result<std::vector<std::string>, std::string> load_gateway_tokens(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::exists(std::filesystem::symlink_status(path, error))) {
        ByteArray<32> secret{};
        crypto::random_bytes(secret);
        const std::string text = "# Gateway operator tokens (docs/gateway.md), one per line: send one as\n"
                                 "# Authorization: Bearer <token>\n" + hex_encode(secret) + "\n";
        if (auto written = write_file_atomic(path, as_bytes(text), {.mode = 0600, .overwrite = false, .directory_mode = 0700});
            !written && written.error().code != FileErrorCode::already_exists) {
            return fail(written.error().message);
        }
        FLEEK_LOG_INFO("node", "created the gateway operator token file {}", path.string());
    }
    auto contents = read_secret_file(path, edge::token_file_bytes_max);
    if (!contents) return fail(contents.error().message);
    auto tokens = edge::parse_token_file(as_string_view(contents->view()));
    if (!tokens) return fail(fmt::format("{}: {}", path.string(), tokens.error()));
    return std::move(*tokens);
}

}  // namespace

Node::~Node() { stop(); }

namespace {

// The content network's options from the config (docs/config.md, [edge] and the IPFS limits).
ContentNetworkOptions content_options(const Config& config) {
    ContentNetworkOptions options;
    options.fetch_on_miss = config.edge.fetch_on_miss;
    options.fetcher.provider_wait_ms = config.edge.provider_wait_ms;
    options.fetcher.deadline_ms = config.edge.fetch_deadline_ms;
    options.client.stall_timeout_ms = config.edge.stall_timeout_ms;
    options.client.deadline_ms = config.edge.fetch_deadline_ms;
    options.server.bytes_per_second = config.edge.serve_bytes_per_second;
    options.resolver_query_ms = config.edge.resolver_query_ms;
    options.ipfs_limits.max_content_bytes = config.origins.max_content_bytes;
    options.ipfs_limits.max_blocks = config.origins.max_blocks;
    options.ipfs_limits.max_block_bytes = config.origins.max_block_bytes;
    options.ipfs_limits.max_depth = config.origins.max_depth;
    return options;
}

}  // namespace

void Node::stop() {
    // Running origin fetches end first, so the gateway's fetch threads can be joined at once.
    if (m_ipfs_origin) m_ipfs_origin->cancel();
    if (m_http_origin) m_http_origin->cancel();
    // Fetches from peers end next (their readers on the gateway's threads and fetch pool wake up
    // with an error), before the runtime they send through.
    if (m_content) m_content->stop();
    // Paid sessions end before the runtime their receipts' batches go to.
    if (m_handshake_upgrades) m_handshake_upgrades->detach();  // new WebSocket upgrades are closed from now on
    if (m_paid) m_paid->stop();
    if (m_gateway) m_gateway->stop();
    if (m_raw_ingest) m_raw_ingest->stop();
    if (m_rpc_server) m_rpc_server->stop();
    if (m_runtime) m_runtime->stop();
}

Result<std::unique_ptr<Node>, std::string> Node::start(const std::filesystem::path& home, const Config& config,
                                                      const std::string& version) {
    if (auto valid = config.validate(); !valid) return fail(valid.error());
    auto keys = load_node_keys({resolve_in_home(home, config.keystore.node_key_path),
                                resolve_in_home(home, config.keystore.consensus_key_path)});
    if (!keys) return fail(keys.error().message);

    const content::BlockstoreOptions store_options{
        .capacity_bytes = config.blockstore.capacity_bytes,
        .block_cache_bytes = config.blockstore.block_cache_bytes,
        .max_object_bytes = config.gateway.max_upload_bytes,
        .upload_capacity_bytes = config.gateway.upload_capacity_bytes,
        .upload_quota_bytes = config.gateway.upload_quota_bytes,
        .quarantine_max_objects = config.blockstore.quarantine_max_objects,
        .quarantine_max_bytes = config.blockstore.quarantine_max_bytes,
    };
    auto tokens = load_gateway_tokens(resolve_in_home(home, config.gateway.token_path));
    if (!tokens) return fail(fmt::format("gateway.token_path: {}", tokens.error()));
    if (config.gateway.require_token && tokens->empty()) {
        FLEEK_LOG_WARN("node", "{} holds no token: uploads, origin fetches and pins are refused to everyone",
                       resolve_in_home(home, config.gateway.token_path).string());
    }
    auto address_policy = origins::AddressPolicy::with_allowlist(config.origins.allowlist);
    if (!address_policy) return fail(fmt::format("origins.allowlist: {}", address_policy.error()));
    auto store = content::Blockstore::open(resolve_in_home(home, config.blockstore.root), store_options);
    if (!store) return fail(fmt::format("blockstore: {}", store.error()));
    auto resolver = origins::Resolver::open(resolve_in_home(home, config.origins.resolver_path));
    if (!resolver) return fail(resolver.error());

    std::unique_ptr<Node> node(new Node(std::move(*keys)));
    node->m_blockstore = std::move(*store);
    node->m_resolver = std::move(*resolver);
    node->m_ipfs_store = std::make_unique<origins::IpfsStore>(*node->m_blockstore, *node->m_resolver);
    origins::IpfsOriginOptions ipfs_options;
    ipfs_options.gateways = config.origins.ipfs_gateways;
    ipfs_options.connect_timeout_ms = config.origins.connect_timeout_ms;
    ipfs_options.request_timeout_ms = config.origins.request_timeout_ms;
    ipfs_options.max_content_bytes = config.origins.max_content_bytes;
    ipfs_options.max_blocks = config.origins.max_blocks;
    ipfs_options.max_block_bytes = config.origins.max_block_bytes;
    ipfs_options.max_depth = config.origins.max_depth;
    ipfs_options.address_policy = *address_policy;
    ipfs_options.max_expanded_bytes = config.origins.ipfs_max_expanded_bytes;
    ipfs_options.fetch_deadline_ms = config.origins.ipfs_fetch_deadline_ms;
    ipfs_options.low_speed_bytes_per_s = config.origins.ipfs_low_speed_bytes_per_s;
    ipfs_options.low_speed_time_s = config.origins.ipfs_low_speed_time_s;
    ipfs_options.parallel_requests = config.origins.ipfs_parallel_requests;
    node->m_ipfs_origin = std::make_unique<origins::IpfsOrigin>(ipfs_options, *node->m_blockstore, *node->m_resolver);
    origins::HttpOriginOptions http_options;
    http_options.enabled = config.origins.http_enabled;
    http_options.connect_timeout_ms = config.origins.connect_timeout_ms;
    http_options.request_timeout_ms = config.origins.request_timeout_ms;
    http_options.max_bytes = config.origins.http_max_bytes;
    http_options.address_policy = *address_policy;
    node->m_http_origin = std::make_unique<origins::HttpOrigin>(http_options, *node->m_blockstore, *node->m_resolver);
    if (!config.ledger.genesis_path.empty()) {
        node->m_content = std::make_unique<ContentNetwork>(content_options(config), node->m_keys.node, *node->m_blockstore,
                                                           *node->m_resolver, *node->m_ipfs_store, node->m_ipfs_origin.get());
    }

    // With a genesis the node serves paid sessions, also over WebSocket at /handshake on the
    // gateway: the slot exists before the gateway and answers 503 until paid delivery attaches.
    // Without one, /handshake answers 404.
    if (!config.ledger.genesis_path.empty()) {
        node->m_handshake_upgrades = std::make_unique<edge::handshake::HandshakeUpgradeSlot>();
    }
    const edge::GatewayOptions gateway_options{
        .host = config.gateway.http_address.host,
        .port = config.gateway.http_address.port,
        .threads = config.gateway.threads,
        .max_connections = config.gateway.max_connections,
        .max_connections_per_source = config.gateway.http_connections_per_ip_max,
        .upload_enabled = config.gateway.upload_enabled,
        .fetch_enabled = config.gateway.fetch_enabled,
        .require_token = config.gateway.require_token,
        .tokens = std::move(*tokens),
        .max_upload_bytes = config.gateway.max_upload_bytes,
        .max_directory_bytes = uint64_t{16} << 20,
        .idle_timeout_ms = config.gateway.idle_timeout_ms,
        .ipfs_store = node->m_ipfs_store.get(),
        .ipfs_origin = node->m_ipfs_origin.get(),
        .http_origin = node->m_http_origin.get(),
        .fetch_threads = config.origins.fetch_threads,
        .peer_content = node->m_content.get(),
        .handshake = node->m_handshake_upgrades.get(),
    };
    auto gateway = edge::HttpGateway::start(gateway_options, *node->m_blockstore);
    if (!gateway) return fail(gateway.error());
    node->m_gateway = std::move(*gateway);
    FLEEK_LOG_INFO("node", "node key {}", node->m_keys.node.public_key().to_string());
    FLEEK_LOG_INFO("node", "gateway listening on {}:{}", gateway_options.host, node->m_gateway->port());
    FLEEK_LOG_INFO("node", "IPFS origin: {} gateway(s)", config.origins.ipfs_gateways.size());

    // The replicated part, once the node knows its network.
    if (!config.ledger.genesis_path.empty()) {
        auto genesis = ledger::load_genesis(resolve_in_home(home, config.ledger.genesis_path));
        if (!genesis) return fail(fmt::format("genesis: {}", genesis.error().message));
        RuntimeOptions runtime_options;
        runtime_options.ledger_dir = resolve_in_home(home, config.ledger.db_path);
        runtime_options.chain_dir = resolve_in_home(home, config.ledger.chain_path);
        runtime_options.consensus_dir = resolve_in_home(home, config.consensus.store_path);
        runtime_options.genesis = std::move(*genesis);
        runtime_options.transport.listen_host = config.pool.address.host;
        runtime_options.transport.listen_port = config.pool.address.port;
        runtime_options.transport.inbound_connections_max = config.pool.inbound_connections_max;
        runtime_options.transport.outbound_connections_max = config.pool.outbound_connections_max;
        runtime_options.transport.unauthenticated_max = config.pool.unauthenticated_max;
        runtime_options.transport.unauthenticated_per_ip_max = config.pool.unauthenticated_per_ip_max;
        runtime_options.transport.handshake_timeout_ms = config.pool.handshake_timeout_ms;
        runtime_options.health.stall_ms = config.health.stall_ms;
        runtime_options.health.behind_blocks_max = config.health.behind_blocks_max;
        if (node->m_content) runtime_options.hooks = node->m_content->hooks();
        auto runtime = Runtime::start(std::move(runtime_options), node->m_keys.node, node->m_keys.consensus);
        if (!runtime) return fail(runtime.error());
        node->m_runtime = std::move(*runtime);
        if (node->m_content) node->m_content->attach(*node->m_runtime);
        FLEEK_LOG_INFO("node", "pool listening on {}:{}", config.pool.address.host, node->m_runtime->pool_port());
        if (!config.consensus.raw_transactions_address.empty()) {
            auto address = ListenAddress::parse(config.consensus.raw_transactions_address);
            if (!address) return fail(fmt::format("consensus.raw_transactions_address: {}", address.error()));
            Runtime* runtime_ptr = node->m_runtime.get();
            auto ingest = RawIngest::start(address->host, address->port,
                                           [runtime_ptr](Bytes transaction) { return runtime_ptr->submit_raw(std::move(transaction)); });
            if (!ingest) return fail(ingest.error());
            node->m_raw_ingest = std::move(*ingest);
            FLEEK_LOG_WARN("node", "raw transaction ingest (benchmarks only) on {}:{}", address->host, node->m_raw_ingest->port());
        }

        PaidDeliveryOptions paid_options;
        paid_options.port = config.gateway.tcp_address.port;
        paid_options.tcp.address = config.gateway.tcp_address.host;
        paid_options.tcp.max_connections = config.gateway.tcp_connections_max;
        paid_options.tcp.max_connections_per_source = config.gateway.tcp_connections_per_ip_max;
        paid_options.tcp.session.window_bytes = config.gateway.window_bytes;
        paid_options.tcp.session.receipt_interval_bytes = config.gateway.receipt_interval_bytes;
        paid_options.tcp.session.ack_timeout_ms = config.gateway.ack_timeout_ms;
        paid_options.tcp.session.open_timeout_ms = config.gateway.open_timeout_ms;
        paid_options.aggregator.batch_interval_ms = config.gateway.batch_interval_ms;
        paid_options.aggregator.resubmit_delay_ms = config.gateway.resubmit_delay_ms;
        auto paid = PaidDelivery::start(resolve_in_home(home, "data/delivery"), paid_options, node->m_keys.node, *node->m_runtime,
                                        *node->m_blockstore);
        if (!paid) return fail(paid.error());
        node->m_paid = std::move(*paid);
        node->m_handshake_upgrades->attach(node->m_paid->websocket());
        FLEEK_LOG_INFO("node", "paid sessions (handshake TCP) listening on {}:{}, WebSocket at /handshake on the gateway",
                       paid_options.tcp.address, node->m_paid->port());

        node->m_rpc_registry = std::make_unique<rpc::Registry>(rpc::standard_registry());
        node->m_rpc_backend = std::make_unique<RuntimeBackend>(*node->m_runtime, node->m_keys.node.public_key(),
                                                               node->m_keys.consensus.public_key());
        node->m_rpc_backend->add_metrics([content = node->m_content.get(), paid = node->m_paid.get(), gateway = node->m_gateway.get()] {
            // The gateway outlives the RPC server (declared before it in node.h).
            const std::string gateway_text = fmt::format(
                "# HELP fleek_gateway_connections_refused_total HTTP gateway connections closed unread\n"
                "# TYPE fleek_gateway_connections_refused_total counter\n"
                "fleek_gateway_connections_refused_total{{reason=\"per_source\"}} {}\n",
                gateway->refused_per_source());
            return (content ? content->metrics_text() : std::string()) + paid->metrics_text() + gateway_text;
        });
        rpc::RpcServerOptions rpc_options;
        rpc_options.host = config.rpc.address.host;
        rpc_options.port = config.rpc.address.port;
        rpc_options.version = version;
        rpc_options.rate_limit.per_second = config.rpc.rate_limit_per_second;
        rpc_options.rate_limit.burst = config.rpc.rate_limit_burst;
        auto rpc_server = rpc::RpcServer::start(rpc_options, *node->m_rpc_backend, *node->m_rpc_registry);
        if (!rpc_server) return fail(rpc_server.error());
        node->m_rpc_server = std::move(*rpc_server);
        FLEEK_LOG_INFO("node", "JSON-RPC listening on {}:{}", rpc_options.host, node->m_rpc_server->port());
    }
    return node;
}

}  // namespace fleek::node
