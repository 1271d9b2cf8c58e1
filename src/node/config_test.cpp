#include "node/config.h"

#include "tests/support/files.h"

#include <gtest/gtest.h>

namespace fleek::node {
namespace {

Result<Config, ConfigError> parse(std::string_view text) { return parse_config(text, "config.toml"); }

std::string error_of(std::string_view text) {
    auto result = parse(text);
    EXPECT_FALSE(result.has_value()) << text;
    return result ? std::string() : result.error().message;
}

TEST(Config, DefaultsUseTheStandardPorts) {
    const Config config = Config::defaults();
    EXPECT_EQ(config.pool.address.to_string(), "0.0.0.0:4200");
    EXPECT_EQ(config.gateway.http_address.to_string(), "0.0.0.0:4220");
    EXPECT_EQ(config.gateway.tcp_address.to_string(), "0.0.0.0:4221");
    EXPECT_EQ(config.rpc.address.to_string(), "0.0.0.0:4230");
    EXPECT_EQ(config.pinger.address.to_string(), "0.0.0.0:4350");
    EXPECT_TRUE(config.validate().has_value());
    EXPECT_TRUE(Config::dev_defaults().validate().has_value());
    EXPECT_EQ(Config::dev_defaults().rpc.address.to_string(), "127.0.0.1:4230");
}

TEST(Config, RenderedConfigLoadsBackEqual) {
    for (const Config& config : {Config::defaults(), Config::dev_defaults()}) {
        const std::string text = render_config(config);
        auto loaded = parse(text);
        ASSERT_TRUE(loaded.has_value()) << loaded.error().message << "\n" << text;
        EXPECT_EQ(*loaded, config);
        EXPECT_EQ(render_config(*loaded), text);
    }
    Config odd = Config::defaults();
    odd.ledger.genesis_path = "/path with \"quotes\"\\ and\ttab/genesis.toml";
    odd.rpc.address = ListenAddress{"::1", 9000};
    odd.blockstore.capacity_bytes = 0;
    odd.origins.ipfs_gateways = {"http://127.0.0.1:8080", "https://example.com/gw"};
    auto loaded = parse(render_config(odd));
    ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
    EXPECT_EQ(*loaded, odd);
}

TEST(Config, EmptyFileMeansDefaults) {
    EXPECT_EQ(parse("").value(), Config::defaults());
    EXPECT_EQ(parse("[rpc]\n").value(), Config::defaults());
}

TEST(Config, PartialFileOverridesOnlyWhatItSays) {
    auto config = parse("[rpc]\naddress = \"127.0.0.1:9999\"\n[log]\nlevel = \"warn\"\n");
    ASSERT_TRUE(config.has_value());
    EXPECT_EQ(config->rpc.address.port, 9999);
    EXPECT_EQ(config->log.level, "warn");
    EXPECT_EQ(config->pool, Config::defaults().pool);
}

TEST(Config, UnknownKeysAndTablesAreRejected) {
    const std::string unknown_key = error_of("[rpc]\nadress = \"127.0.0.1:1\"\n");
    EXPECT_NE(unknown_key.find("config.toml:2:1"), std::string::npos) << unknown_key;
    EXPECT_NE(unknown_key.find("rpc.adress"), std::string::npos) << unknown_key;
    EXPECT_NE(unknown_key.find("address"), std::string::npos) << unknown_key;

    const std::string unknown_table = error_of("[rcp]\naddress = \"127.0.0.1:1\"\n");
    EXPECT_NE(unknown_table.find("unknown key `rcp`"), std::string::npos) << unknown_table;
    EXPECT_NE(unknown_table.find("config.toml:1:"), std::string::npos) << unknown_table;

    EXPECT_NE(error_of("top_level = 1\n").find("top_level"), std::string::npos);
}

TEST(Config, WrongTypesNameKeyAndExpectedType) {
    const std::string port_as_int = error_of("[rpc]\naddress = 4230\n");
    EXPECT_NE(port_as_int.find("config.toml:2:11"), std::string::npos) << port_as_int;
    EXPECT_NE(port_as_int.find("`rpc.address` must be a string \"host:port\", found an integer"), std::string::npos)
        << port_as_int;

    const std::string capacity = error_of("[blockstore]\ncapacity_bytes = \"lots\"\n");
    EXPECT_NE(capacity.find("`blockstore.capacity_bytes` must be an integer, found a string"), std::string::npos)
        << capacity;

    const std::string negative = error_of("[blockstore]\ncapacity_bytes = -1\n");
    EXPECT_NE(negative.find("must be between 0 and"), std::string::npos) << negative;

    const std::string not_table = error_of("rpc = 5\n");
    EXPECT_NE(not_table.find("`rpc` must be a table"), std::string::npos) << not_table;

    const std::string path_type = error_of("[ledger]\ndb_path = true\n");
    EXPECT_NE(path_type.find("`ledger.db_path` must be a string, found a boolean"), std::string::npos) << path_type;
}

TEST(Config, BadValuesAreRejected) {
    EXPECT_NE(error_of("[rpc]\naddress = \"localhost\"\n").find("not host:port"), std::string::npos);
    EXPECT_NE(error_of("[rpc]\naddress = \"1.2.3.4:70000\"\n").find("invalid port"), std::string::npos);
    EXPECT_NE(error_of("[rpc]\naddress = \":4230\"\n").find("no host"), std::string::npos);
    EXPECT_NE(error_of("[rpc]\naddress = \"::1:4230\"\n").find("brackets"), std::string::npos);
    EXPECT_NE(error_of("[log]\nlevel = \"loud\"\n").find("log.level"), std::string::npos);
    EXPECT_NE(error_of("[ledger]\ndb_path = \"\"\n").find("ledger.db_path must not be empty"), std::string::npos);
    EXPECT_NE(error_of("[gateway]\nhttp_connections_per_ip_max = 0\n").find("gateway.http_connections_per_ip_max must be at least 1"),
              std::string::npos);
    const std::string clash = error_of("[rpc]\naddress = \"127.0.0.1:4220\"\n");
    EXPECT_NE(clash.find("gateway.http_address and rpc.address both listen"), std::string::npos) << clash;
}

TEST(Config, OriginsTable) {
    const Config config = parse("[origins]\nipfs_gateways = [\"http://127.0.0.1:1\"]\nfetch_threads = 2\n").value();
    EXPECT_EQ(config.origins.ipfs_gateways, (std::vector<std::string>{"http://127.0.0.1:1"}));
    EXPECT_EQ(config.origins.fetch_threads, 2u);
    EXPECT_EQ(config.origins.resolver_path, "data/resolver");
    EXPECT_NE(error_of("[origins]\nipfs_gateways = [\"ftp://x\"]\n").find("origins.ipfs_gateways"), std::string::npos);
    EXPECT_NE(error_of("[origins]\nipfs_gateways = [1]\n").find("a string"), std::string::npos);
    EXPECT_NE(error_of("[origins]\nfetch_threads = 0\n").find("origins.fetch_threads"), std::string::npos);
    EXPECT_NE(error_of("[origins]\nresolver_path = \"\"\n").find("origins.resolver_path must not be empty"), std::string::npos);
    // The IPFS fetch bounds.
    const Config ipfs = parse("[origins]\nipfs_max_expanded_bytes = 1000\nipfs_fetch_deadline_ms = 5000\nipfs_low_speed_bytes_per_s = 10\n"
                              "ipfs_low_speed_time_s = 3\nipfs_parallel_requests = 16\n").value();
    EXPECT_EQ(ipfs.origins.ipfs_max_expanded_bytes, 1000u);
    EXPECT_EQ(ipfs.origins.ipfs_fetch_deadline_ms, 5000u);
    EXPECT_EQ(ipfs.origins.ipfs_low_speed_bytes_per_s, 10u);
    EXPECT_EQ(ipfs.origins.ipfs_low_speed_time_s, 3u);
    EXPECT_EQ(ipfs.origins.ipfs_parallel_requests, 16u);
    EXPECT_EQ(Config{}.origins.ipfs_parallel_requests, 8u);
    EXPECT_NE(error_of("[origins]\nipfs_parallel_requests = 0\n").find("origins.ipfs_parallel_requests"), std::string::npos);
    EXPECT_NE(error_of("[origins]\nipfs_parallel_requests = 65\n").find("origins.ipfs_parallel_requests"), std::string::npos);
    EXPECT_NE(error_of("[origins]\nipfs_fetch_deadline_ms = 0\n").find("origins.ipfs_fetch_deadline_ms"), std::string::npos);
}

TEST(Config, EdgeTable) {
    const Config defaults = parse("").value();
    EXPECT_TRUE(defaults.edge.fetch_on_miss);
    EXPECT_EQ(defaults.edge.provider_wait_ms, 2000u);
    EXPECT_EQ(defaults.edge.serve_bytes_per_second, 0u);
    const Config config = parse("[edge]\nfetch_on_miss = false\nprovider_wait_ms = 250\nserve_bytes_per_second = 8388608\n").value();
    EXPECT_FALSE(config.edge.fetch_on_miss);
    EXPECT_EQ(config.edge.provider_wait_ms, 250u);
    EXPECT_EQ(config.edge.serve_bytes_per_second, 8388608u);
    EXPECT_NE(error_of("[edge]\nstall_timeout_ms = 5\n").find("edge.stall_timeout_ms"), std::string::npos);
    EXPECT_NE(error_of("[edge]\nserve_bytes_per_second = 1000\n").find("edge.serve_bytes_per_second"), std::string::npos);
    EXPECT_NE(error_of("[edge]\nfetch_on_miss = 1\n").find("a boolean"), std::string::npos);
}

TEST(Config, MalformedTomlReportsWhere) {
    const std::string unterminated = error_of("[rpc]\naddress = \"127.0.0.1:4230\n");
    EXPECT_NE(unterminated.find("config.toml:2:"), std::string::npos) << unterminated;
    EXPECT_NE(unterminated.find("invalid TOML"), std::string::npos) << unterminated;
    EXPECT_NE(error_of("[rpc\n").find("invalid TOML"), std::string::npos);
    EXPECT_NE(error_of("[rpc]\n[rpc]\n").find("invalid TOML"), std::string::npos);
    EXPECT_NE(error_of("\xff\xfe").find("invalid TOML"), std::string::npos);
}

TEST(Config, ListenAddressParsing) {
    EXPECT_EQ(ListenAddress::parse("0.0.0.0:4230").value(), (ListenAddress{"0.0.0.0", 4230}));
    EXPECT_EQ(ListenAddress::parse("[::]:0").value(), (ListenAddress{"::", 0}));
    EXPECT_EQ(ListenAddress::parse("node.example.org:80").value().host, "node.example.org");
    for (std::string_view bad : {"", ":", "a:", "a:b", "a:-1", "a:01", "[::1]", "[::1]4230", "a b:1", "a:1 "}) {
        EXPECT_FALSE(ListenAddress::parse(bad).has_value()) << bad;
    }
}

TEST(Config, LoadFileReportsMissingFile) {
    testing::ScratchDirectory dir;
    auto missing = load_config_file(dir / "config.toml");
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().message.find("config.toml"), std::string::npos);
    testing::write_text(dir / "config.toml", render_config(Config::dev_defaults()));
    EXPECT_EQ(load_config_file(dir / "config.toml").value(), Config::dev_defaults());
}

}  // namespace
}  // namespace fleek::node
