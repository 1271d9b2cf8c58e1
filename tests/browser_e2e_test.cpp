// The JavaScript client library in a real browser (issue 13, item 6): headless Debian chromium,
// driven from Node.js with puppeteer-core (clients/js/test/browser/browser-test.mjs), loads
// clients/js as plain ES modules, opens a paid session to a real `fleek-node run` over
// ws://<gateway>/handshake, fetches an 8 MiB PNG and shows it (its size and pixels as decoded by
// the browser are checked); through a proxy that flips one byte of the content, the page reports
// the failed verification and shows nothing. Afterwards the ledger charges the client for what
// its receipts acknowledged, per session. Skipped only when chromium is not installed
// (scripts/setup-deps installs it).
#include "crypto/random.h"
#include "tests/support/paid_devnet.h"
#include "tests/support/random_bytes.h"

#include <sys/stat.h>

#include <cstdlib>
#include <sstream>

namespace fleek {
namespace {

using Json = nlohmann::json;

// `program` on PATH, or "" when it is not there.
std::string find_on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::stringstream directories(path ? path : "");
    std::string directory;
    while (std::getline(directories, directory, ':')) {
        if (directory.empty()) continue;
        const std::string candidate = directory + "/" + program;
        struct stat info {};
        if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

TEST(BrowserE2e, APageShowsAnImageFetchedThroughAPaidSessionAndReportsATamperedByte) {
    const std::string chromium = find_on_path("chromium");
    if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup-deps installs it): the browser test did not run";
    const std::string runner = std::string(FLEEK_SOURCE_DIR) + "/clients/js/test/browser/run";
    const auto installed = testing::run_process({runner, "--install-only"});
    ASSERT_EQ(installed.exit_code, 0) << "npm ci of puppeteer-core (Node.js with npm)\n" << installed.err;

    // Port offset 61: its ports meet none of the other devnet tests' (tests/support/devnet.h).
    testing::LocalDevnet devnet("browser-e2e", 1, 1, {"--epoch-ms", "36000000"}, 61);
    testing::set_batch_interval_ms(devnet, 0, 1'000);
    const Bytes client_seed = testing::random_bytes(32, 71);
    const auto client_key = crypto::ClientSecretKey::from_seed(client_seed).value();
    devnet.start(0);
    if (::testing::Test::HasFatalFailure()) return;
    testing::approve_client_key(devnet, 0, client_key.public_key());
    if (::testing::Test::HasFatalFailure()) return;
    const std::string stables_before = testing::stables_of(devnet, 0, devnet.account.address());
    const std::string node_text = testing::node_public_key(devnet, 0);
    const auto node_key = crypto::NodePublicKey::from_base58(node_text);
    ASSERT_TRUE(node_key.has_value()) << node_text;

    const auto run = testing::run_process({runner, "--gateway", std::to_string(devnet.node(0).gateway_port), "--node-key",
                                           hex_encode(node_key->bytes()), "--client-seed", hex_encode(client_seed), "--chain-id",
                                           std::to_string(testing::LocalDevnet::chain_id), "--chromium", chromium});
    ASSERT_EQ(run.exit_code, 0) << run.out << "\n" << run.err;
    ASSERT_TRUE(run.out.ends_with("\nok\n")) << run.out;
    const Json summary = Json::parse(run.out.substr(0, run.out.find('\n')), nullptr, false);
    ASSERT_TRUE(summary.is_object()) << run.out;

    // What the page showed, as the browser decoded it.
    constexpr uint64_t image_size = uint64_t{8} << 20;
    EXPECT_EQ(summary["size"], image_size);
    EXPECT_EQ(summary["fetched"]["ok"], true);
    EXPECT_EQ(summary["fetched"]["bytes"], image_size);
    EXPECT_EQ(summary["fetched"]["signed"], image_size);
    EXPECT_EQ(summary["fetched"]["width"], 1024);
    EXPECT_EQ(summary["fetched"]["height"], 2720);
    EXPECT_EQ(summary["status"], "displayed 1024x2720 (8388608 verified bytes)");
    // The tampered fetch: a verification failure, reported on the page, nothing shown.
    EXPECT_EQ(summary["tampered"]["ok"], false);
    EXPECT_EQ(summary["tampered"]["name"], "SessionError");
    EXPECT_EQ(summary["tampered"]["code"], "stream_failed");
    EXPECT_TRUE(summary["tamperedStatus"].get<std::string>().starts_with("verification failed: handshake session: stream_failed"))
        << summary["tamperedStatus"];
    EXPECT_EQ(summary["tamperedShown"], Json::array({0, 0}));
    const uint64_t tampered_signed = summary["tampered"]["signed"].get<uint64_t>();
    EXPECT_LT(tampered_signed, image_size);

    // The ledger charges each session ⌊signed × price / 10^6⌋ (service 0: 100 per 10^6 bytes) and
    // credits the node with the bytes acknowledged, the tampered block not among them.
    const uint64_t charge = image_size * 100 / 1'000'000 + tampered_signed * 100 / 1'000'000;
    const std::string stables_after = std::to_string(std::stoull(stables_before) - charge);
    const std::string served_after = std::to_string(image_size + tampered_signed);
    std::string stables_seen;
    std::string served_seen;
    const bool settled = devnet.eventually([&] {
        stables_seen = testing::stables_of(devnet, 0, devnet.account.address());
        served_seen = testing::served_of(devnet, 0, node_text);
        return stables_seen == stables_after && served_seen == served_after;
    }, std::chrono::seconds(30));
    EXPECT_TRUE(settled) << "stables " << stables_seen << " (want " << stables_after << "), served " << served_seen << " (want "
                         << served_after << ")";
}

}  // namespace
}  // namespace fleek
