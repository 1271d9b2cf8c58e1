// End-to-end tests of the content engine with real processes: fleek-node run serving the
// gateway, flk hash/put/get/ls, b3sum as the reference hasher, kill -9 during uploads, a block
// corrupted on disk, and a malicious node that sends a tampered stream.
#include "content/stream.h"
#include "node/config.h"
#include "tests/support/content_node.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "util/encoding.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

namespace fleek {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using testing::flk;
using testing::hex;
using testing::random_bytes;
using testing::RunningNode;
using testing::write_bytes;
using testing::ProcessResult;
using testing::RawResponse;
using testing::ScratchDirectory;
using testing::http_request;
using testing::read_text;
using testing::run_process;
using testing::write_text;

// Every committed object is whole: data with a tree of the same length; nothing in tmp/.
void expect_store_consistent(const fs::path& store) {
    size_t temporary = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(store / "tmp")) ++temporary;
    EXPECT_EQ(temporary, 0u);
    for (const auto& file : fs::recursive_directory_iterator(store / "objects")) {
        if (file.path().extension() == ".data") {
            fs::path tree = file.path();
            tree.replace_extension(".tree");
            EXPECT_TRUE(fs::exists(tree)) << file.path();
        }
        if (file.path().extension() == ".tree") {
            fs::path data = file.path();
            data.replace_extension(".data");
            ASSERT_TRUE(fs::exists(data)) << file.path();
            const std::string tree_bytes = read_text(file.path());
            uint64_t length = 0;
            for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<uint8_t>(tree_bytes[5 + i])) << (8 * i);
            EXPECT_EQ(fs::file_size(data), length) << data;
        }
    }
}

TEST(ContentEndToEnd, FlkHashEqualsB3sum) {
    ScratchDirectory dir;
    std::vector<std::string> args = {"hash"};
    std::string b3sum = "b3sum";
    const size_t lengths[] = {0, 1, 1023, 1024, 1025, 262143, 262144, 262145, 1048583, size_t{100} << 20};
    for (const size_t length : lengths) {
        const fs::path path = dir / ("file-" + std::to_string(length));
        write_bytes(path, random_bytes(length, static_cast<uint32_t>(length)));
        args.push_back(path.string());
        b3sum += " " + path.string();
    }
    const auto ours = flk(args);
    ASSERT_EQ(ours.exit_code, 0) << ours.err;
    FILE* pipe = ::popen(b3sum.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string theirs;
    char buffer[4096];
    while (size_t got = std::fread(buffer, 1, sizeof(buffer), pipe)) theirs.append(buffer, got);
    ASSERT_EQ(::pclose(pipe), 0);
    EXPECT_EQ(ours.out, theirs);
    EXPECT_EQ(std::count(ours.out.begin(), ours.out.end(), '\n'), static_cast<long>(std::size(lengths)));
    // With two threads, the same hashes.
    args.insert(args.begin() + 1, {"--threads", "2"});
    EXPECT_EQ(flk(args).out, theirs);
}

TEST(ContentEndToEnd, PutAndGetFilesAndDirectoryTrees) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    // A tree with nested directories, an empty file, an empty directory, a multi-block file and
    // a symbolic link.
    const fs::path tree = dir / "tree";
    fs::create_directories(tree / "a/b/c");
    fs::create_directories(tree / "empty");
    write_text(tree / "README.md", "# hello\n");
    write_text(tree / "a/empty.txt", "");
    write_bytes(tree / "a/b/big.bin", random_bytes(3 * content::block_size + 17, 1));
    write_bytes(tree / "a/b/c/block.bin", random_bytes(content::block_size, 2));
    fs::create_symlink("b/big.bin", tree / "a/link");

    const auto put = flk({"--node", node.url(), "put", tree.string()});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    const std::string root = put.out.substr(0, 64);
    EXPECT_EQ(flk({"hash", tree.string()}).out.substr(0, 64), root);

    const auto ls = flk({"--node", node.url(), "ls", root});
    ASSERT_EQ(ls.exit_code, 0) << ls.err;
    EXPECT_NE(ls.out.find("README.md"), std::string::npos);
    EXPECT_NE(ls.out.find("a/"), std::string::npos);
    EXPECT_NE(ls.out.find("empty/"), std::string::npos);

    const auto get = flk({"--node", node.url(), "get", root, "-o", (dir / "copy").string()});
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(run_process({"/usr/bin/diff", "-r", "--no-dereference", tree.string(), (dir / "copy").string()}).exit_code, 0);
    EXPECT_EQ(fs::read_symlink(dir / "copy/a/link"), "b/big.bin");

    // A single file, by path lookup and by its own hash.
    const auto file_get = flk({"--node", node.url(), "get", hex(random_bytes(3 * content::block_size + 17, 1)), "-o",
                               (dir / "big.copy").string()});
    ASSERT_EQ(file_get.exit_code, 0) << file_get.err;
    EXPECT_EQ(read_text(dir / "big.copy"), read_text(tree / "a/b/big.bin"));
    const RawResponse by_path = http_request(node.port(), "GET", "/blake3/" + root + "/a/b/big.bin");
    EXPECT_EQ(by_path.status, 200);
    EXPECT_EQ(by_path.body, read_text(tree / "a/b/big.bin"));
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + root + "/README.md").headers["content-type"],
              "text/markdown; charset=utf-8");
    EXPECT_EQ(node.stop(), 0);
}

TEST(ContentEndToEnd, GatewayHttpSemantics) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const Bytes content = random_bytes(2 * content::block_size + 100, 3);
    const std::string body(content.begin(), content.end());
    const std::string h = hex(content);
    RawResponse put = http_request(node.port(), "PUT", "/blake3", "", body);
    ASSERT_EQ(put.status, 201) << put.body;
    EXPECT_EQ(nlohmann::json::parse(put.body)["hash"], h);

    RawResponse get = http_request(node.port(), "GET", "/blake3/" + h);
    EXPECT_EQ(get.status, 200);
    EXPECT_TRUE(get.complete);
    EXPECT_EQ(get.body, body);
    EXPECT_EQ(get.headers["content-length"], std::to_string(content.size()));
    EXPECT_EQ(get.headers["etag"], "\"" + h + "\"");
    EXPECT_EQ(get.headers["cache-control"], "public, max-age=31536000, immutable");
    EXPECT_EQ(get.headers["accept-ranges"], "bytes");

    RawResponse head = http_request(node.port(), "HEAD", "/services/0/blake3/" + h);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers["content-length"], std::to_string(content.size()));
    EXPECT_TRUE(head.body.empty());

    RawResponse range = http_request(node.port(), "GET", "/blake3/" + h, "Range: bytes=262100-262200\r\n");
    EXPECT_EQ(range.status, 206);
    EXPECT_EQ(range.body, body.substr(262100, 101));
    EXPECT_EQ(range.headers["content-range"], "bytes 262100-262200/" + std::to_string(content.size()));
    RawResponse suffix = http_request(node.port(), "GET", "/blake3/" + h, "Range: bytes=-10\r\n");
    EXPECT_EQ(suffix.status, 206);
    EXPECT_EQ(suffix.body, body.substr(body.size() - 10));
    RawResponse unsatisfiable = http_request(node.port(), "GET", "/blake3/" + h, "Range: bytes=999999999-\r\n");
    EXPECT_EQ(unsatisfiable.status, 416);
    EXPECT_EQ(unsatisfiable.headers["content-range"], "bytes */" + std::to_string(content.size()));
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + h, "If-None-Match: \"" + h + "\"\r\n").status, 304);

    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + std::string(64, '0')).status, 404);
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/nothex").status, 400);
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + h + "?format=bogus").status, 400);
    EXPECT_EQ(http_request(node.port(), "DELETE", "/blake3/" + h).status, 405);
    EXPECT_EQ(http_request(node.port(), "GET", "/health").status, 200);

    // An upload that does not match the hash it announces is refused and not stored.
    const std::string other(100, 'x');
    RawResponse mismatch = http_request(node.port(), "PUT", "/blake3/" + h, "", other);
    EXPECT_EQ(mismatch.status, 422);
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + hex(as_bytes(other))).status, 404);

    // The verified stream decodes and verifies to the content.
    RawResponse stream = http_request(node.port(), "GET", "/blake3/" + h + "?format=verified");
    ASSERT_EQ(stream.status, 200);
    content::StreamVerifier verifier(crypto::blake3(content));
    std::string received;
    ASSERT_TRUE(verifier.feed(as_bytes(stream.body), [&](uint64_t, ByteSpan block) {
        received.append(as_string_view(block));
        return true;
    }));
    EXPECT_TRUE(verifier.finish());
    EXPECT_EQ(received, body);
}

TEST(ContentEndToEnd, UploadsCanBeDisabled) {
    ScratchDirectory dir;
    RunningNode node(dir / "home", /*upload_enabled=*/false);
    RawResponse put = http_request(node.port(), "PUT", "/blake3", "", "data");
    EXPECT_EQ(put.status, 403);
    EXPECT_NE(put.body.find("upload_enabled"), std::string::npos);
}

TEST(ContentEndToEnd, ManyConcurrentConnections) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const Bytes content = random_bytes(content::block_size + 5, 4);
    const std::string body(content.begin(), content.end());
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", body).status, 201);
    std::atomic<int> good{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 64; ++i) {
        clients.emplace_back([&] {
            for (int round = 0; round < 3; ++round) {
                const RawResponse response = http_request(node.port(), "GET", "/blake3/" + hex(content));
                if (response.status == 200 && response.body == body) ++good;
            }
        });
    }
    for (auto& client : clients) client.join();
    EXPECT_EQ(good.load(), 64 * 3);
}

// Clients that reset the connection in the middle of a body (sent with sendfile, which has no
// MSG_NOSIGNAL and raises SIGPIPE on a dead socket) cost the node that response only: it keeps
// serving, every later GET whole and equal to the content.
TEST(ContentEndToEnd, ClientsResettingMidBodyLeaveTheNodeServing) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const Bytes content = random_bytes(16 * content::block_size, 12);
    const std::string body(content.begin(), content.end());
    const std::string h = hex(content);
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", body).status, 201);
    for (int round = 0; round < 40; ++round) {
        const int fd = testing::connect_loopback(node.port());
        ASSERT_GE(fd, 0);
        ASSERT_TRUE(testing::send_all(fd, "GET /blake3/" + h + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        char first[4096];
        ASSERT_GT(::recv(fd, first, sizeof(first), 0), 0);  // the body is on its way
        const linger reset{1, 0};  // close() sends RST, not FIN
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        ::close(fd);
    }
    const RawResponse after = http_request(node.port(), "GET", "/blake3/" + h);
    EXPECT_EQ(after.status, 200);
    EXPECT_TRUE(after.complete);
    EXPECT_EQ(after.body, body);
}

TEST(ContentEndToEnd, CorruptBlocksOnDiskAreNeverServed) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const Bytes content = random_bytes(4 * content::block_size, 5);
    const std::string h = hex(content);
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", std::string(content.begin(), content.end())).status, 201);
    // Flip one byte of block 2 on disk.
    {
        std::fstream file(node.data_file(h), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(2 * content::block_size + 77);
        file.put('\x5a' ^ static_cast<char>(content[2 * content::block_size + 77]));
    }
    // The raw response stops before the corrupt block: the client gets fewer bytes than promised.
    RawResponse raw = http_request(node.port(), "GET", "/blake3/" + h);
    EXPECT_FALSE(raw.complete);
    EXPECT_LE(raw.body.size(), 2 * content::block_size);
    EXPECT_EQ(raw.body, std::string(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(raw.body.size())));
    // It is quarantined: from now on the node says it does not have it.
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + h).status, 404);
    const auto get = flk({"--node", node.url(), "get", h, "-o", (dir / "out").string()});
    EXPECT_NE(get.exit_code, 0);
    EXPECT_FALSE(fs::exists(dir / "out"));
    EXPECT_NE(node.process().stderr_text().find("corrupt"), std::string::npos);

    // Corruption in the first block is refused with an error status before any byte is sent.
    const Bytes second = random_bytes(2 * content::block_size, 6);
    const std::string h2 = hex(second);
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", std::string(second.begin(), second.end())).status, 201);
    {
        std::fstream file(node.data_file(h2), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(5);
        file.put(static_cast<char>(second[5] ^ 1));
    }
    RawResponse refused = http_request(node.port(), "GET", "/blake3/" + h2);
    EXPECT_EQ(refused.status, 500);
    EXPECT_NE(refused.body.find("failed verification"), std::string::npos);
}

// kill -9 while an upload is on the wire, at several points, then restart.
TEST(ContentEndToEnd, KilledDuringUploadLeavesContentAbsentOrComplete) {
    const Bytes content = random_bytes(8 << 20, 7);
    const std::string h = hex(content);
    const size_t points[] = {0, 100 * 1024, 3 << 20, content.size() - 1, content.size()};
    for (const size_t sent : points) {
        ScratchDirectory dir;
        RunningNode node(dir / "home");
        const int fd = testing::connect_loopback(node.port());
        ASSERT_GE(fd, 0);
        const std::string header = "PUT /blake3 HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(content.size()) + "\r\n\r\n";
        ASSERT_TRUE(testing::send_all(fd, header));
        ASSERT_TRUE(testing::send_all(fd, as_string_view(ByteSpan(content).first(sent))));
        ::usleep(300 * 1000);  // let the node write what it received
        node.kill9();
        ::close(fd);
        node.start();
        const RawResponse after = http_request(node.port(), "GET", "/blake3/" + h);
        if (after.status == 200) {
            EXPECT_EQ(sent, content.size());  // only a finished upload can be present
            EXPECT_EQ(after.body, std::string(content.begin(), content.end()));
        } else {
            EXPECT_EQ(after.status, 404) << sent;
        }
        expect_store_consistent(node.store());
        EXPECT_EQ(node.stop(), 0);
    }
}

// The node kills itself (SIGKILL) at each step of a commit: after the data is synced, after it
// is renamed into place, after the tree is renamed into place.
TEST(ContentEndToEnd, KilledDuringCommitLeavesContentAbsentOrComplete) {
    const Bytes content = random_bytes(3 * content::block_size + 9, 8);
    const std::string h = hex(content);
    for (const auto& [point, present] : {std::pair{"after_data_sync", false}, std::pair{"after_data_rename", false},
                                         std::pair{"after_tree_rename", true}}) {
        ScratchDirectory dir;
        RunningNode node(dir / "home", true, {{"FLEEK_BLOCKSTORE_CRASH_POINT", point}});
        http_request(node.port(), "PUT", "/blake3", "", std::string(content.begin(), content.end()));
        EXPECT_EQ(node.process().wait(), -SIGKILL) << point;
        node.start();
        const RawResponse after = http_request(node.port(), "GET", "/blake3/" + h);
        EXPECT_EQ(after.status, present ? 200 : 404) << point;
        if (present) {
            EXPECT_EQ(after.body, std::string(content.begin(), content.end()));
        }
        expect_store_consistent(node.store());
    }
}

TEST(ContentEndToEnd, InterruptedDownloadsResume) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const Bytes content = random_bytes(5 * content::block_size + 33, 9);
    const std::string h = hex(content);
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", std::string(content.begin(), content.end())).status, 201);

    // Two verified blocks and part of a third are on disk from an earlier attempt.
    write_bytes(dir / "out.part", ByteSpan(content).first(2 * content::block_size + 1000));
    const auto resumed = flk({"--node", node.url(), "get", h, "-o", (dir / "out").string()});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(read_text(dir / "out"), std::string(content.begin(), content.end()));
    EXPECT_FALSE(fs::exists(dir / "out.part"));
    EXPECT_NE(node.process().stderr_text().find("format=verified&start=2"), std::string::npos);

    // A partial file that is not a prefix of the content is detected and the download restarts.
    Bytes wrong(content.begin(), content.begin() + 3 * content::block_size);
    wrong[1000] ^= 1;
    write_bytes(dir / "again.part", wrong);
    const auto restarted = flk({"--node", node.url(), "get", h, "-o", (dir / "again").string()});
    ASSERT_EQ(restarted.exit_code, 0) << restarted.err;
    EXPECT_NE(restarted.err.find("downloading from the start"), std::string::npos);
    EXPECT_EQ(read_text(dir / "again"), std::string(content.begin(), content.end()));
}

// A node that lies: flk must write nothing unverified.
TEST(ContentEndToEnd, TamperedStreamIsRejectedByTheClient) {
    const Bytes content = random_bytes(4 * content::block_size, 10);
    const content::HashTree tree = content::hash_tree(content);
    Bytes stream = content::encode_stream(tree, content, 0, tree.blocks());
    // Flip a byte inside block 2's data (after the header and the proofs before it).
    const size_t block2_offset = stream.size() - 2 * content::block_size;
    stream[block2_offset + 10] ^= 0x01;

    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(::listen(listener, 8), 0);
    socklen_t length = sizeof(address);
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    const uint16_t port = ntohs(address.sin_port);
    std::atomic<bool> done{false};
    std::thread liar([&] {
        while (!done) {
            const int client = ::accept(listener, nullptr, nullptr);
            if (client < 0) break;
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                const ssize_t got = ::recv(client, buffer, sizeof(buffer), 0);
                if (got <= 0) break;
                request.append(buffer, static_cast<size_t>(got));
            }
            const bool head = request.rfind("HEAD", 0) == 0;
            std::string response = "HTTP/1.1 200 OK\r\nX-Fleek-Kind: file\r\nConnection: close\r\nContent-Length: " +
                                   std::to_string(stream.size()) + "\r\n\r\n";
            if (!head) response.append(as_string_view(stream));
            testing::send_all(client, response);
            ::close(client);
        }
    });
    ScratchDirectory dir;
    const auto get = flk({"--node", "http://127.0.0.1:" + std::to_string(port), "get", hex_encode(tree.root()), "-o",
                          (dir / "out").string()});
    done = true;
    ::shutdown(listener, SHUT_RDWR);
    ::close(listener);
    liar.join();
    EXPECT_NE(get.exit_code, 0);
    EXPECT_NE(get.err.find("failed verification"), std::string::npos) << get.err;
    EXPECT_FALSE(fs::exists(dir / "out"));
    // Only the two verified blocks before the tampered one were written.
    const std::string partial = read_text(dir / "out.part");
    EXPECT_EQ(partial.size(), 2 * content::block_size);
    EXPECT_EQ(partial, std::string(content.begin(), content.begin() + 2 * content::block_size));
}

}  // namespace
}  // namespace fleek
