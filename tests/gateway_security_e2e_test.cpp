// End-to-end tests of the gateway's defences (issue 15) with a real fleek-node: origin fetches
// refused for internal addresses (the SSRF reproduction), operator tokens, upload quotas that
// cannot evict other content, pins, and the headers that keep uploaded HTML in a sandbox.
#include "content/tree.h"
#include "tests/support/content_node.h"
#include "tests/support/files.h"
#include "tests/support/http.h"
#include "tests/support/http_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace fleek {
namespace {

namespace fs = std::filesystem;
using testing::hex;
using testing::http_request;
using testing::random_bytes;
using testing::RawResponse;
using testing::RunningNode;
using testing::ScratchDirectory;
using testing::ServedRequest;
using testing::ServedResponse;
using testing::TestHttpServer;

std::string url_encoded(const std::string& text) {
    std::string out;
    for (const char c : text) {
        out += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : fmt::format("%{:02X}", static_cast<uint8_t>(c));
    }
    return out;
}

TestHttpServer::Handler serve(std::string body) {
    return [body](const ServedRequest&) {
        ServedResponse response;
        response.body = body;
        return response;
    };
}

constexpr uint64_t block = content::block_size;

std::string error_of(const RawResponse& response) {
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    return json.is_object() && json.contains("error") ? json["error"].get<std::string>() : response.body;
}

const std::string secret = "internal: database password hunter2\n";

// The reproduction of issue 15: a client asked the node to fetch a loopback URL and read the
// answer back by its hash. Now: 403 with the reason, nothing stored, the service never asked.
TEST(GatewaySecurity, OriginFetchesOfInternalAddressesAreRefused) {
    ScratchDirectory dir;
    TestHttpServer internal(serve(secret));
    RunningNode node(dir / "home");
    RawResponse refused = http_request(node.port(), "PUT", "/http?url=" + url_encoded(internal.url() + "/config"));
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(error_of(refused).find("127.0.0.1 is a loopback address"), std::string::npos) << refused.body;
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + hex(as_bytes(secret))).status, 404);
    RawResponse metadata = http_request(node.port(), "PUT", "/http?url=" + url_encoded("http://169.254.169.254/latest/meta-data/"));
    EXPECT_EQ(metadata.status, 403);
    EXPECT_NE(error_of(metadata).find("cloud metadata address"), std::string::npos) << metadata.body;
    EXPECT_TRUE(internal.requests().empty());
    EXPECT_EQ(node.stop(), 0);
}

TEST(GatewaySecurity, RedirectsToInternalAddressesAreRefusedAndAllowlistedHostsWork) {
    ScratchDirectory dir;
    TestHttpServer internal(serve(secret));
    const std::string inside = internal.url() + "/config";
    TestHttpServer outside([inside](const ServedRequest&) {
        ServedResponse response;
        response.status = 302;
        response.headers.emplace_back("Location", inside);
        return response;
    }, "127.0.0.2");
    // 127.0.0.2 stands for a public host: allowlisted, so only the redirect meets the policy.
    RunningNode node(dir / "home", [](node::Config& config) { config.origins.allowlist = {"127.0.0.2"}; });
    RawResponse refused = http_request(node.port(), "PUT", "/http?url=" + url_encoded(outside.url() + "/go"));
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(error_of(refused).find("127.0.0.1 is a loopback address"), std::string::npos) << refused.body;
    EXPECT_EQ(outside.requests().size(), 1u);
    EXPECT_TRUE(internal.requests().empty());
    EXPECT_EQ(node.stop(), 0);

    // An operator who allowlists the internal host can fetch from it.
    RunningNode trusting(dir / "trusting", [](node::Config& config) { config.origins.allowlist = {"127.0.0.1"}; });
    RawResponse fetched = http_request(trusting.port(), "PUT", "/http?url=" + url_encoded(inside));
    ASSERT_EQ(fetched.status, 201) << fetched.body;
    EXPECT_EQ(nlohmann::json::parse(fetched.body)["hash"], hex(as_bytes(secret)));
    EXPECT_EQ(http_request(trusting.port(), "GET", "/blake3/" + hex(as_bytes(secret))).body, secret);
}

// A node that is not a loopback development node: uploads, fetches and pins need a token.
TEST(GatewaySecurity, UploadsFetchesAndPinsNeedTheOperatorToken) {
    ScratchDirectory dir;
    RunningNode node(dir / "home", [](node::Config& config) { config.gateway.require_token = true; });
    const std::string token = node.token();
    ASSERT_GE(token.size(), 32u);
    EXPECT_EQ(fs::status(dir / "home/keystore/gateway-tokens").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    const std::string body = "some content";
    const std::string h = hex(as_bytes(body));

    RawResponse anonymous = http_request(node.port(), "PUT", "/blake3", "", body);
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(anonymous.headers["www-authenticate"], "Bearer realm=\"fleek-node\"");
    EXPECT_NE(error_of(anonymous).find("needs an operator token"), std::string::npos) << anonymous.body;
    RawResponse wrong = http_request(node.port(), "PUT", "/blake3", "Authorization: Bearer " + std::string(40, 'x') + "\r\n", body);
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(error_of(wrong).find("not one of this node's operator tokens"), std::string::npos) << wrong.body;
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + h).status, 404);  // nothing was stored
    EXPECT_EQ(http_request(node.port(), "PUT", "/http?url=" + url_encoded("http://example.com/")).status, 401);
    EXPECT_EQ(http_request(node.port(), "PUT", "/ipfs/bafkqaaa").status, 401);
    EXPECT_EQ(http_request(node.port(), "PUT", "/pin/" + h).status, 401);

    const std::string authorization = "Authorization: Bearer " + token + "\r\n";
    RawResponse stored = http_request(node.port(), "PUT", "/blake3", authorization, body);
    ASSERT_EQ(stored.status, 201) << stored.body;
    RawResponse pinned = http_request(node.port(), "PUT", "/pin/" + h, authorization);
    EXPECT_EQ(pinned.status, 200) << pinned.body;
    EXPECT_EQ(nlohmann::json::parse(pinned.body)["pinned"], true);
    EXPECT_EQ(http_request(node.port(), "DELETE", "/pin/" + h, authorization).status, 200);
    EXPECT_EQ(http_request(node.port(), "PUT", "/pin/" + std::string(64, '0'), authorization).status, 404);
    // flk put sends the token from a file.
    testing::write_text(dir / "token", token + "\n");
    fs::permissions(dir / "token", fs::perms::owner_read | fs::perms::owner_write);
    testing::write_text(dir / "file.txt", "flk put with a token\n");
    const auto put = testing::flk({"--node", node.url(), "--token-file", (dir / "token").string(), "put", (dir / "file.txt").string()});
    EXPECT_EQ(put.exit_code, 0) << put.err;
    const auto refused_put = testing::flk({"--node", node.url(), "put", (dir / "file.txt").string()});
    EXPECT_NE(refused_put.exit_code, 0);
    EXPECT_NE(refused_put.err.find("401"), std::string::npos) << refused_put.err;
    EXPECT_EQ(node.stop(), 0);

    // Origin fetches can be switched off entirely.
    RunningNode closed(dir / "closed", [](node::Config& config) { config.gateway.fetch_enabled = false; });
    RawResponse off = http_request(closed.port(), "PUT", "/http?url=" + url_encoded("http://example.com/"));
    EXPECT_EQ(off.status, 403);
    EXPECT_NE(error_of(off).find("gateway.fetch_enabled"), std::string::npos);
}

// Uploads cannot push out content that came another way, nor pinned content; one uploader
// cannot take more than its quota (issue 15: uploads could evict everyone's content).
TEST(GatewaySecurity, UploadsCannotEvictOtherOrPinnedContent) {
    ScratchDirectory dir;
    const Bytes fetched = random_bytes(3 * block, 1);
    TestHttpServer origin(serve(std::string(fetched.begin(), fetched.end())));
    RunningNode node(dir / "home", [](node::Config& config) {
        config.origins.allowlist = {"127.0.0.1"};
        config.blockstore.capacity_bytes = 8 * block + 8192;
        config.gateway.upload_capacity_bytes = 6 * block + 8192;
        config.gateway.upload_quota_bytes = 6 * block + 8192;
    });
    const auto put = [&](const Bytes& bytes, const std::string& headers = "") {
        return http_request(node.port(), "PUT", "/blake3", headers, std::string(bytes.begin(), bytes.end()));
    };
    const auto held = [&](const Bytes& bytes) { return http_request(node.port(), "HEAD", "/blake3/" + hex(bytes)).status == 200; };
    // Content from an origin (not an upload), and an upload by the operator, pinned.
    ASSERT_EQ(http_request(node.port(), "PUT", "/http?url=" + url_encoded(origin.url() + "/f")).status, 201);
    const std::string authorization = "Authorization: Bearer " + node.token() + "\r\n";
    const Bytes pinned = random_bytes(2 * block, 2);
    ASSERT_EQ(put(pinned, authorization).status, 201);
    ASSERT_EQ(http_request(node.port(), "PUT", "/pin/" + hex(pinned), authorization).status, 200);
    // This client's uploads: the second one makes room by evicting the first, nothing else.
    const Bytes first = random_bytes(2 * block, 3);
    const Bytes second = random_bytes(2 * block, 4);
    ASSERT_EQ(put(first).status, 201);
    ASSERT_EQ(put(second).status, 201);
    EXPECT_FALSE(held(first));
    // Over this uploader's quota: 413 naming the uploader, nothing stored.
    const Bytes over_quota = random_bytes(5 * block, 5);
    RawResponse over = put(over_quota);
    EXPECT_EQ(over.status, 413) << over.body;
    EXPECT_NE(error_of(over).find("ip:127.0.0.1"), std::string::npos) << over.body;
    EXPECT_NE(error_of(over).find("gateway.upload_quota_bytes"), std::string::npos) << over.body;
    EXPECT_FALSE(held(over_quota));
    // Within the quota but only storable by evicting the origin's or the pinned content: 507,
    // and nothing is evicted for it.
    const Bytes too_big = random_bytes(4 * block, 6);
    RawResponse full = put(too_big);
    EXPECT_EQ(full.status, 507) << full.body;
    EXPECT_NE(error_of(full).find("pinned or other content"), std::string::npos) << full.body;
    EXPECT_FALSE(held(too_big));
    EXPECT_TRUE(held(fetched));
    EXPECT_TRUE(held(pinned));
    EXPECT_TRUE(held(second));
    EXPECT_EQ(node.stop(), 0);
}

// Uploaded HTML is served from the node's own origin: no type sniffing, and a sandbox (an
// opaque origin without scripts) on every response.
TEST(GatewaySecurity, ContentResponsesAreSandboxed) {
    ScratchDirectory dir;
    RunningNode node(dir / "home");
    const std::string page = "<html><script>fetch('/pin/x', {method: 'PUT'})</script></html>";
    ASSERT_EQ(http_request(node.port(), "PUT", "/blake3", "", page).status, 201);
    for (const std::string& target : {"/blake3/" + hex(as_bytes(page)), "/blake3/" + hex(as_bytes(page)) + "?format=verified",
                                      "/blake3/" + std::string(64, '0'), std::string("/ipfs/bafkqaaa?format=raw")}) {
        for (const char* method : {"GET", "HEAD"}) {
            RawResponse response = http_request(node.port(), method, target);
            EXPECT_EQ(response.headers["x-content-type-options"], "nosniff") << method << " " << target;
            EXPECT_EQ(response.headers["content-security-policy"], "sandbox") << method << " " << target;
        }
    }
    EXPECT_EQ(http_request(node.port(), "GET", "/blake3/" + hex(as_bytes(page)), "Range: bytes=0-5\r\n").headers["content-security-policy"],
              "sandbox");
}

}  // namespace
}  // namespace fleek
