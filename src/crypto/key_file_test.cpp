#include "crypto/key_file.h"

#include "tests/support/files.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sys/stat.h>

namespace fleek::crypto {
namespace {

using testing::ScratchDirectory;
using testing::read_text;
using testing::write_text;

std::string text_of(const SecretBuffer& buffer) { return std::string(as_string_view(buffer.view())); }

mode_t mode_of(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0);
    return info.st_mode & 07777;
}

void write_private(const std::filesystem::path& path, std::string_view text) {
    write_text(path, text);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
}

// Runs a shell command for fixtures made by an independent tool (the openssl CLI).
void run(const std::string& command) { ASSERT_EQ(std::system(command.c_str()), 0) << command; }

TEST(KeyFile, PemFormatsRoundTrip) {
    const auto node = ed25519::SecretKey::generate();
    const std::string node_pem = text_of(ed25519_key_to_pem(node));
    EXPECT_EQ(node_pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
    EXPECT_EQ(ed25519_key_from_pem(as_bytes(node_pem)).value().public_key(), node.public_key());

    const auto consensus = bls::SecretKey::generate();
    const std::string consensus_pem = text_of(bls_key_to_pem(consensus));
    EXPECT_EQ(consensus_pem.rfind("-----BEGIN FLEEK BLS12-381 PRIVATE KEY-----\n", 0), 0u);
    EXPECT_EQ(bls_key_from_pem(as_bytes(consensus_pem)).value().public_key(), consensus.public_key());

    const auto account = ethereum::SecretKey::generate();
    const std::string account_pem = text_of(secp256k1_key_to_pem(account));
    EXPECT_EQ(account_pem.rfind("-----BEGIN EC PRIVATE KEY-----\n", 0), 0u);
    EXPECT_EQ(secp256k1_key_from_pem(as_bytes(account_pem)).value().address(), account.address());
}

TEST(KeyFile, KnownEd25519Pkcs8) {
    // RFC 8410 §10.3 example private key.
    const std::string pem =
        "-----BEGIN PRIVATE KEY-----\n"
        "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
        "-----END PRIVATE KEY-----\n";
    auto key = ed25519_key_from_pem(as_bytes(pem));
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(hex_encode(key->seed()), "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842");
    EXPECT_EQ(text_of(ed25519_key_to_pem(*key)), pem);
}

TEST(KeyFile, SavesWithMode0600AndNeverOverwritesWithoutForce) {
    ScratchDirectory dir;
    const auto path = dir / "keystore/node.pem";
    const NodeSecretKey first = NodeSecretKey::generate();
    ASSERT_TRUE(save_node_key(path, first, false));
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(dir / "keystore"), 0700u);

    const NodeSecretKey second = NodeSecretKey::generate();
    auto refused = save_node_key(path, second, false);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, KeyFileErrorCode::already_exists);
    EXPECT_EQ(load_node_key(path).value().public_key(), first.public_key());

    ASSERT_TRUE(save_node_key(path, second, true));
    EXPECT_EQ(load_node_key(path).value().public_key(), second.public_key());
    EXPECT_EQ(mode_of(path), 0600u);
}

TEST(KeyFile, EveryKindLoadsFromItsFile) {
    ScratchDirectory dir;
    const ClientSecretKey client = ClientSecretKey::generate();
    const ConsensusSecretKey consensus = ConsensusSecretKey::generate();
    const AccountSecretKey account = AccountSecretKey::generate();
    ASSERT_TRUE(save_client_key(dir / "client.pem", client, false));
    ASSERT_TRUE(save_consensus_key(dir / "consensus.pem", consensus, false));
    ASSERT_TRUE(save_account_key(dir / "account.pem", account, false));
    EXPECT_EQ(load_client_key(dir / "client.pem").value().public_key(), client.public_key());
    EXPECT_EQ(load_consensus_key(dir / "consensus.pem").value().public_key(), consensus.public_key());
    EXPECT_EQ(load_account_key(dir / "account.pem").value().address(), account.address());
    EXPECT_EQ(load_any_key(dir / "account.pem").value().index(), 2u);
    EXPECT_EQ(load_any_key(dir / "consensus.pem").value().index(), 1u);
    EXPECT_EQ(load_any_key(dir / "client.pem").value().index(), 0u);
}

TEST(KeyFile, ReadsKeysMadeByOpenssl) {
    ScratchDirectory dir;
    const auto ed = dir / "ed.pem";
    const auto ec = dir / "ec.pem";
    const auto ec8 = dir / "ec-pkcs8.pem";
    run("openssl genpkey -algorithm ed25519 -out " + ed.string() + " 2>/dev/null");
    run("openssl ecparam -name secp256k1 -genkey -noout -out " + ec.string() + " 2>/dev/null");
    run("openssl pkcs8 -topk8 -nocrypt -in " + ec.string() + " -out " + ec8.string() + " 2>/dev/null");
    for (const auto& path : {ed, ec, ec8}) ASSERT_EQ(::chmod(path.c_str(), 0600), 0);

    auto node = load_node_key(ed);
    ASSERT_TRUE(node.has_value()) << node.error().message;
    // openssl's view of the public key equals ours.
    const auto pub = dir / "ed.pub.der";
    run("openssl pkey -in " + ed.string() + " -pubout -outform DER -out " + pub.string() + " 2>/dev/null");
    const std::string der = read_text(pub);
    ASSERT_EQ(der.size(), 44u);
    EXPECT_EQ(hex_encode(as_bytes(der).subspan(12)), hex_encode(node->public_key().bytes()));

    auto account = load_account_key(ec);
    ASSERT_TRUE(account.has_value()) << account.error().message;
    auto account8 = load_account_key(ec8);
    ASSERT_TRUE(account8.has_value()) << account8.error().message;
    EXPECT_EQ(account->address(), account8->address());
}

TEST(KeyFile, OpensslReadsOurKeys) {
    ScratchDirectory dir;
    ASSERT_TRUE(save_node_key(dir / "node.pem", NodeSecretKey::generate(), false));
    ASSERT_TRUE(save_account_key(dir / "account.pem", AccountSecretKey::generate(), false));
    run("openssl pkey -in " + (dir / "node.pem").string() + " -noout 2>/dev/null");
    run("openssl ec -in " + (dir / "account.pem").string() + " -check -noout 2>/dev/null");
}

struct BadCase {
    std::string name;
    std::string contents;
    KeyFileErrorCode code;
    std::string message_part;
};

std::vector<BadCase> bad_cases() {
    const std::string node_pem = text_of(ed25519_key_to_pem(ed25519::SecretKey::generate()));
    const std::string bls_pem = text_of(bls_key_to_pem(bls::SecretKey::generate()));
    std::string corrupt_base64 = node_pem;
    corrupt_base64[30] = '*';
    std::string flipped_der = node_pem;
    flipped_der[28] = flipped_der[28] == 'A' ? 'B' : 'A';  // inside the DER header of the PKCS#8
    return {
        {"empty", "", KeyFileErrorCode::malformed, "empty"},
        {"not pem", "hello world\n", KeyFileErrorCode::malformed, "no PEM block"},
        {"truncated", node_pem.substr(0, node_pem.size() / 2), KeyFileErrorCode::malformed, "PEM"},
        {"no end line", node_pem.substr(0, node_pem.find("-----END")), KeyFileErrorCode::malformed, "PEM"},
        {"corrupt base64", corrupt_base64, KeyFileErrorCode::malformed, "PEM"},
        {"corrupt der", flipped_der, KeyFileErrorCode::malformed, "PKCS#8"},
        {"two blocks", node_pem + node_pem, KeyFileErrorCode::malformed, "more than one"},
        {"unknown label", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
         KeyFileErrorCode::wrong_key_type, "CERTIFICATE"},
        {"bls 31 bytes",
         "-----BEGIN FLEEK BLS12-381 PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n-----END FLEEK BLS12-381 PRIVATE KEY-----\n",
         KeyFileErrorCode::malformed, "32 bytes"},
        {"bls zero", "-----BEGIN FLEEK BLS12-381 PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-----END FLEEK BLS12-381 PRIVATE KEY-----\n",
         KeyFileErrorCode::invalid_key, "zero"},
        {"bls instead of ed25519", bls_pem, KeyFileErrorCode::wrong_key_type, "expected an Ed25519 key, found a BLS12-381 key"},
    };
}

TEST(KeyFile, BadInputGivesAClearError) {
    ScratchDirectory dir;
    for (const auto& bad : bad_cases()) {
        const auto path = dir / "bad.pem";
        write_private(path, bad.contents);
        auto loaded = load_node_key(path);
        ASSERT_FALSE(loaded.has_value()) << bad.name;
        EXPECT_EQ(loaded.error().code, bad.code) << bad.name << ": " << loaded.error().message;
        EXPECT_NE(loaded.error().message.find(bad.message_part), std::string::npos)
            << bad.name << ": " << loaded.error().message;
        EXPECT_NE(loaded.error().message.find(path.string()), std::string::npos) << bad.name;
    }
}

TEST(KeyFile, RefusesKeysOthersCanRead) {
    ScratchDirectory dir;
    const auto path = dir / "node.pem";
    ASSERT_TRUE(save_node_key(path, NodeSecretKey::generate(), false));
    for (mode_t mode : {0644, 0640, 0604, 0660}) {
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
        auto loaded = load_node_key(path);
        ASSERT_FALSE(loaded.has_value());
        EXPECT_EQ(loaded.error().code, KeyFileErrorCode::permissions_too_open);
        EXPECT_NE(loaded.error().message.find("chmod 600 " + path.string()), std::string::npos);
    }
    ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
    EXPECT_TRUE(load_node_key(path).has_value());
}

TEST(KeyFile, MissingFileAndWrongKinds) {
    ScratchDirectory dir;
    auto missing = load_consensus_key(dir / "nope.pem");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, KeyFileErrorCode::not_found);
    EXPECT_NE(missing.error().message.find("nope.pem"), std::string::npos);

    ASSERT_TRUE(save_node_key(dir / "node.pem", NodeSecretKey::generate(), false));
    auto as_account = load_account_key(dir / "node.pem");
    ASSERT_FALSE(as_account.has_value());
    EXPECT_EQ(as_account.error().code, KeyFileErrorCode::wrong_key_type);

    run("openssl ecparam -name prime256v1 -genkey -noout -out " + (dir / "p256.pem").string() + " 2>/dev/null");
    ASSERT_EQ(::chmod((dir / "p256.pem").c_str(), 0600), 0);
    auto p256 = load_account_key(dir / "p256.pem");
    ASSERT_FALSE(p256.has_value());
    EXPECT_EQ(p256.error().code, KeyFileErrorCode::wrong_key_type);
    EXPECT_NE(p256.error().message.find("prime256v1"), std::string::npos) << p256.error().message;
}

TEST(KeyFile, RefusesEncryptedKeys) {
    ScratchDirectory dir;
    const auto path = dir / "encrypted.pem";
    run("openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret -out " + path.string() + " 2>/dev/null");
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto loaded = load_node_key(path);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, KeyFileErrorCode::encrypted);
    EXPECT_NE(loaded.error().message.find("password"), std::string::npos);
}

TEST(KeyFile, RefusesOversizedFiles) {
    ScratchDirectory dir;
    const auto path = dir / "huge.pem";
    write_private(path, std::string(key_file_max_size + 1, 'A'));
    auto loaded = load_node_key(path);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, KeyFileErrorCode::too_large);
}

}  // namespace
}  // namespace fleek::crypto
