// flk get against a real node and against servers that misbehave: resuming from a .part of any
// length (issue 15: a .part of n or more blocks was renamed into place unverified), a server
// that stops answering mid-body, symbolic links that lead out of the output, and files that
// must not be overwritten without --force.
#include "content/stream.h"
#include "tests/support/content_node.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/http_server.h"
#include "tests/support/process.h"

#include <gtest/gtest.h>

#include <chrono>

namespace fleek {
namespace {

namespace fs = std::filesystem;
using testing::BackgroundProcess;
using testing::flk;
using testing::hex;
using testing::http_request;
using testing::random_bytes;
using testing::read_text;
using testing::RunningNode;
using testing::ScratchDirectory;
using testing::ServedRequest;
using testing::ServedResponse;
using testing::TestHttpServer;
using testing::write_bytes;
using testing::write_text;
constexpr uint64_t block = content::block_size;

std::string text_of(ByteSpan bytes) { return std::string(bytes.begin(), bytes.end()); }

// Every .part length around every block boundary, and longer than the content, holding either
// the content's own bytes (then junk past its end) or junk throughout: the output is always
// exactly the content, and no junk byte survives.
TEST(FlkGet, ResumeFromAnyPartLengthWritesOnlyVerifiedBytes) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    for (const uint64_t length : {3 * block + 1000, 2 * block}) {
        const Bytes content = random_bytes(length, static_cast<uint32_t>(length));
        const std::string h = hex(content);
        ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", text_of(content)).status, 201);
        const uint64_t blocks = content::block_count(length);
        std::vector<uint64_t> part_lengths = {1, length - 1, length, length + 1, length + block, 2 * length};
        for (uint64_t k = 1; k <= blocks + 1; ++k) {
            for (const int64_t delta : {-1, 0, 1}) part_lengths.push_back(static_cast<uint64_t>(static_cast<int64_t>(k * block) + delta));
        }
        for (const uint64_t part_length : part_lengths) {
            for (const bool prefix : {true, false}) {
                Bytes part = random_bytes(part_length, static_cast<uint32_t>(part_length + 7));  // junk
                if (prefix) std::copy(content.begin(), content.begin() + static_cast<std::ptrdiff_t>(std::min(length, part_length)), part.begin());
                const fs::path out = dir / "out";
                fs::remove(out);
                write_bytes(dir / "out.part", part);
                const auto get = flk({"--node", node.url(), "get", h, "-o", out.string()});
                const std::string where = std::to_string(length) + "-byte content, .part of " + std::to_string(part_length) +
                                          (prefix ? " (its prefix)" : " (junk)");
                ASSERT_EQ(get.exit_code, 0) << where << ": " << get.err;
                EXPECT_EQ(fs::file_size(out), length) << where;
                EXPECT_TRUE(read_text(out) == text_of(content)) << where;
                EXPECT_FALSE(fs::exists(dir / "out.part")) << where;
            }
        }
    }
    // The node saw resumes from the last block (a .part holding all blocks).
    EXPECT_NE(node.process().stderr_text().find("format=verified&start=1"), std::string::npos);
}

// A server that sends half the body and then nothing, keeping the connection open: flk gives
// up after --stall-timeout instead of waiting forever, and writes no output.
TEST(FlkGet, AStalledServerIsAbandoned) {
    const Bytes content = random_bytes(4 * block, 11);
    const content::HashTree tree = content::hash_tree(content);
    const Bytes stream = content::encode_stream(tree, content, 0, tree.blocks());
    TestHttpServer stalled([&stream](const ServedRequest& request) {
        ServedResponse response;
        response.headers.emplace_back("X-Fleek-Kind", "file");
        if (request.method == "HEAD") return response;
        response.body.assign(stream.begin(), stream.end());
        response.cut_after = stream.size() / 2;
        response.hold_open_ms = 120'000;
        return response;
    });
    ScratchDirectory dir;
    const auto started = std::chrono::steady_clock::now();
    BackgroundProcess get({FLK_BINARY, "--node", stalled.url(), "--stall-timeout", "2", "get", hex_encode(tree.root()), "-o",
                           (dir / "out").string()});
    const auto exit_code = get.wait_for_exit(60'000);
    ASSERT_TRUE(exit_code.has_value()) << "flk still waits for a server that stopped answering";
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
    EXPECT_NE(*exit_code, 0);
    EXPECT_LT(seconds, 30);
    EXPECT_NE(get.stderr_text().find("sent nothing for 2 s"), std::string::npos) << get.stderr_text();
    EXPECT_FALSE(fs::exists(dir / "out"));
    // What arrived before the stall was verified and is kept for a resume.
    EXPECT_EQ(fs::file_size(dir / "out.part") % block, 0u);
}

// Links stored in a directory that point at absolute paths, climb out of the output, or do so
// through other links: flk get refuses them before writing anything.
TEST(FlkGet, EscapingLinksAreRefused) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const auto put_tree = [&](const std::string& name, const std::vector<std::pair<std::string, std::string>>& links) {
        const fs::path tree = dir / name;
        fs::create_directories(tree / "sub");
        write_text(tree / "sub/file.txt", "inside\n");
        for (const auto& [link, target] : links) fs::create_symlink(target, tree / link);
        const auto put = flk({"--node", node.url(), "put", tree.string()});
        EXPECT_EQ(put.exit_code, 0) << put.err;
        return put.out.substr(0, 64);
    };
    const std::pair<std::string, std::vector<std::pair<std::string, std::string>>> cases[] = {
        {"absolute", {{"passwd", "/etc/passwd"}}},
        {"climbing", {{"sub/up", "../../.."}}},
        {"chained", {{"b", "."}, {"sub/a", "../b/.."}}},
    };
    for (const auto& [name, links] : cases) {
        const std::string root = put_tree(name, links);
        const fs::path out = dir / ("out-" + name);
        const auto get = flk({"--node", node.url(), "get", root, "-o", out.string()});
        EXPECT_NE(get.exit_code, 0) << name;
        EXPECT_NE(get.err.find("refusing the link"), std::string::npos) << name << ": " << get.err;
        EXPECT_FALSE(fs::exists(fs::symlink_status(out))) << name << ": nothing may be written";
        // Asked for explicitly, they are created as they are.
        const auto unsafe = flk({"--node", node.url(), "get", "--unsafe-links", root, "-o", out.string()});
        EXPECT_EQ(unsafe.exit_code, 0) << name << ": " << unsafe.err;
        EXPECT_EQ(fs::read_symlink(out / links[0].first), links[0].second);
    }
    // Links that stay inside are created.
    const std::string fine = put_tree("fine", {{"link", "sub/file.txt"}, {"sub/back", "../sub/./file.txt"}});
    const auto get = flk({"--node", node.url(), "get", fine, "-o", (dir / "out-fine").string()});
    ASSERT_EQ(get.exit_code, 0) << get.err;
    EXPECT_EQ(read_text(dir / "out-fine/link"), "inside\n");
    EXPECT_EQ(read_text(dir / "out-fine/sub/back"), "inside\n");
}

TEST(FlkGet, ExistingFilesAreNotReplacedWithoutForce) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const std::string body = "new content\n";
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", body).status, 201);
    const std::string h = hex(as_bytes(body));
    write_text(dir / "mine.txt", "precious\n");
    const auto refused = flk({"--node", node.url(), "get", h, "-o", (dir / "mine.txt").string()});
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("already exists (use --force"), std::string::npos) << refused.err;
    EXPECT_EQ(read_text(dir / "mine.txt"), "precious\n");
    const auto forced = flk({"--node", node.url(), "get", "--force", h, "-o", (dir / "mine.txt").string()});
    EXPECT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_EQ(read_text(dir / "mine.txt"), body);

    // A directory: into an existing non-empty directory only with --force, and then an existing
    // link where a file goes is replaced, never followed.
    const fs::path tree = dir / "tree";
    fs::create_directories(tree);
    write_text(tree / "a.txt", "a\n");
    const auto put = flk({"--node", node.url(), "put", tree.string()});
    ASSERT_EQ(put.exit_code, 0) << put.err;
    const std::string root = put.out.substr(0, 64);
    fs::create_directories(dir / "out");
    write_text(dir / "victim", "do not touch\n");
    fs::create_symlink(dir / "victim", dir / "out/a.txt");
    const auto into = flk({"--node", node.url(), "get", root, "-o", (dir / "out").string()});
    EXPECT_NE(into.exit_code, 0);
    EXPECT_NE(into.err.find("use --force"), std::string::npos) << into.err;
    const auto merged = flk({"--node", node.url(), "get", "--force", root, "-o", (dir / "out").string()});
    EXPECT_EQ(merged.exit_code, 0) << merged.err;
    EXPECT_FALSE(fs::is_symlink(dir / "out/a.txt"));
    EXPECT_EQ(read_text(dir / "out/a.txt"), "a\n");
    EXPECT_EQ(read_text(dir / "victim"), "do not touch\n");
    // An empty existing directory is fine without --force.
    fs::create_directories(dir / "empty");
    EXPECT_EQ(flk({"--node", node.url(), "get", root, "-o", (dir / "empty").string()}).exit_code, 0);
}

}  // namespace
}  // namespace fleek
