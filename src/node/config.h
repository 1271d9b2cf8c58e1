// The node's configuration: config.toml in the home directory, one table per component.
//
// Loading is strict: an unknown table or key, a value of the wrong type or out of range, and
// malformed TOML are errors whose message names the file, line, column, key and expected type.
// Missing tables and keys take their defaults, so an old file keeps working when a release adds
// keys. render_config() writes the same format (with comments) and loading its output gives back
// an equal Config (tested).
//
// Every field is declared once, in the struct's visit() function, with its name and its
// documentation; the loader, the renderer and docs/config.md follow from that declaration.
#pragma once

#include "util/result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::node {

// host:port for a listening socket. IPv6 hosts are written in brackets: "[::1]:4230".
struct ListenAddress {
    std::string host;
    uint16_t port = 0;

    static Result<ListenAddress, std::string> parse(std::string_view text);
    std::string to_string() const;
    friend bool operator==(const ListenAddress&, const ListenAddress&) = default;
};

struct KeystoreConfig {
    std::string node_key_path = "keystore/node.pem";
    std::string consensus_key_path = "keystore/consensus.pem";

    template <class V>
    void visit(V& v) {
        v.field("node_key_path", node_key_path, "Ed25519 node key (PKCS#8 PEM), relative to the home directory");
        v.field("consensus_key_path", consensus_key_path, "BLS12-381 consensus key (PEM), relative to the home directory");
    }
    friend bool operator==(const KeystoreConfig&, const KeystoreConfig&) = default;
};

struct LedgerConfig {
    std::string db_path = "data/ledger";
    std::string chain_path = "data/chain";
    std::string genesis_path;

    template <class V>
    void visit(V& v) {
        v.field("db_path", db_path, "RocksDB directory of the replicated ledger state");
        v.field("chain_path", chain_path, "RocksDB directory of the executed blocks, their receipts and certificates");
        v.field("genesis_path", genesis_path, "Genesis file of the network (empty: none configured yet)");
    }
    friend bool operator==(const LedgerConfig&, const LedgerConfig&) = default;
};

struct ConsensusConfig {
    std::string store_path = "data/consensus";
    std::string raw_transactions_address;

    template <class V>
    void visit(V& v) {
        v.field("store_path", store_path, "Directory of the Narwhal and Bullshark store");
        v.field("raw_transactions_address", raw_transactions_address,
                "Benchmarks only: host:port of a plain TCP listener feeding u32-length-prefixed transactions to this node's worker; empty: off");
    }
    friend bool operator==(const ConsensusConfig&, const ConsensusConfig&) = default;
};

struct BlockstoreConfig {
    std::string root = "blockstore";
    uint64_t capacity_bytes = uint64_t{64} << 30;
    uint64_t block_cache_bytes = uint64_t{256} << 20;
    uint64_t quarantine_max_objects = 100;
    uint64_t quarantine_max_bytes = uint64_t{1} << 30;

    template <class V>
    void visit(V& v) {
        v.field("root", root, "Directory of the content-addressed block store");
        v.field("capacity_bytes", capacity_bytes, "Bytes of content kept before least recently used content is evicted");
        v.field("block_cache_bytes", block_cache_bytes, "Memory for verified blocks served without reading the disk again");
        v.field("quarantine_max_objects", quarantine_max_objects, "Corrupt objects kept in quarantine/ for inspection; the oldest are deleted");
        v.field("quarantine_max_bytes", quarantine_max_bytes, "Bytes kept in quarantine/; the oldest objects are deleted");
    }
    friend bool operator==(const BlockstoreConfig&, const BlockstoreConfig&) = default;
};

struct GatewayConfig {
    ListenAddress http_address{"0.0.0.0", 4220};
    ListenAddress tcp_address{"0.0.0.0", 4221};
    uint32_t threads = 2;
    uint64_t max_connections = 4096;
    uint64_t http_connections_per_ip_max = 64;
    uint64_t idle_timeout_ms = 30'000;
    bool upload_enabled = false;
    uint64_t max_upload_bytes = uint64_t{16} << 30;
    uint64_t upload_quota_bytes = uint64_t{1} << 30;
    uint64_t upload_capacity_bytes = uint64_t{16} << 30;
    bool fetch_enabled = false;
    bool require_token = true;
    std::string token_path = "keystore/gateway-tokens";
    // Paid sessions on tcp_address (docs/formats/handshake.md) and their receipts' aggregator.
    uint64_t window_bytes = uint64_t{4} << 20;
    uint64_t receipt_interval_bytes = uint64_t{1} << 20;
    uint64_t ack_timeout_ms = 30'000;
    uint64_t open_timeout_ms = 5'000;
    uint64_t tcp_connections_max = 4096;
    uint64_t tcp_connections_per_ip_max = 64;
    uint64_t batch_interval_ms = 10'000;
    uint64_t resubmit_delay_ms = 30'000;

    template <class V>
    void visit(V& v) {
        v.field("http_address", http_address, "Handshake HTTP: gateway, /services/<id>/..., WebSocket upgrade");
        v.field("tcp_address", tcp_address, "Handshake TCP: framed client sessions");
        v.field("threads", threads, "I/O threads serving HTTP (1 to 64)");
        v.field("max_connections", max_connections, "Open client connections accepted at once");
        v.field("http_connections_per_ip_max", http_connections_per_ip_max,
                "Open HTTP connections from one IPv4 address or IPv6 /64; one more is closed unread");
        v.field("idle_timeout_ms", idle_timeout_ms, "Close a connection idle for this long");
        v.field("upload_enabled", upload_enabled, "Accept PUT /blake3 uploads (flk put); keep off on public nodes");
        v.field("max_upload_bytes", max_upload_bytes, "Largest upload accepted");
        v.field("upload_quota_bytes", upload_quota_bytes, "Bytes of uploads one uploader (a token, or a client address without one) may hold");
        v.field("upload_capacity_bytes", upload_capacity_bytes,
                "Bytes all uploads together may hold; room for an upload is made by evicting older uploads, never other content");
        v.field("fetch_enabled", fetch_enabled, "Accept PUT /ipfs/<cid> and PUT /http?url=... (the node fetches from origins)");
        v.field("require_token", require_token,
                "Uploads, origin fetches and pins need Authorization: Bearer <a token of token_path>; false only on loopback addresses");
        v.field("token_path", token_path, "Operator tokens, one per line (mode 0600), relative to the home directory; created with one random token when missing");
        v.field("window_bytes", window_bytes, "Paid sessions: block bytes sent ahead of the client's newest receipt");
        v.field("receipt_interval_bytes", receipt_interval_bytes, "Paid sessions: the client signs a receipt every this many bytes");
        v.field("ack_timeout_ms", ack_timeout_ms, "Paid sessions: end a session whose window stays full this long without a receipt");
        v.field("open_timeout_ms", open_timeout_ms, "Paid sessions: close a connection that has not opened its session this long after connecting");
        v.field("tcp_connections_max", tcp_connections_max, "Paid sessions: TCP connections open at once");
        v.field("tcp_connections_per_ip_max", tcp_connections_per_ip_max,
                "Paid sessions: TCP connections open at once from one IPv4 address or IPv6 /64");
        v.field("batch_interval_ms", batch_interval_ms, "Delivery receipts: submit a batch this long after the previous one");
        v.field("resubmit_delay_ms", resubmit_delay_ms, "Delivery receipts: submit a receipt the ledger has not claimed again after this long");
    }
    friend bool operator==(const GatewayConfig&, const GatewayConfig&) = default;
};

struct OriginsConfig {
    std::vector<std::string> ipfs_gateways = {"https://trustless-gateway.link", "https://ipfs.io"};
    uint64_t connect_timeout_ms = 5'000;
    uint64_t request_timeout_ms = 120'000;
    uint64_t max_content_bytes = uint64_t{4} << 30;
    uint64_t max_blocks = 1'000'000;
    uint64_t max_block_bytes = uint64_t{4} << 20;
    uint64_t max_depth = 256;
    uint64_t ipfs_max_expanded_bytes = uint64_t{16} << 30;
    uint64_t ipfs_fetch_deadline_ms = 3'600'000;
    uint64_t ipfs_low_speed_bytes_per_s = 1024;
    uint64_t ipfs_low_speed_time_s = 30;
    uint64_t ipfs_parallel_requests = 8;
    bool http_enabled = true;
    uint64_t http_max_bytes = uint64_t{4} << 30;
    uint32_t fetch_threads = 4;
    std::string resolver_path = "data/resolver";
    std::vector<std::string> allowlist;

    template <class V>
    void visit(V& v) {
        v.field("ipfs_gateways", ipfs_gateways, "IPFS trustless gateways (base URLs) asked in order by PUT /ipfs/<cid>; empty: no IPFS origin");
        v.field("connect_timeout_ms", connect_timeout_ms, "Give up connecting to an origin after this long");
        v.field("request_timeout_ms", request_timeout_ms, "Give up one origin request (a whole CAR, a block, an HTTP download) after this long");
        v.field("max_content_bytes", max_content_bytes, "Largest IPFS DAG fetched (all its blocks)");
        v.field("max_blocks", max_blocks, "Most blocks in one IPFS DAG");
        v.field("max_block_bytes", max_block_bytes, "Largest single IPFS block");
        v.field("max_depth", max_depth, "Deepest IPFS DAG (levels of links)");
        v.field("ipfs_max_expanded_bytes", ipfs_max_expanded_bytes, "Most bytes of files one IPFS DAG may describe, checked before any is written");
        v.field("ipfs_fetch_deadline_ms", ipfs_fetch_deadline_ms, "Give up one IPFS fetch (all its gateway requests) after this long");
        v.field("ipfs_low_speed_bytes_per_s", ipfs_low_speed_bytes_per_s, "Abandon an IPFS gateway request slower than this ... (0: never)");
        v.field("ipfs_low_speed_time_s", ipfs_low_speed_time_s, "... for this many seconds");
        v.field("ipfs_parallel_requests", ipfs_parallel_requests, "IPFS block requests in flight at once per fetch (1 to 64)");
        v.field("http_enabled", http_enabled, "Fetch plain URLs for PUT /http?url=...");
        v.field("http_max_bytes", http_max_bytes, "Largest HTTP origin download");
        v.field("fetch_threads", fetch_threads, "Origin fetches running at once (1 to 256), off the gateway's I/O threads");
        v.field("resolver_path", resolver_path, "RocksDB directory mapping CIDs and URLs to BLAKE3 hashes, and IPFS blocks to stored CARs");
        v.field("allowlist", allowlist,
                "Hosts, IP addresses or CIDR ranges origin fetches may reach although they are loopback, private, link-local or "
                "otherwise internal; empty: public addresses only");
    }
    friend bool operator==(const OriginsConfig&, const OriginsConfig&) = default;
};

struct EdgeConfig {
    bool fetch_on_miss = true;
    uint64_t provider_wait_ms = 2'000;
    uint64_t fetch_deadline_ms = 600'000;
    uint64_t stall_timeout_ms = 5'000;
    uint64_t resolver_query_ms = 1'500;
    uint64_t serve_bytes_per_second = 0;

    template <class V>
    void visit(V& v) {
        v.field("fetch_on_miss", fetch_on_miss, "Fetch content this node does not hold from the peers that announced it (GET/HEAD /blake3, GET /ipfs)");
        v.field("provider_wait_ms", provider_wait_ms,
                "A fetch with no provider left waits this long for one to be announced; a hash nobody holds answers 404 after it");
        v.field("fetch_deadline_ms", fetch_deadline_ms, "Give up a fetch from peers that has not completed after this long");
        v.field("stall_timeout_ms", stall_timeout_ms, "A peer transfer with no message for this long fails; the next provider continues it");
        v.field("resolver_query_ms", resolver_query_ms, "How long a CID miss waits for peers' resolver records before asking the IPFS origin");
        v.field("serve_bytes_per_second", serve_bytes_per_second, "Bandwidth given to peers' transfers, all together; 0: no limit");
    }
    friend bool operator==(const EdgeConfig&, const EdgeConfig&) = default;
};

struct RpcConfig {
    ListenAddress address{"0.0.0.0", 4230};
    uint64_t rate_limit_per_second = 100;
    uint64_t rate_limit_burst = 200;

    template <class V>
    void visit(V& v) {
        v.field("address", address, "JSON-RPC 2.0 (/ and /rpc/v0), /health, /metrics, /version");
        v.field("rate_limit_per_second", rate_limit_per_second,
                "Requests a second served to one client address (a batch counts each call); 0: no limit");
        v.field("rate_limit_burst", rate_limit_burst, "Requests one client address may send at once before the rate applies");
    }
    friend bool operator==(const RpcConfig&, const RpcConfig&) = default;
};

struct PoolConfig {
    ListenAddress address{"0.0.0.0", 4200};
    uint64_t inbound_connections_max = 256;
    uint64_t outbound_connections_max = 256;
    uint64_t unauthenticated_max = 64;
    uint64_t unauthenticated_per_ip_max = 4;
    uint64_t handshake_timeout_ms = 5'000;

    template <class V>
    void visit(V& v) {
        v.field("address", address, "Node-to-node connections (TLS 1.3 over TCP)");
        v.field("inbound_connections_max", inbound_connections_max, "Inbound connections open at once, handshakes included");
        v.field("outbound_connections_max", outbound_connections_max, "Outbound connections open at once, dials included");
        v.field("unauthenticated_max", unauthenticated_max, "Inbound connections still in their handshake, from all addresses");
        v.field("unauthenticated_per_ip_max", unauthenticated_per_ip_max,
                "Inbound connections still in their handshake from one IPv4 address or IPv6 /64");
        v.field("handshake_timeout_ms", handshake_timeout_ms, "Close a connection whose TLS handshake and confirmation take longer");
    }
    friend bool operator==(const PoolConfig&, const PoolConfig&) = default;
};

struct PingerConfig {
    ListenAddress address{"0.0.0.0", 4350};

    template <class V>
    void visit(V& v) {
        v.field("address", address, "Pinger (UDP) for latency measurements between nodes");
    }
    friend bool operator==(const PingerConfig&, const PingerConfig&) = default;
};

struct HealthConfig {
    uint64_t stall_ms = 60'000;
    uint64_t behind_blocks_max = 64;

    template <class V>
    void visit(V& v) {
        v.field("stall_ms", stall_ms, "Unhealthy after this long without a new block while transactions wait or peers are ahead");
        v.field("behind_blocks_max", behind_blocks_max, "Unhealthy when a peer's certified block is more than this many blocks ahead");
    }
    friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

struct LogConfig {
    std::string level = "info";

    template <class V>
    void visit(V& v) {
        v.field("level", level, "One of trace, debug, info, warn, error, critical, off");
    }
    friend bool operator==(const LogConfig&, const LogConfig&) = default;
};

struct Config {
    KeystoreConfig keystore;
    LedgerConfig ledger;
    ConsensusConfig consensus;
    BlockstoreConfig blockstore;
    GatewayConfig gateway;
    OriginsConfig origins;
    EdgeConfig edge;
    RpcConfig rpc;
    PoolConfig pool;
    PingerConfig pinger;
    HealthConfig health;
    LogConfig log;

    template <class V>
    void visit(V& v) {
        v.table("keystore", keystore, "Node identity: where the secret keys live");
        v.table("ledger", ledger, "Replicated state machine");
        v.table("consensus", consensus, "Narwhal mempool and Bullshark ordering");
        v.table("blockstore", blockstore, "Content store");
        v.table("gateway", gateway, "Client-facing handshake listeners");
        v.table("origins", origins, "Where content comes from: IPFS trustless gateways and plain HTTP");
        v.table("edge", edge, "The content network: transfers between nodes, fetch on a miss");
        v.table("rpc", rpc, "JSON-RPC server");
        v.table("pool", pool, "Node-to-node transport");
        v.table("pinger", pinger, "Latency measurements");
        v.table("health", health, "When GET /health reports the node unhealthy");
        v.table("log", log, "Logging to stderr");
    }
    friend bool operator==(const Config&, const Config&) = default;

    // Production defaults: listen on all interfaces on the standard ports.
    static Config defaults();
    // A single-machine development node: loopback only, debug logs, a 1 GiB block store.
    static Config dev_defaults();

    // Checks relations the types cannot express (levels, empty paths, port clashes).
    Result<void, std::string> validate() const;
};

struct ConfigError {
    std::string message;  // "<file>:<line>:<column>: <what is wrong>"
};

// Parses TOML text; `source_name` is the file name used in error messages.
Result<Config, ConfigError> parse_config(std::string_view text, std::string_view source_name);
Result<Config, ConfigError> load_config_file(const std::filesystem::path& path);
// TOML text with a comment for every table and field.
std::string render_config(const Config& config);

}  // namespace fleek::node
