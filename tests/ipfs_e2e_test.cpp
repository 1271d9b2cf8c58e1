// End-to-end tests of the IPFS side against real IPFS implementations (content.md §7):
//   - `flk cid` against Debian's ipfs_cid (kubo's defaults) and `ipfs-car pack` (npm, 3.1.0);
//   - CARs written by `flk car pack` read by `ipfs-car ls/unpack`, and theirs read by `flk car`;
//   - a Helia trustless gateway on loopback as the node's IPFS origin (files, a multi-level file
//     DAG, directories, a HAMT directory), a lying gateway, the HTTP origin with SRI;
//   - @helia/verified-fetch reading from the node through ?format=raw and ?format=car.
// The npm tools and the Node.js they run on (pinned, not the `node` on PATH) are installed by
// tests/ipfs/install-tools (once, cached outside the repository).
#include "crypto/hash.h"
#include "ipld/car.h"
#include "ipld/dag_pb.h"
#include "ipld/unixfs.h"
#include "node/config.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/random_bytes.h"
#include "util/encoding.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

namespace fleek {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using testing::ProcessResult;
using testing::RawResponse;
using testing::ScratchDirectory;
using testing::http_request;
using testing::read_text;
using testing::run_process;
using testing::write_text;

using testing::random_bytes;

void write_bytes(const fs::path& path, ByteSpan bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

ProcessResult flk(std::vector<std::string> args) {
    args.insert(args.begin(), FLK_BINARY);
    return run_process(args);
}

// The npm tools directory (installs on first use); `<dir>/node` is the pinned Node.js.
const std::string& tools() {
    static const std::string dir = [] {
        const auto installed = run_process({testing::source_path("tests/ipfs/install-tools").string()});
        EXPECT_EQ(installed.exit_code, 0) << installed.err;
        return first_line(installed.out);
    }();
    return dir;
}

std::string pinned_node() { return tools() + "/node"; }

ProcessResult node_program(std::vector<std::string> args) {
    args.insert(args.begin(), pinned_node());
    return run_process(args);
}

ProcessResult ipfs_car(std::vector<std::string> args) {
    args.insert(args.begin(), {pinned_node(), tools() + "/node_modules/ipfs-car/bin.js"});
    return run_process(args);
}

// Byte-identical trees: same names, same kinds, same file bytes.
void expect_same_tree(const fs::path& a, const fs::path& b) {
    std::vector<std::string> left;
    std::vector<std::string> right;
    for (const auto& entry : fs::recursive_directory_iterator(a)) left.push_back(fs::relative(entry.path(), a).string());
    for (const auto& entry : fs::recursive_directory_iterator(b)) right.push_back(fs::relative(entry.path(), b).string());
    std::sort(left.begin(), left.end());
    std::sort(right.begin(), right.end());
    ASSERT_EQ(left, right) << a << " vs " << b;
    for (const auto& name : left) {
        if (fs::is_regular_file(a / name)) {
            EXPECT_EQ(read_text(a / name), read_text(b / name)) << name;
        }
    }
}

// A tree with what ipfs-car packs (regular, non-hidden files): nesting, unicode and spaces in names,
// empty files, a multi-chunk file, and a directory of 1500 files (a HAMT in both tools).
void make_tree(const fs::path& root, bool with_big_directory) {
    fs::create_directories(root / "docs/deep/er");
    fs::create_directories(root / "media");
    write_text(root / "readme.txt", "hello world\n");
    write_text(root / "empty.bin", "");
    write_text(root / "docs/a b.txt", "spaces");
    write_text(root / "docs/\xc3\xa9t\xc3\xa9.md", "unicode");
    write_text(root / "docs/deep/er/leaf.txt", "leaf");
    write_bytes(root / "media/video.bin", random_bytes(3 * 1048576 + 17, 1));
    if (with_big_directory) {
        fs::create_directories(root / "many");
        for (int i = 0; i < 1500; ++i) write_text(root / "many" / ("entry-" + std::to_string(i) + ".txt"), std::to_string(i * i));
    }
}

// The tools run on the Node.js tests/ipfs/package.json pins, whatever `node` is on PATH (Debian 12's
// is 18; the tools declare engines up to >= 22), and that Node.js satisfies every engines range of
// the installed packages, checked by npm's semver (tests/ipfs/check-engines.mjs).
TEST(IpfsTools, RunOnThePinnedNodeJs) {
    ASSERT_TRUE(fs::is_regular_file(pinned_node())) << pinned_node();
    const auto arch = run_process({pinned_node(), "-p", "process.arch"});
    ASSERT_EQ(arch.exit_code, 0) << arch.err;
    const auto manifest = nlohmann::json::parse(read_text(testing::source_path("tests/ipfs/package.json")));
    const std::string pinned = manifest.at("optionalDependencies").at("node-linux-" + first_line(arch.out)).get<std::string>();
    const auto version = run_process({pinned_node(), "--version"});
    ASSERT_EQ(version.exit_code, 0) << version.err;
    EXPECT_EQ(first_line(version.out), "v" + pinned);

    const auto engines = run_process({pinned_node(), testing::source_path("tests/ipfs/check-engines.mjs").string(), tools()});
    EXPECT_EQ(engines.exit_code, 0) << engines.err;
    EXPECT_NE(engines.out.find("satisfies the engines of"), std::string::npos) << engines.out;
    // Built in since Node.js 22; @helia/verified-fetch 8 uses it (Node 20 needed a polyfill).
    EXPECT_EQ(run_process({pinned_node(), "-e", "process.exit(typeof Promise.withResolvers === 'function' ? 0 : 1)"}).exit_code, 0);
}

TEST(IpfsTools, FlkCidEqualsIpfsCid) {
    ASSERT_EQ(run_process({"/usr/bin/env", "sh", "-c", "command -v ipfs_cid"}).exit_code, 0)
        << "ipfs_cid (Debian package ipfs-cid) is missing: run ./scripts/setup-deps";
    ScratchDirectory dir;
    const size_t sizes[] = {0, 1, 1023, 262143, 262144, 262145, 1048576, 3000000, 45613056, 45613057};
    for (const size_t size : sizes) {
        const fs::path path = dir / ("f" + std::to_string(size));
        write_bytes(path, random_bytes(size, static_cast<uint32_t>(size) + 7));
        const auto reference = run_process({"/usr/bin/env", "ipfs_cid", path.string()});
        ASSERT_EQ(reference.exit_code, 0) << reference.err;
        const auto json = nlohmann::json::parse(first_line(reference.out));
        const auto ours = flk({"cid", path.string()});
        ASSERT_EQ(ours.exit_code, 0) << ours.err;
        EXPECT_EQ(first_line(ours.out), json["CIDv0"].get<std::string>()) << size;
        // ipfs_cid's CIDv1 is the same DAG (dag-pb leaves) named by a CIDv1.
        const auto v1 = flk({"cid", "--cid-version", "1", "--no-raw-leaves", path.string()});
        if (size <= 262144) {
            EXPECT_EQ(first_line(v1.out), json["CIDv1"].get<std::string>()) << size;
        }
    }
}

TEST(IpfsTools, FlkMatchesIpfsCarBothWays) {
    ScratchDirectory dir;
    make_tree(dir / "tree", true);
    write_bytes(dir / "single.bin", random_bytes(2 * 1048576 + 5, 2));
    // The same root CIDs, for files, wrapped or not, and directory trees (HAMT included).
    struct Case {
        fs::path path;
        std::vector<std::string> extra;
    };
    const Case cases[] = {{dir / "single.bin", {}}, {dir / "single.bin", {"--no-wrap"}}, {dir / "tree/readme.txt", {}},
                          {dir / "tree", {}},       {dir / "tree/docs", {}},             {dir / "tree/many", {}}};
    int index = 0;
    for (const auto& item : cases) {
        const std::string car = (dir / ("theirs-" + std::to_string(index++) + ".car")).string();
        std::vector<std::string> args = {"pack", item.path.string(), "--output", car};
        args.insert(args.end(), item.extra.begin(), item.extra.end());
        const auto theirs = ipfs_car(args);
        ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
        std::vector<std::string> ours_args = {"cid", "--preset", "ipfs-car", item.path.string()};
        ours_args.insert(ours_args.end(), item.extra.begin(), item.extra.end());
        const auto ours = flk(ours_args);
        ASSERT_EQ(ours.exit_code, 0) << ours.err;
        EXPECT_EQ(first_line(ours.out), first_line(theirs.out)) << item.path;
    }

    // Our CAR, read by ipfs-car: same paths, identical bytes.
    const std::string our_car = (dir / "ours.car").string();
    const auto packed = flk({"car", "pack", (dir / "tree").string(), "-o", our_car});
    ASSERT_EQ(packed.exit_code, 0) << packed.err;
    const auto listed = ipfs_car({"ls", our_car});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_NE(listed.out.find("./docs/deep/er/leaf.txt"), std::string::npos) << listed.out;
    EXPECT_NE(listed.out.find("./many/entry-1499.txt"), std::string::npos);
    const auto unpacked = ipfs_car({"unpack", our_car, "--output", (dir / "by-ipfs-car").string()});
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
    expect_same_tree(dir / "tree", dir / "by-ipfs-car");
    // A kubo-style CAR (CIDv0, dag-pb leaves) of ours reads there too.
    const std::string kubo_car = (dir / "kubo.car").string();
    ASSERT_EQ(flk({"car", "pack", "--preset", "kubo", (dir / "single.bin").string(), "-o", kubo_car}).exit_code, 0);
    ASSERT_EQ(ipfs_car({"unpack", kubo_car, "--output", (dir / "kubo-unpacked").string()}).exit_code, 0);
    EXPECT_EQ(read_text(dir / "kubo-unpacked"), read_text(dir / "single.bin"));

    // Their CAR, read by us: every block verified, identical bytes.
    const std::string their_car = (dir / "theirs-3.car").string();
    const auto our_list = flk({"car", "ls", their_car});
    ASSERT_EQ(our_list.exit_code, 0) << our_list.err;
    EXPECT_NE(our_list.out.find("./many/entry-0.txt"), std::string::npos);
    const auto ours_unpacked = flk({"car", "unpack", their_car, "-o", (dir / "by-flk").string()});
    ASSERT_EQ(ours_unpacked.exit_code, 0) << ours_unpacked.err;
    expect_same_tree(dir / "tree", dir / "by-flk");
    // A byte changed in their CAR is refused with the section it is in.
    std::string damaged = read_text(their_car);
    damaged[damaged.size() - 3] ^= 0x01;
    write_text(dir / "damaged.car", damaged);
    const auto refused = flk({"car", "ls", (dir / "damaged.car").string()});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("block does not match its CID"), std::string::npos) << refused.err;
}

// --------------------------------------------------------------------------- the gateway

// A Helia trustless gateway serving test content (tests/ipfs/helia-gateway.mjs).
class HeliaGateway {
public:
    HeliaGateway(const fs::path& scratch, const nlohmann::json& spec) {
        const fs::path spec_path = scratch / ("spec-" + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".json");
        write_text(spec_path, spec.dump());
        m_process = std::make_unique<BackgroundProcess>(
            std::vector<std::string>{pinned_node(), tools() + "/helia-gateway.mjs", spec_path.string()});
        const auto out = m_process->wait_for_output("\"roots\"", 120000);
        EXPECT_TRUE(out.has_value()) << m_process->stderr_text();
        if (out) m_info = nlohmann::json::parse(first_line(*out));
    }
    std::string url() const { return m_info.value("url", ""); }
    std::string root(const std::string& name) const { return m_info["roots"].value(name, ""); }
    uint16_t port() const { return static_cast<uint16_t>(std::stoi(url().substr(url().rfind(':') + 1))); }
    nlohmann::json stats() const { return nlohmann::json::parse(http_request(port(), "GET", "/_stats").body); }

private:
    std::unique_ptr<BackgroundProcess> m_process;
    nlohmann::json m_info;
};

class RunningNode {
public:
    // A home that exists already is run again (its stores kept) with these gateways.
    RunningNode(const fs::path& home, std::vector<std::string> gateways, const std::function<void(node::Config&)>& tweak = nullptr) {
        if (!fs::exists(home / "config.toml")) {
            const auto init = run_process({FLEEK_NODE_BINARY, "init", "--dev", "--home", home.string()});
            EXPECT_EQ(init.exit_code, 0) << init.err;
        }
        auto config = node::load_config_file(home / "config.toml").value();
        config.gateway.http_address.port = 0;
        config.origins.ipfs_gateways = std::move(gateways);
        config.origins.request_timeout_ms = 60000;
        // PUT /http fetches from the local Helia gateway: loopback is refused unless allowlisted.
        config.origins.allowlist = {"127.0.0.1"};
        if (tweak) tweak(config);
        write_text(home / "config.toml", node::render_config(config));
        m_process = std::make_unique<BackgroundProcess>(std::vector<std::string>{FLEEK_NODE_BINARY, "run", "--home", home.string()});
        const auto out = m_process->wait_for_output("gateway: http://127.0.0.1:");
        EXPECT_TRUE(out.has_value()) << m_process->stderr_text();
        if (out) {
            const size_t at = out->find("gateway: http://127.0.0.1:") + std::string("gateway: http://127.0.0.1:").size();
            m_port = static_cast<uint16_t>(std::stoi(out->substr(at)));
        }
    }
    uint16_t port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    std::string log() const { return m_process->stderr_text(); }

private:
    std::unique_ptr<BackgroundProcess> m_process;
    uint16_t m_port = 0;
};

std::string b3(ByteSpan bytes) { return hex_encode(crypto::blake3(bytes)); }
std::string b3(const std::string& text) { return b3(as_bytes(text)); }

TEST(IpfsGateway, IngestsFromHeliaAndServesRealClients) {
    ScratchDirectory dir;
    write_text(dir / "small.txt", "hello from helia\n");
    write_bytes(dir / "big.bin", random_bytes(3'000'000, 3));
    write_bytes(dir / "deep.bin", random_bytes(200'000, 4));
    make_tree(dir / "site", false);
    // Long names: 1000 links of about 268 bytes (name and CID) pass kubo's 256 KiB estimate, so
    // the js importer (and kubo) shard this directory with the default threshold.
    fs::create_directories(dir / "hamt");
    const std::string padding(220, 'x');
    const auto hamt_name = [&](int i) { return "file-" + padding + "-" + std::to_string(i) + ".txt"; };
    for (int i = 0; i < 1000; ++i) write_text(dir / "hamt" / hamt_name(i), "content " + std::to_string(i));
    write_text(dir / "concurrent.txt", "asked for eight times at once\n");
    nlohmann::json spec;
    spec["entries"] = nlohmann::json::array({
        {{"name", "small"}, {"path", (dir / "small.txt").string()}, {"profile", "kubo"}},
        {{"name", "big"}, {"path", (dir / "big.bin").string()}, {"profile", "kubo"}},
        // Tiny chunks and 4 links per node: a file DAG five levels deep.
        {{"name", "deep"}, {"path", (dir / "deep.bin").string()}, {"profile", "v1"}, {"chunkSize", 1024}, {"maxChildren", 4}},
        {{"name", "site"}, {"path", (dir / "site").string()}, {"profile", "v1"}},
        {{"name", "hamt"}, {"path", (dir / "hamt").string()}, {"profile", "kubo"}},
        {{"name", "concurrent"}, {"path", (dir / "concurrent.txt").string()}, {"profile", "v1"}},
    });
    HeliaGateway helia(dir.path(), spec);
    ASSERT_FALSE(helia.url().empty());
    // The js importer Helia uses (kubo's defaults, or CIDv1 with raw leaves) and flk agree on
    // directories too, the HAMT included.
    EXPECT_EQ(first_line(flk({"cid", (dir / "hamt").string()}).out), helia.root("hamt"));
    EXPECT_EQ(first_line(flk({"cid", "--cid-version", "1", (dir / "site").string()}).out), helia.root("site"));
    EXPECT_EQ(first_line(flk({"cid", "--cid-version", "1", "--chunk-size", "1024", "--max-links", "4", (dir / "deep.bin").string()}).out),
              helia.root("deep"));

    RunningNode node(dir / "home", {helia.url()});
    ASSERT_NE(node.port(), 0);

    // Each piece of content: PUT /ipfs/<cid> fetches, stores and answers its BLAKE3 hash.
    const auto put = [&](const std::string& cid) {
        const RawResponse response = http_request(node.port(), "PUT", "/ipfs/" + cid);
        EXPECT_EQ(response.status, 201) << response.body << node.log();
        return response.status == 201 ? nlohmann::json::parse(response.body) : nlohmann::json();
    };
    const nlohmann::json small = put(helia.root("small"));
    EXPECT_EQ(small["hash"], b3(read_text(dir / "small.txt")));
    EXPECT_EQ(small["kind"], "file");
    const nlohmann::json big = put(helia.root("big"));
    EXPECT_EQ(big["hash"], b3(read_text(dir / "big.bin")));
    EXPECT_EQ(big["size"], 3'000'000);
    const nlohmann::json deep = put(helia.root("deep"));
    EXPECT_EQ(deep["hash"], b3(read_text(dir / "deep.bin")));
    EXPECT_GT(deep["blocks"].get<int>(), 200);
    const nlohmann::json site = put(helia.root("site"));
    EXPECT_EQ(site["kind"], "directory");
    const nlohmann::json hamt = put(helia.root("hamt"));
    EXPECT_EQ(hamt["kind"], "directory");
    EXPECT_EQ(hamt["size"], 1000);
    {
        // It is a HAMT: the root block, fetched raw, is a HAMTShard node.
        const RawResponse raw = http_request(node.port(), "GET", "/ipfs/" + helia.root("hamt") + "?format=raw");
        const auto pb = ipld::decode_dag_pb(as_bytes(raw.body));
        ASSERT_TRUE(pb.has_value() && pb->data.has_value());
        EXPECT_EQ(ipld::decode_unixfs(*pb->data).value().type, ipld::UnixfsType::hamt_shard);
    }
    // Asking again: already held, nothing fetched.
    const RawResponse again = http_request(node.port(), "PUT", "/ipfs/" + helia.root("big"));
    EXPECT_EQ(again.status, 200);
    EXPECT_TRUE(nlohmann::json::parse(again.body)["cached"].get<bool>());

    // Served back byte for byte, through directories and the HAMT.
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + helia.root("big")).body, read_text(dir / "big.bin"));
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + helia.root("deep")).body, read_text(dir / "deep.bin"));
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + helia.root("site") + "/docs/deep/er/leaf.txt").body, "leaf");
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + helia.root("site") + "/docs/%C3%A9t%C3%A9.md").body, "unicode");
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + helia.root("site") + "/media/video.bin").body,
              read_text(dir / "site/media/video.bin"));
    RawResponse in_hamt = http_request(node.port(), "GET", "/ipfs/" + helia.root("hamt") + "/" + hamt_name(777));
    EXPECT_EQ(in_hamt.status, 200);
    EXPECT_EQ(in_hamt.body, "content 777");
    EXPECT_EQ(in_hamt.headers["x-ipfs-path"], "/ipfs/" + helia.root("hamt") + "/" + hamt_name(777));
    EXPECT_NE(in_hamt.headers["x-ipfs-roots"].find(helia.root("hamt") + ","), std::string::npos);
    EXPECT_EQ(in_hamt.headers["cache-control"], "public, max-age=29030400, immutable");
    // The same bytes under their BLAKE3 hash.
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + big["hash"].get<std::string>()).body, read_text(dir / "big.bin"));

    // Range, ETag, 304, HEAD on the path gateway.
    const std::string big_path = "/ipfs/" + helia.root("big");
    RawResponse range = http_request(node.port(), "GET", big_path, "Range: bytes=1000000-1000099\r\n");
    EXPECT_EQ(range.status, 206);
    EXPECT_EQ(range.body, read_text(dir / "big.bin").substr(1000000, 100));
    EXPECT_EQ(range.headers["etag"], "\"" + helia.root("big") + "\"");
    EXPECT_EQ(http_request(node.port(), "GET", big_path, "If-None-Match: \"" + helia.root("big") + "\"\r\n").status, 304);
    RawResponse head = http_request(node.port(), "HEAD", big_path);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["content-length"], "3000000");
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + helia.root("site") + "/nope").status, 404);

    // Trustless responses parse as CARs whose blocks all match their CIDs.
    RawResponse car = http_request(node.port(), "GET", big_path + "?format=car&dag-scope=entity&entity-bytes=1000000:1100000");
    ASSERT_EQ(car.status, 200);
    EXPECT_EQ(car.headers["content-type"], "application/vnd.ipld.car; version=1; order=dfs; dups=n");
    const auto contents = ipld::read_car(as_bytes(car.body));
    ASSERT_TRUE(contents.has_value()) << contents.error().message();
    EXPECT_EQ(contents->blocks.size(), 3u);  // the root and the two 256 KiB leaves holding those bytes

    // Concurrent requests for one CID share one fetch: one CAR request reaches the gateway.
    const int car_requests_before = helia.stats()["car"].get<int>();
    std::vector<std::thread> threads;
    std::atomic<int> created{0};
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            const RawResponse response = http_request(node.port(), "PUT", "/ipfs/" + helia.root("concurrent"));
            if (response.status == 201 || response.status == 200) ++created;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(created.load(), 8);
    EXPECT_EQ(helia.stats()["car"].get<int>() - car_requests_before, 1);

    // The HTTP origin: a plain URL (here Helia's path gateway), with and without integrity.
    const std::string small_url = helia.url() + "/ipfs/" + helia.root("small");
    const std::string sri = "sha256-" + [&] {
        // base64 of the SHA-256 digest
        const auto digest = crypto::sha256(as_bytes(read_text(dir / "small.txt")));
        static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        for (size_t i = 0; i < digest.size(); i += 3) {
            const uint32_t n = (uint32_t{digest[i]} << 16) | (i + 1 < digest.size() ? uint32_t{digest[i + 1]} << 8 : 0) |
                               (i + 2 < digest.size() ? digest[i + 2] : 0);
            out += alphabet[(n >> 18) & 63];
            out += alphabet[(n >> 12) & 63];
            out += i + 1 < digest.size() ? alphabet[(n >> 6) & 63] : '=';
            out += i + 2 < digest.size() ? alphabet[n & 63] : '=';
        }
        return out;
    }();
    const auto encode = [](const std::string& text) {
        std::string out;
        for (const char c : text) out += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : fmt::format("%{:02X}", static_cast<uint8_t>(c));
        return out;
    };
    const RawResponse fetched = http_request(node.port(), "PUT", "/http?url=" + encode(small_url + "#integrity=" + sri));
    EXPECT_EQ(fetched.status, 201) << fetched.body;
    EXPECT_EQ(nlohmann::json::parse(fetched.body)["hash"], b3(read_text(dir / "small.txt")));
    const RawResponse refused = http_request(node.port(), "PUT", "/http?url=" + encode(helia.url() + "/ipfs/" + helia.root("concurrent") + "#integrity=" + sri));
    EXPECT_EQ(refused.status, 502) << refused.body;
    EXPECT_NE(refused.body.find("integrity"), std::string::npos);

    // A real IPFS client reads and verifies from this node: verified-fetch through ?format=raw
    // blocks, and CAR responses checked block by block and read by ipfs-unixfs-exporter.
    const nlohmann::json jobs = nlohmann::json::array({
        {{"cid", helia.root("small")}, {"file", (dir / "small.txt").string()}},
        {{"cid", helia.root("big")}, {"file", (dir / "big.bin").string()}},
        {{"cid", helia.root("deep")}, {"file", (dir / "deep.bin").string()}},
        {{"cid", helia.root("site")}, {"path", "/docs/a b.txt"}, {"file", (dir / "site/docs/a b.txt").string()}},
        {{"cid", helia.root("hamt")}, {"path", "/" + hamt_name(42)}, {"file", (dir / "hamt" / hamt_name(42)).string()}},
    });
    write_text(dir / "jobs.json", jobs.dump());
    const auto client = node_program({tools() + "/verified-fetch-client.mjs", node.url(), (dir / "jobs.json").string()});
    EXPECT_EQ(client.exit_code, 0) << client.out << client.err;
    const auto results = nlohmann::json::parse(first_line(client.out))["results"];
    ASSERT_EQ(results.size(), jobs.size()) << client.out;
    for (const auto& result : results) {
        EXPECT_TRUE(result.value("fetch", false)) << result.dump();
        EXPECT_TRUE(result.value("car", false)) << result.dump();
        EXPECT_TRUE(result.value("raw", false)) << result.dump();
    }
}

TEST(IpfsGateway, ALyingGatewayIsDetected) {
    ScratchDirectory dir;
    write_bytes(dir / "file.bin", random_bytes(1'500'000, 5));
    nlohmann::json spec;
    spec["entries"] = nlohmann::json::array({{{"name", "file"}, {"path", (dir / "file.bin").string()}, {"profile", "kubo"}}});
    nlohmann::json lying = spec;
    lying["corrupt"] = true;
    HeliaGateway liar(dir.path(), lying);
    HeliaGateway honest(dir.path(), spec);
    ASSERT_EQ(liar.root("file"), honest.root("file"));
    const std::string cid = liar.root("file");
    const std::string expected_hash = b3(read_text(dir / "file.bin"));

    // Only the liar: a clear error, and nothing of the content is stored or served.
    {
        RunningNode node(dir / "alone", {liar.url()});
        const RawResponse response = http_request(node.port(), "PUT", "/ipfs/" + cid);
        EXPECT_EQ(response.status, 502) << response.body;
        EXPECT_NE(response.body.find("does not match its CID"), std::string::npos) << response.body;
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid).status, 404);
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid + "?format=car").status, 404);
        EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + expected_hash).status, 404);
    }
    // Only the root matched its CID: it is kept (verified) for the next attempt, and nothing else.
    {
        RunningNode node(dir / "alone", {});
        const RawResponse root = http_request(node.port(), "GET", "/ipfs/" + cid + "?format=raw");
        EXPECT_EQ(root.status, 200);
        EXPECT_TRUE(ipld::Cid::parse(cid).value().verify(as_bytes(root.body)));
    }
    // The liar first, then an honest gateway: the fetch falls back and stores the right bytes.
    RunningNode node(dir / "both", {liar.url(), honest.url()});
    const RawResponse response = http_request(node.port(), "PUT", "/ipfs/" + cid);
    ASSERT_EQ(response.status, 201) << response.body;
    EXPECT_EQ(nlohmann::json::parse(response.body)["hash"], expected_hash);
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid).body, read_text(dir / "file.bin"));
    EXPECT_NE(node.log().find("does not match its CID"), std::string::npos);
    EXPECT_GE(liar.stats()["car"].get<int>(), 2);
}

// Gateways as they fail in the wild: one slips a block of no DAG into its CAR and has no raw
// blocks; the fetch keeps what matched, fails cleanly, and the next one (another gateway, after a
// restart) resumes from the kept blocks. Then the path gateway's answers over HTTP: 412 for
// only-if-cached, 301 for a directory without its slash, a sniffed Content-Type.
TEST(IpfsGateway, SurvivesAMisbehavingGatewayAndResumes) {
    ScratchDirectory dir;
    write_bytes(dir / "file.bin", random_bytes(1'500'000, 6));
    write_text(dir / "picture", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(2000, 'p'));
    make_tree(dir / "site", false);
    nlohmann::json spec;
    spec["entries"] = nlohmann::json::array({
        {{"name", "file"}, {"path", (dir / "file.bin").string()}, {"profile", "v1"}, {"chunkSize", 65536}},
        {{"name", "picture"}, {"path", (dir / "picture").string()}, {"profile", "v1"}},
        {{"name", "site"}, {"path", (dir / "site").string()}, {"profile", "v1"}},
    });
    nlohmann::json faulty_spec = spec;
    faulty_spec["strangerAfter"] = 3;
    faulty_spec["raw"] = false;
    HeliaGateway faulty(dir.path(), faulty_spec);
    HeliaGateway honest(dir.path(), spec);
    const std::string cid = honest.root("file");
    ASSERT_EQ(faulty.root("file"), cid);
    const size_t blocks = 1 + (1'500'000 + 65535) / 65536;  // the root and its leaves

    {
        RunningNode node(dir / "home", {faulty.url()});
        const RawResponse failed = http_request(node.port(), "PUT", "/ipfs/" + cid);
        EXPECT_EQ(failed.status, 502) << failed.body;
        EXPECT_NE(failed.body.find("does not reach"), std::string::npos) << failed.body;
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid).status, 404);
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid, "Cache-Control: only-if-cached\r\n").status, 412);
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid + "?format=raw").status, 200);  // kept: it matched
    }
    {
        RunningNode node(dir / "home", {honest.url()});
        const RawResponse response = http_request(node.port(), "PUT", "/ipfs/" + cid);
        ASSERT_EQ(response.status, 201) << response.body << node.log();
        const auto answer = nlohmann::json::parse(response.body);
        EXPECT_EQ(answer["hash"], b3(read_text(dir / "file.bin")));
        EXPECT_EQ(answer["blocks"].get<size_t>(), blocks);
        // The three blocks that came before the stranger were not asked again, nor the whole CAR.
        EXPECT_EQ(honest.stats()["car"].get<int>(), 0);
        EXPECT_EQ(honest.stats()["raw"].get<size_t>(), blocks - 3);
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + cid).body, read_text(dir / "file.bin"));
        const RawResponse car = http_request(node.port(), "GET", "/ipfs/" + cid + "?format=car");
        const auto contents = ipld::read_car(as_bytes(car.body));
        ASSERT_TRUE(contents.has_value()) << contents.error().message();
        EXPECT_EQ(contents->blocks.size(), blocks);

        // The path gateway over HTTP.
        ASSERT_EQ(http_request(node.port(), "PUT", "/ipfs/" + honest.root("site")).status, 201);
        ASSERT_EQ(http_request(node.port(), "PUT", "/ipfs/" + honest.root("picture")).status, 201);
        RawResponse moved = http_request(node.port(), "GET", "/ipfs/" + honest.root("site") + "/docs?x=1");
        EXPECT_EQ(moved.status, 301);
        EXPECT_EQ(moved.headers["location"], "/ipfs/" + honest.root("site") + "/docs/?x=1");
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + honest.root("site") + "/docs/").status, 200);
        RawResponse picture = http_request(node.port(), "GET", "/ipfs/" + honest.root("picture"));
        EXPECT_EQ(picture.status, 200);
        EXPECT_EQ(picture.headers["content-type"], "image/png");
        EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + honest.root("picture"), "Cache-Control: only-if-cached\r\n").status, 200);
        const std::string never_seen = ipld::Cid::of(ipld::multicodec::raw, as_bytes("never stored here")).to_string();
        EXPECT_EQ(http_request(node.port(), "HEAD", "/ipfs/" + never_seen, "Cache-Control: only-if-cached\r\n").status, 412);
    }
}

// Real eviction (a small blockstore): a DAG whose CAR or content the store evicted is fetched
// again by PUT (not reported cached) and served whole again.
TEST(IpfsGateway, EvictedDagsAreFetchedAgain) {
    ScratchDirectory dir;
    write_bytes(dir / "one.bin", random_bytes(1'500'000, 7));
    write_bytes(dir / "two.bin", random_bytes(1'500'000, 8));
    nlohmann::json spec;
    spec["entries"] = nlohmann::json::array({
        {{"name", "one"}, {"path", (dir / "one.bin").string()}, {"profile", "v1"}},
        {{"name", "two"}, {"path", (dir / "two.bin").string()}, {"profile", "v1"}},
    });
    HeliaGateway helia(dir.path(), spec);
    // Room for one DAG (its CAR and its file) and a half: storing the second evicts from the first.
    RunningNode node(dir / "home", {helia.url()}, [](node::Config& config) { config.blockstore.capacity_bytes = 5'000'000; });
    const std::string one = helia.root("one");
    ASSERT_EQ(http_request(node.port(), "PUT", "/ipfs/" + one).status, 201);
    ASSERT_EQ(http_request(node.port(), "PUT", "/ipfs/" + helia.root("two")).status, 201);
    const RawResponse again = http_request(node.port(), "PUT", "/ipfs/" + one);
    ASSERT_EQ(again.status, 201) << again.body << node.log();
    EXPECT_FALSE(nlohmann::json::parse(again.body)["cached"].get<bool>());
    EXPECT_EQ(http_request(node.port(), "GET", "/ipfs/" + one).body, read_text(dir / "one.bin"));
    const RawResponse car = http_request(node.port(), "GET", "/ipfs/" + one + "?format=car");
    ASSERT_EQ(car.status, 200);
    const auto contents = ipld::read_car(as_bytes(car.body));
    ASSERT_TRUE(contents.has_value()) << contents.error().message();
    EXPECT_EQ(contents->blocks.size(), 7u);  // the root and six 256 KiB leaves
}

}  // namespace
}  // namespace fleek
