// End-to-end tests of the fleek-node and flk binaries: real processes, a scratch home directory,
// and every kind of bad input the foundation issue names (corrupt and truncated key files, wrong
// permissions, bad base58 or hex, wrong key lengths, malformed TOML). Each must produce a clear
// message on stderr, a non-zero exit code and no crash (a sanitizer report or a signal fails).
#include "crypto/key_file.h"
#include "node/config.h"
#include "util/encoding.h"
#include "tests/support/files.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

namespace fleek {
namespace {

using testing::ProcessResult;
using testing::ScratchDirectory;
using testing::read_text;
using testing::run_process;
using testing::write_text;

class NodeCli : public ::testing::Test {
protected:
    ProcessResult node(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
        args.insert(args.begin(), FLEEK_NODE_BINARY);
        if (env.count("HOME") == 0) env["HOME"] = m_dir.path().string();
        if (env.count("FLEEK_HOME") == 0) env["FLEEK_HOME"] = "<unset>";
        return run_process(args, env);
    }
    std::string home() const { return (m_dir / "home").string(); }
    std::filesystem::path home_path(const std::string& relative) const { return m_dir / ("home/" + relative); }

    ScratchDirectory m_dir;
};

void expect_failure(const ProcessResult& result, std::string_view message_part) {
    EXPECT_NE(result.exit_code, 0) << result.err;
    EXPECT_GT(result.exit_code, 0) << "killed by a signal: " << result.err;
    EXPECT_NE(result.err.find("error: "), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(message_part), std::string::npos) << "stderr: " << result.err;
    EXPECT_EQ(result.err.find("Sanitizer"), std::string::npos) << result.err;
}

mode_t mode_of(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

TEST_F(NodeCli, HelpListsTheCommands) {
    const auto result = node({"--help"});
    EXPECT_EQ(result.exit_code, 0);
    for (const char* command : {"init", "keys", "print-config", "--home"}) {
        EXPECT_NE(result.out.find(command), std::string::npos) << command;
    }
    const auto keys_help = node({"keys", "--help"});
    EXPECT_EQ(keys_help.exit_code, 0);
    EXPECT_NE(keys_help.out.find("generate"), std::string::npos);
    EXPECT_NE(keys_help.out.find("show"), std::string::npos);
    EXPECT_EQ(node({"--version"}).exit_code, 0);
}

TEST_F(NodeCli, UsageErrorsExitWithTwo) {
    EXPECT_EQ(node({}).exit_code, 2);
    EXPECT_EQ(node({"frobnicate"}).exit_code, 2);
    EXPECT_EQ(node({"init", "--no-such-flag"}).exit_code, 2);
    EXPECT_EQ(node({"keys"}).exit_code, 2);
}

TEST_F(NodeCli, InitWritesConfigAndKeysThenShowsThem) {
    const auto init = node({"init", "--home", home()});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    EXPECT_EQ(mode_of(home_path("keystore/node.pem")), 0600u);
    EXPECT_EQ(mode_of(home_path("keystore/consensus.pem")), 0600u);
    EXPECT_EQ(mode_of(home_path("keystore")), 0700u);
    for (const char* directory : {"data", "blockstore", "ipc"}) EXPECT_TRUE(std::filesystem::is_directory(home_path(directory)));

    // config.toml has one table per component and the default ports.
    auto config = node::load_config_file(home_path("config.toml"));
    ASSERT_TRUE(config.has_value()) << config.error().message;
    EXPECT_EQ(*config, node::Config::defaults());
    const std::string text = read_text(home_path("config.toml"));
    for (const char* table : {"[keystore]", "[ledger]", "[consensus]", "[blockstore]", "[gateway]", "[rpc]", "[pool]",
                              "[pinger]", "[log]", "4200", "4220", "4221", "4230", "4350"}) {
        EXPECT_NE(text.find(table), std::string::npos) << table;
    }

    const auto show = node({"keys", "show", "--home", home()});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    const auto node_key = crypto::load_node_key(home_path("keystore/node.pem")).value();
    const auto consensus_key = crypto::load_consensus_key(home_path("keystore/consensus.pem")).value();
    EXPECT_NE(show.out.find("node key:      " + node_key.public_key().to_string()), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("consensus key: " + consensus_key.public_key().to_base58()), std::string::npos) << show.out;
    EXPECT_NE(init.out.find(node_key.public_key().to_string()), std::string::npos);
}

TEST_F(NodeCli, HomeComesFromFlagThenEnvironmentThenUserHome) {
    ASSERT_EQ(node({"init"}, {{"FLEEK_HOME", home()}}).exit_code, 0);
    EXPECT_TRUE(std::filesystem::exists(home_path("config.toml")));
    ASSERT_EQ(node({"init"}).exit_code, 0);
    EXPECT_TRUE(std::filesystem::exists(m_dir / ".fleek/config.toml"));
}

TEST_F(NodeCli, InitNeverOverwritesWithoutForceAndKeepsKeys) {
    ASSERT_EQ(node({"init", "--home", home()}).exit_code, 0);
    const std::string first_keys = node({"keys", "show", "--home", home()}).out;
    write_text(home_path("config.toml"), "[log]\nlevel = \"warn\"\n");
    expect_failure(node({"init", "--home", home()}), "already exists (use --force");
    EXPECT_EQ(read_text(home_path("config.toml")), "[log]\nlevel = \"warn\"\n");
    ASSERT_EQ(node({"init", "--home", home(), "--force"}).exit_code, 0);
    EXPECT_EQ(node({"keys", "show", "--home", home()}).out, first_keys);
}

TEST_F(NodeCli, KeysGenerateRequiresForceToReplace) {
    ASSERT_EQ(node({"keys", "generate", "--home", home()}).exit_code, 0);
    const std::string first = node({"keys", "show", "--home", home()}).out;
    expect_failure(node({"keys", "generate", "--home", home()}), "--force");
    EXPECT_EQ(node({"keys", "show", "--home", home()}).out, first);
    ASSERT_EQ(node({"keys", "generate", "--force", "--home", home()}).exit_code, 0);
    EXPECT_NE(node({"keys", "show", "--home", home()}).out, first);
}

TEST_F(NodeCli, DevAndGenesis) {
    write_text(m_dir / "genesis.toml", "# genesis\n");
    const auto init = node({"init", "--dev", "--genesis", (m_dir / "genesis.toml").string(), "--home", home()});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    auto config = node::load_config_file(home_path("config.toml")).value();
    EXPECT_EQ(config.rpc.address.host, "127.0.0.1");
    EXPECT_EQ(config.ledger.genesis_path, (m_dir / "genesis.toml").string());
    expect_failure(node({"init", "--force", "--genesis", (m_dir / "missing.toml").string(), "--home", home()}),
                   "missing.toml");
}

TEST_F(NodeCli, PrintConfigLoadsBack) {
    const auto defaults = node({"print-config", "--default"});
    ASSERT_EQ(defaults.exit_code, 0);
    EXPECT_EQ(node::parse_config(defaults.out, "stdout").value(), node::Config::defaults());

    expect_failure(node({"print-config", "--home", home()}), "fleek-node init");
    ASSERT_EQ(node({"init", "--dev", "--home", home()}).exit_code, 0);
    const auto effective = node({"print-config", "--home", home()});
    ASSERT_EQ(effective.exit_code, 0);
    EXPECT_EQ(node::parse_config(effective.out, "stdout").value(), node::Config::dev_defaults());

    // Round trip through a file: print-config output given back with --config.
    write_text(m_dir / "printed.toml", effective.out);
    const auto again = node({"print-config", "--config", (m_dir / "printed.toml").string(), "--home", home()});
    ASSERT_EQ(again.exit_code, 0);
    EXPECT_EQ(again.out, effective.out);
}

TEST_F(NodeCli, MalformedConfigIsAClearError) {
    ASSERT_EQ(node({"init", "--home", home()}).exit_code, 0);
    const std::pair<std::string, std::string> cases[] = {
        {"[rpc]\naddress = \"127.0.0.1:4230\n", "invalid TOML"},
        {"[rpc\n", "config.toml:1:"},
        {"[rpc]\nadress = \"1.2.3.4:5\"\n", "unknown key `rpc.adress`"},
        {"[rpc]\naddress = 4230\n", "`rpc.address` must be a string \"host:port\", found an integer"},
        {"[blockstore]\ncapacity_bytes = \"big\"\n", "`blockstore.capacity_bytes` must be an integer"},
        {"\x01\x02\xff", "invalid TOML"},
    };
    for (const auto& [contents, message] : cases) {
        write_text(home_path("config.toml"), contents);
        expect_failure(node({"print-config", "--home", home()}), message);
        expect_failure(node({"keys", "show", "--home", home()}), message);
        EXPECT_EQ(read_text(home_path("config.toml")), contents);  // left as it was
    }
}

TEST_F(NodeCli, BadKeyFilesAreClearErrors) {
    ASSERT_EQ(node({"init", "--home", home()}).exit_code, 0);
    const auto node_pem = home_path("keystore/node.pem");
    const auto consensus_pem = home_path("keystore/consensus.pem");
    const std::string good_node = read_text(node_pem);
    const std::string good_consensus = read_text(consensus_pem);

    const auto put = [](const std::filesystem::path& path, const std::string& text) {
        write_text(path, text);
        ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    };
    put(node_pem, good_node.substr(0, good_node.size() / 2));
    expect_failure(node({"keys", "show", "--home", home()}), "node.pem");
    put(node_pem, "not a key\n");
    expect_failure(node({"keys", "show", "--home", home()}), "no PEM block");
    put(node_pem, "");
    expect_failure(node({"keys", "show", "--home", home()}), "empty");
    put(node_pem, good_consensus);
    expect_failure(node({"keys", "show", "--home", home()}), "expected an Ed25519 key");
    put(node_pem, good_node);
    std::string corrupt = good_consensus;
    corrupt[50] = corrupt[50] == 'A' ? 'B' : 'A';
    corrupt[51] = '!';
    put(consensus_pem, corrupt);
    expect_failure(node({"keys", "show", "--home", home()}), "consensus.pem");
    put(consensus_pem, good_consensus);
    ASSERT_EQ(node({"keys", "show", "--home", home()}).exit_code, 0);

    ASSERT_EQ(::chmod(node_pem.c_str(), 0644), 0);
    const auto open = node({"keys", "show", "--home", home()});
    expect_failure(open, "chmod 600 " + node_pem.string());
    ASSERT_EQ(::chmod(node_pem.c_str(), 0600), 0);

    std::filesystem::remove(consensus_pem);
    expect_failure(node({"keys", "show", "--home", home()}), "fleek-node keys generate");
}

class FlkCli : public ::testing::Test {
protected:
    ProcessResult flk(std::vector<std::string> args, const std::string& stdin_text = "") {
        args.insert(args.begin(), FLK_BINARY);
        return run_process(args, {}, m_dir.path().string(), stdin_text);
    }
    ScratchDirectory m_dir;
};

TEST_F(FlkCli, HelpListsTheCommands) {
    const auto result = flk({"--help"});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find("keys"), std::string::npos);
    const auto keys = flk({"keys", "generate", "--help"});
    EXPECT_NE(keys.out.find("--account"), std::string::npos);
    EXPECT_NE(keys.out.find("--client"), std::string::npos);
}

// Issue 13, item 5: `flk put --node URL FILE` was refused as a usage error (exit 2, "--node"
// not expected) because --node was taken only before the command. Now the top-level options are
// taken on either side: here the node at the URL is unreachable, so the command fails (exit 1)
// naming the address it tried, which shows the option was used.
TEST_F(FlkCli, NodeOptionIsTakenAfterTheCommandToo) {
    write_text(m_dir / "file.txt", "hello");
    for (const auto& args : {std::vector<std::string>{"put", "--node", "http://127.0.0.1:1", "file.txt"},
                             std::vector<std::string>{"--node", "http://127.0.0.1:1", "put", "file.txt"}}) {
        const auto result = flk(args);
        EXPECT_EQ(result.exit_code, 1) << result.err;
        EXPECT_NE(result.err.find("127.0.0.1"), std::string::npos) << result.err;
        EXPECT_EQ(result.err.find("not expected"), std::string::npos) << result.err;
    }
}

TEST_F(FlkCli, AccountKeyShowsItsAddress) {
    const auto generated = flk({"keys", "generate", "--account"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    EXPECT_EQ(mode_of(m_dir / "account.pem"), 0600u);
    const auto key = crypto::load_account_key(m_dir / "account.pem").value();
    const std::string address = key.address().to_string();
    EXPECT_NE(generated.out.find(address), std::string::npos);
    const auto shown = flk({"keys", "show"});
    ASSERT_EQ(shown.exit_code, 0);
    EXPECT_NE(shown.out.find("address: " + address), std::string::npos) << shown.out;
}

TEST_F(FlkCli, ClientKeyShowsItsBase58Key) {
    const auto generated = flk({"keys", "generate", "--client", "--out", "me.pem"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    const auto key = crypto::load_client_key(m_dir / "me.pem").value();
    const auto shown = flk({"keys", "show", "me.pem"});
    ASSERT_EQ(shown.exit_code, 0);
    EXPECT_NE(shown.out.find("public key: " + key.public_key().to_string()), std::string::npos) << shown.out;
}

TEST_F(FlkCli, KnownAccountKeyFromOpenssl) {
    // The SEC1 file of the known vector key 0x4c0883a6...318 shows address 0x2c7536E3...5c23.
    const std::string der_hex = "302e02010104204c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318a00706052b8104000a";
    ASSERT_EQ(std::system(("echo " + der_hex + " | xxd -r -p | openssl ec -inform DER -out " +
                           (m_dir / "known.pem").string() + " 2>/dev/null")
                              .c_str()),
              0);
    ASSERT_EQ(::chmod((m_dir / "known.pem").c_str(), 0600), 0);
    const auto shown = flk({"keys", "show", "known.pem"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_NE(shown.out.find("address: 0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"), std::string::npos) << shown.out;
}

TEST_F(FlkCli, BadInput) {
    EXPECT_EQ(flk({"keys", "generate"}).exit_code, 2);
    EXPECT_EQ(flk({"keys", "generate", "--account", "--client"}).exit_code, 2);
    ASSERT_EQ(flk({"keys", "generate", "--account"}).exit_code, 0);
    expect_failure(flk({"keys", "generate", "--account"}), "already exists");
    expect_failure(flk({"keys", "show", "missing.pem"}), "missing.pem");
    write_text(m_dir / "junk.pem", "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n");
    ASSERT_EQ(::chmod((m_dir / "junk.pem").c_str(), 0600), 0);
    expect_failure(flk({"keys", "show", "junk.pem"}), "PEM");
    ASSERT_EQ(::chmod((m_dir / "account.pem").c_str(), 0604), 0);
    expect_failure(flk({"keys", "show", "account.pem"}), "chmod 600");
}

TEST_F(FlkCli, ImportsTheKnownAccountKeyFromStdin) {
    const auto imported = flk({"keys", "import", "--account"},
                              "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n");
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
    EXPECT_NE(imported.out.find("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"), std::string::npos) << imported.out;
    EXPECT_EQ(mode_of(m_dir / "account.pem"), 0600u);
    EXPECT_EQ(crypto::load_account_key(m_dir / "account.pem").value().address().to_string(),
              "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    // From a file, as a client seed (RFC 8032 TEST 1).
    write_text(m_dir / "seed.hex", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    ASSERT_EQ(::chmod((m_dir / "seed.hex").c_str(), 0600), 0);
    const auto client = flk({"keys", "import", "--client", "--from", "seed.hex"});
    ASSERT_EQ(client.exit_code, 0) << client.err;
    const auto expected = crypto::ClientPublicKey::from_bytes(
        hex_decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a").value()).value();
    EXPECT_NE(client.out.find(expected.to_string()), std::string::npos) << client.out;
}

TEST_F(FlkCli, ImportRejectsBadHexAndWrongLengths) {
    expect_failure(flk({"keys", "import", "--account"}, "0xzz83a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"),
                   "not valid hex: invalid character");
    expect_failure(flk({"keys", "import", "--account"}, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231"),
                   "not valid hex: odd number of hex digits");
    expect_failure(flk({"keys", "import", "--account"}, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f3623"),
                   "is 31 bytes; account keys are 32 bytes");
    expect_failure(flk({"keys", "import", "--client"}, ""), "is 0 bytes");
    expect_failure(flk({"keys", "import", "--account"}, std::string(64, '0')), "zero or not below");
    EXPECT_FALSE(std::filesystem::exists(m_dir / "account.pem"));
    write_text(m_dir / "open.hex", std::string(64, '1'));
    ASSERT_EQ(::chmod((m_dir / "open.hex").c_str(), 0644), 0);
    expect_failure(flk({"keys", "import", "--account", "--from", "open.hex"}), "chmod 600");
}

TEST_F(FlkCli, InspectRecognizesKeysAndAddresses) {
    const auto node_key = crypto::NodeSecretKey::generate().public_key().to_string();
    const auto inspect_node = flk({"keys", "inspect", node_key});
    ASSERT_EQ(inspect_node.exit_code, 0) << inspect_node.err;
    EXPECT_NE(inspect_node.out.find("Ed25519"), std::string::npos);
    const auto bls_key = crypto::ConsensusSecretKey::generate().public_key().to_base58();
    const auto inspect_bls = flk({"keys", "inspect", bls_key});
    ASSERT_EQ(inspect_bls.exit_code, 0) << inspect_bls.err;
    EXPECT_NE(inspect_bls.out.find("BLS12-381"), std::string::npos);
    const auto address = flk({"keys", "inspect", "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"});
    ASSERT_EQ(address.exit_code, 0);
    EXPECT_NE(address.out.find("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"), std::string::npos);
}

TEST_F(FlkCli, InspectRejectsBadBase58BadHexAndWrongLengths) {
    expect_failure(flk({"keys", "inspect", "4LtJEQFMGT7sr8BBMDLcRXJYLa9CRKe5VPDdyMg88BY0"}), "not base58: invalid character");
    expect_failure(flk({"keys", "inspect", "4LtJEQFMGT7sr8BBMDLcRXJYLa9CRKe5VPDdyMg88BYfab"}), "Ed25519 public keys are 32 bytes");
    expect_failure(flk({"keys", "inspect", "2g"}), "decodes to 1 bytes");
    expect_failure(flk({"keys", "inspect", "0x2c7536E3605D9C16a7a3D7b1898e529396a65c2"}), "has 39 digits");
    expect_failure(flk({"keys", "inspect", "0x2c7536E3605D9C16a7a3D7b1898e529396a65cZZ"}), "not valid hex");
    expect_failure(flk({"keys", "inspect", "0x2c7536e3605D9C16a7a3D7b1898e529396a65c23"}), "EIP-55 checksum");
    // 32 bytes that are not a curve point (the identity).
    expect_failure(flk({"keys", "inspect", base58_encode(hex_decode(
                                               "0100000000000000000000000000000000000000000000000000000000000000").value())}),
                   "not a valid Ed25519 public key");
    EXPECT_EQ(flk({"keys", "inspect"}).exit_code, 2);
}

}  // namespace
}  // namespace fleek
