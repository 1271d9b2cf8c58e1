// `flk get --client-key` end to end (issue 13, item 5 and the first acceptance point) on a
// three-node devnet of real `fleek-node run` processes, the `flk` binary as a user runs it:
// the funded devnet account approves a client key; node 2 holds a 32 MiB file; `flk get` fetches
// it over a paid session on node 2's handshake port, verifying every block and signing receipts.
// The output equals the file; within 30 s the ledger charged the key owner's stables exactly
// ⌊bytes × 100 / 10^6⌋ (the devnet's service 0 price) and credited node 2 with exactly the bytes;
// after the epoch change node 2's owner is paid its share of that revenue. Before that, bad use
// is refused clearly with nothing written and nothing charged: an unapproved key (refused by the
// node before any byte), a missing key file, a handshake port where nothing listens.
// No sleeps: JSON-RPC is polled with deadlines.
#include "crypto/hash.h"
#include "crypto/key_file.h"
#include "tests/support/paid_devnet.h"
#include "tests/support/random_bytes.h"
#include "util/encoding.h"
#include "util/u256.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace fleek {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr size_t serving = 2;                  // the node that holds the file and serves the session
constexpr uint64_t file_size = uint64_t{32} << 20;
constexpr uint64_t price_per_million = 100;    // the devnet's service 0
constexpr uint64_t charge = file_size * price_per_million / 1'000'000;  // 3355
constexpr uint64_t stables_at_genesis = 1'000'000'000;
constexpr uint64_t epoch_ms = 30'000;

// Port offset 68: node i listens on base + 100 i + {0, 20, 21, 30} (and names +1, +40, +50 in
// the genesis), i.e. ports ending in 68, 69, 88, 89, 98, 08, 18; the other devnet tests use the
// offsets 0, 12, 25, 37, 50 and 75, whose ports end in none of these, so this test can run
// beside any of them (tests/support/devnet.h).
class FlkPaidDevnet : public testing::LocalDevnet {
public:
    FlkPaidDevnet()
        : LocalDevnet("flk-paid-e2e", 3, 3, {"--epoch-ms", std::to_string(epoch_ms), "--beacon-phase-ms", "2000"}, 68) {
        testing::set_batch_interval_ms(*this, serving, 1'000);
    }
    uint16_t handshake_port() { return static_cast<uint16_t>(node(serving).gateway_port + 1); }  // devnet: base + 100 i + 21
    std::string stables() { return testing::stables_of(*this, serving, account.address()); }

    // The bandwidth a node served, summed over every epoch so far (the session may straddle an
    // epoch change), and the epochs in which it earned revenue.
    struct Served {
        uint64_t bytes = 0;
        std::vector<uint64_t> revenue_epochs;
    };
    Served served(const std::string& node_key) {
        Served out;
        const uint64_t current = epoch(serving);
        for (uint64_t e = 0; e <= current; ++e) {
            auto record = call(serving, "flk_get_node_served", Json::array({node_key, e}));
            if (!record || !record->is_object()) continue;
            out.bytes += std::stoull(testing::json_text(record, "served_bandwidth"));
            if (testing::json_text(record, "revenue") != "0") out.revenue_epochs.push_back(e);
        }
        return out;
    }
};

Bytes read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Nothing but the key files in the work directory: no output, no temporary file left behind.
std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".pem") names.push_back(entry.path().filename().string());
    }
    return names;
}

U256 decimal(const std::string& text) { return u256_parse_decimal(text).value_or(U256(0)); }

TEST(FlkPaidGetE2e, ApprovedKeyFetches32MiBFromNode2AndPaysExactlyOnceUnapprovedKeyIsRefused) {
    FlkPaidDevnet devnet;
    devnet.start_connected(3);
    if (::testing::Test::HasFatalFailure()) return;
    testing::ScratchDirectory work;
    const auto client_key = crypto::ClientSecretKey::generate();
    const auto stranger_key = crypto::ClientSecretKey::generate();
    const fs::path client_file = work / "client.pem";
    const fs::path stranger_file = work / "stranger.pem";
    ASSERT_TRUE(crypto::save_client_key(client_file, client_key, false));
    ASSERT_TRUE(crypto::save_client_key(stranger_file, stranger_key, false));
    testing::approve_client_key(devnet, serving, client_key.public_key());
    if (::testing::Test::HasFatalFailure()) return;

    const Bytes file = testing::random_bytes(file_size, 68);
    const std::string hash = hex_encode(crypto::blake3(file));
    const auto put = testing::http_request(devnet.node(serving).gateway_port, "PUT", "/blake3", "",
                                           std::string(reinterpret_cast<const char*>(file.data()), file.size()));
    ASSERT_EQ(put.status, 201) << put.body;
    ASSERT_EQ(devnet.stables(), std::to_string(stables_at_genesis));
    const std::string node_key = testing::node_public_key(devnet, serving);
    const std::string handshake = "127.0.0.1:" + std::to_string(devnet.handshake_port());
    const fs::path out = work / "out.bin";

    // An unapproved key: the node ends the session before any content byte. The handshake
    // address comes from --node's host and the handshake_tcp port node 2 registered on chain.
    const auto refused = devnet.flk(serving, {"get", hash, "--client-key", stranger_file.string(), "--node",
                                              "http://127.0.0.1:" + std::to_string(devnet.node(serving).gateway_port), "-o",
                                              out.string()});
    EXPECT_EQ(refused.exit_code, 1) << refused.err;
    EXPECT_NE(refused.err.find("the node ended the session: terminated (unapproved_client)"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find(handshake), std::string::npos) << "the address derived from the chain: " << refused.err;
    EXPECT_NE(refused.err.find("nothing was written or signed for"), std::string::npos) << refused.err;

    // A key file that does not exist.
    const auto missing = devnet.flk(serving, {"get", hash, "--client-key", (work / "missing.pem").string(), "--handshake", handshake,
                                              "-o", out.string()});
    EXPECT_EQ(missing.exit_code, 1) << missing.err;
    EXPECT_NE(missing.err.find("--client-key"), std::string::npos) << missing.err;
    EXPECT_NE(missing.err.find("missing.pem"), std::string::npos) << missing.err;

    // A handshake port where nothing listens (base + 100 i + 22 is no node's port).
    const std::string wrong = "127.0.0.1:" + std::to_string(devnet.handshake_port() + 1);
    const auto unreachable = devnet.flk(serving, {"get", hash, "--client-key", client_file.string(), "--handshake", wrong, "-o", out.string()});
    EXPECT_EQ(unreachable.exit_code, 1) << unreachable.err;
    EXPECT_NE(unreachable.err.find("connection_refused"), std::string::npos) << unreachable.err;

    // An address that is not HOST:PORT, and --handshake without a client key.
    const auto malformed = devnet.flk(serving, {"get", hash, "--client-key", client_file.string(), "--handshake", "127.0.0.1", "-o", out.string()});
    EXPECT_EQ(malformed.exit_code, 1) << malformed.err;
    EXPECT_NE(malformed.err.find("is not HOST:PORT"), std::string::npos) << malformed.err;
    const auto unpaid = devnet.flk(serving, {"get", hash, "--handshake", handshake, "-o", out.string()});
    EXPECT_EQ(unpaid.exit_code, 1) << unpaid.err;
    EXPECT_NE(unpaid.err.find("--handshake needs --client-key"), std::string::npos) << unpaid.err;

    EXPECT_EQ(leftovers(work.path()), std::vector<std::string>{});
    EXPECT_EQ(devnet.stables(), std::to_string(stables_at_genesis));

    // The approved key fetches the file: verified, written, every byte signed for.
    const auto fetched = devnet.flk(serving, {"get", hash, "--client-key", client_file.string(), "--handshake", handshake, "-o", out.string()});
    ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
    EXPECT_NE(fetched.err.find("receipts signed for " + std::to_string(file_size) + " bytes"), std::string::npos) << fetched.err;
    EXPECT_NE(fetched.err.find("cost at service 0's price: 0.003355 stables (3355 base units)"), std::string::npos) << fetched.err;
    ASSERT_TRUE(read_all(out) == file) << "the output differs from the file";
    EXPECT_EQ(leftovers(work.path()), std::vector<std::string>{"out.bin"});

    // Within 30 s: charged exactly once, node 2 credited with exactly the bytes.
    const std::string stables_after = std::to_string(stables_at_genesis - charge);
    std::string stables_seen;
    FlkPaidDevnet::Served served_seen;
    const bool settled = devnet.eventually([&] {
        stables_seen = devnet.stables();
        served_seen = devnet.served(node_key);
        return stables_seen == stables_after && served_seen.bytes == file_size;
    }, 30s);
    ASSERT_TRUE(settled) << "stables " << stables_seen << " (want " << stables_after << "), served " << served_seen.bytes
                         << " (want " << file_size << ")";
    ASSERT_EQ(served_seen.revenue_epochs.size(), 1u);
    const uint64_t revenue_epoch = served_seen.revenue_epochs.front();

    // After the epoch change node 2's owner holds its share of the epoch's pool (it was the only
    // node with revenue: ⌊charge × node_share_percent / 100⌋ stables) and FLK minted for it.
    const auto owner = crypto::load_account_key(devnet.home(serving) / "owner.pem").value().address();
    const std::string owner_flk_before = devnet.balance(serving, owner);
    ASSERT_EQ(testing::stables_of(devnet, serving, owner), "0");
    const bool changed = devnet.eventually([&] { return devnet.epoch(serving) > revenue_epoch; }, std::chrono::milliseconds(3 * epoch_ms));
    ASSERT_TRUE(changed) << "epoch " << devnet.epoch(serving) << ", revenue in epoch " << revenue_epoch;
    const std::string owner_share = std::to_string(charge * devnet.genesis.params.node_share_percent / 100);
    std::string owner_stables;
    EXPECT_TRUE(devnet.eventually([&] { return (owner_stables = testing::stables_of(devnet, serving, owner)) == owner_share; }, 10s))
        << "node 2's owner holds " << owner_stables << " stables, want " << owner_share;
    EXPECT_GT(decimal(devnet.balance(serving, owner)), decimal(owner_flk_before)) << "no FLK was minted for node 2";
    EXPECT_EQ(devnet.stables(), stables_after);  // charged once, not again at the epoch change
}

}  // namespace
}  // namespace fleek
