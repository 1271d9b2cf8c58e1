#include "origins/http_origin.h"

#include "crypto/hash.h"
#include "tests/support/files.h"
#include "tests/support/http_server.h"

#include <gtest/gtest.h>

namespace fleek::origins {
namespace {

using testing::ScratchDirectory;
using testing::ServedRequest;
using testing::ServedResponse;
using testing::TestHttpServer;

// base64 of sha256/sha512 digests, computed with `openssl dgst -binary | base64`.
constexpr std::string_view hello = "hello world\n";
constexpr std::string_view hello_sha256 = "qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc=";
constexpr std::string_view hello_sha512 = "2zl0qX8kB7fK4a5jfAAwaHoRkTJ01XhJJVjjnBbAF96E6s3Ixi/jTuThK0sUKIF/Cbaidgw/imZM6ulNJDSlkw==";

TEST(HttpPointer, ParsesUrlsAndIntegrity) {
    auto plain = parse_http_pointer("https://example.com/a.js").value();
    EXPECT_EQ(plain.url, "https://example.com/a.js");
    EXPECT_TRUE(plain.integrity.empty());
    auto with = parse_http_pointer("http://example.com/a.js#integrity=sha256-" + std::string(hello_sha256)).value();
    EXPECT_EQ(with.url, "http://example.com/a.js");
    ASSERT_EQ(with.integrity.size(), 1u);
    EXPECT_EQ(with.integrity[0].algorithm, Integrity::Algorithm::sha256);
    EXPECT_EQ(hex_encode(with.integrity[0].digest), hex_encode(crypto::sha256(as_bytes(hello))));
    // Several hashes (space or %20), unknown algorithms ignored, options after '?' ignored.
    auto several = parse_http_pointer("http://h/x#integrity=md5-abc%20sha512-" + std::string(hello_sha512) +
                                      "?ct=text/plain sha256-" + std::string(hello_sha256))
                       .value();
    EXPECT_EQ(several.integrity.size(), 2u);
    EXPECT_FALSE(parse_http_pointer("ftp://example.com/a").has_value());
    EXPECT_FALSE(parse_http_pointer("http:///a").has_value());
    EXPECT_FALSE(parse_http_pointer("http://h/a#sha256-abc").has_value());
    EXPECT_FALSE(parse_http_pointer("http://h/a#integrity=sha256-abc").has_value());  // not 32 bytes
    EXPECT_FALSE(parse_http_pointer("http://h/a#integrity=md5-abc").has_value());
    EXPECT_FALSE(parse_http_pointer("http://h/a b").has_value());
}

class HttpOriginTest : public ::testing::Test {
protected:
    void SetUp() override {
        store = content::Blockstore::open(scratch / "blockstore", {}).value();
        resolver = Resolver::open(scratch / "resolver").value();
    }
    // The test servers listen on loopback, which origins refuse unless allowlisted.
    static HttpOriginOptions local() {
        HttpOriginOptions options;
        options.address_policy = AddressPolicy::with_allowlist({"127.0.0.1"}).value();
        return options;
    }
    HttpOrigin origin(HttpOriginOptions options = local()) { return HttpOrigin(options, *store, *resolver); }

    size_t files_in_tmp() const {
        size_t count = 0;
        for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(scratch / "blockstore/tmp")) ++count;
        return count;
    }

    ScratchDirectory scratch;
    std::unique_ptr<content::Blockstore> store;
    std::unique_ptr<Resolver> resolver;
};

TestHttpServer::Handler serve(std::string body, int status = 200, int delay_ms = 0) {
    return [body, status, delay_ms](const ServedRequest&) {
        ServedResponse response;
        response.status = status;
        response.body = body;
        response.delay_ms = delay_ms;
        return response;
    };
}

TEST_F(HttpOriginTest, DownloadsStoresAndRemembers) {
    TestHttpServer server(serve(std::string(hello)));
    HttpOrigin http = origin();
    const std::string url = server.url() + "/hello.txt";
    const FetchedHttp fetched = http.fetch(url).value();
    EXPECT_FALSE(fetched.cached);
    EXPECT_EQ(fetched.record.hash, crypto::blake3(as_bytes(hello)));
    EXPECT_EQ(fetched.record.size, hello.size());
    EXPECT_EQ(store->read_range(fetched.record.hash, 0, hello.size()).value(), to_bytes(hello));
    EXPECT_TRUE(http.fetch(url).value().cached);
    EXPECT_EQ(server.requests().size(), 1u);
    EXPECT_EQ(resolver->http(url).value()->hash, fetched.record.hash);
}

TEST_F(HttpOriginTest, IntegrityIsCheckedBeforeAnythingIsStored) {
    TestHttpServer server(serve(std::string(hello)));
    HttpOrigin http = origin();
    const std::string url = server.url() + "/hello.txt";
    EXPECT_TRUE(http.fetch(url + "#integrity=sha256-" + std::string(hello_sha256)).has_value());
    EXPECT_TRUE(http.fetch(url + "?v=2#integrity=sha512-" + std::string(hello_sha512)).has_value());
    ASSERT_EQ(store->stats().objects, 1u);
    // The wrong digest: refused, and the store holds nothing new.
    TestHttpServer other(serve("hello world?\n"));
    const auto refused = http.fetch(other.url() + "/x#integrity=sha256-" + std::string(hello_sha256));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, OriginErrorCode::verification_failed);
    EXPECT_NE(refused.error().message.find("does not match its integrity"), std::string::npos);
    EXPECT_EQ(store->stats().objects, 1u);
    EXPECT_FALSE(store->info(crypto::blake3(as_bytes("hello world?\n"))).has_value());
    // The strongest algorithm decides: a right sha256 does not save a wrong sha512.
    const auto strongest = http.fetch(other.url() + "/y#integrity=sha256-" + std::string(hello_sha256) + " sha512-" + std::string(hello_sha512));
    EXPECT_EQ(strongest.error().code, OriginErrorCode::verification_failed);
}

TEST_F(HttpOriginTest, LimitsStatusesAndTimeouts) {
    TestHttpServer big(serve(std::string(5000, 'x')));
    HttpOriginOptions options = local();
    options.max_bytes = 4096;
    auto too_large = origin(options).fetch(big.url() + "/big");
    ASSERT_FALSE(too_large.has_value());
    EXPECT_EQ(too_large.error().code, OriginErrorCode::too_large);
    TestHttpServer missing(serve("gone", 404));
    auto not_found = origin().fetch(missing.url() + "/x");
    EXPECT_EQ(not_found.error().code, OriginErrorCode::not_found);
    EXPECT_NE(not_found.error().message.find("HTTP 404"), std::string::npos);
    TestHttpServer broken(serve("oops", 503));
    EXPECT_EQ(origin().fetch(broken.url() + "/x").error().code, OriginErrorCode::unavailable);
    TestHttpServer slow(serve("late", 200, 3000));
    options = local();
    options.request_timeout_ms = 300;
    auto timed_out = origin(options).fetch(slow.url() + "/x");
    EXPECT_EQ(timed_out.error().code, OriginErrorCode::unavailable);
    EXPECT_EQ(store->stats().objects, 0u);
    options = local();
    options.enabled = false;
    EXPECT_EQ(origin(options).fetch(big.url()).error().code, OriginErrorCode::disabled);
    EXPECT_EQ(origin().fetch("not a url").error().code, OriginErrorCode::invalid_request);
}

// Issue 15's reproduction: PUT /http?url=http://127.0.0.1:<port>/... fetched an internal
// service and the answer could be read back by its hash. Loopback, private, link-local,
// metadata and other special addresses are refused before any byte is sent to them, however
// the address is spelled; nothing is stored or recorded.
TEST_F(HttpOriginTest, InternalAddressesAreRefused) {
    TestHttpServer internal(serve("secret configuration\n"));
    const std::string port = std::to_string(internal.port());
    HttpOrigin http = origin(HttpOriginOptions{});
    for (const std::string& url : {internal.url() + "/secret", "http://localhost:" + port + "/secret",
                                   "http://2130706433:" + port + "/secret", "http://0x7f.0.0.1:" + port + "/secret",
                                   "http://[::ffff:127.0.0.1]:" + port + "/secret", "http://[::1]:" + port + "/secret",
                                   std::string("http://169.254.169.254/latest/meta-data/"), std::string("http://[fd00:ec2::254]/"),
                                   std::string("http://10.0.0.1:9/"), std::string("http://0.0.0.0:") + port + "/secret"}) {
        const auto refused = http.fetch(url);
        ASSERT_FALSE(refused.has_value()) << url;
        EXPECT_EQ(refused.error().code, OriginErrorCode::refused_address) << url << ": " << refused.error().message;
        EXPECT_NE(refused.error().message.find("refused to connect"), std::string::npos) << refused.error().message;
        EXPECT_NE(refused.error().message.find("may only reach public addresses"), std::string::npos) << refused.error().message;
        EXPECT_FALSE(resolver->http(url).value().has_value());
    }
    EXPECT_NE(http.fetch(internal.url() + "/x").error().message.find("127.0.0.1 is a loopback address"), std::string::npos);
    EXPECT_NE(http.fetch("http://169.254.169.254/").error().message.find("169.254.169.254 is a cloud metadata address"),
              std::string::npos);
    EXPECT_TRUE(internal.requests().empty());
    EXPECT_EQ(store->stats().objects, 0u);
    EXPECT_EQ(files_in_tmp(), 0u);
}

// A public-looking first hop that redirects inside: every hop's address is checked.
TEST_F(HttpOriginTest, RedirectsToInternalAddressesAreRefused) {
    TestHttpServer internal(serve("secret configuration\n"));
    const std::string inside = internal.url() + "/secret";
    TestHttpServer outside([inside](const ServedRequest& request) {
        ServedResponse response;
        if (request.target == "/same-host") {
            response.status = 301;
            response.headers.emplace_back("Location", "/file");
        } else if (request.target == "/file") {
            response.body = "public file\n";
        } else {
            response.status = 302;
            response.headers.emplace_back("Location", inside);
        }
        return response;
    }, "127.0.0.2");
    HttpOriginOptions options;
    options.address_policy = AddressPolicy::with_allowlist({"127.0.0.2"}).value();
    HttpOrigin http = origin(options);
    const auto refused = http.fetch(outside.url() + "/go");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, OriginErrorCode::refused_address);
    EXPECT_NE(refused.error().message.find("127.0.0.1 is a loopback address"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(internal.requests().empty());
    EXPECT_EQ(outside.count("/go"), 1u);
    EXPECT_EQ(store->stats().objects, 0u);
    // Redirects that stay on allowed addresses are followed.
    const auto followed = http.fetch(outside.url() + "/same-host").value();
    EXPECT_EQ(followed.record.hash, crypto::blake3(as_bytes("public file\n")));
}

TEST_F(HttpOriginTest, AllowlistedInternalHostsAreFetched) {
    TestHttpServer internal(serve(std::string(hello)));
    HttpOriginOptions by_address;
    by_address.address_policy = AddressPolicy::with_allowlist({"127.0.0.0/8"}).value();
    EXPECT_EQ(origin(by_address).fetch(internal.url() + "/a").value().record.hash, crypto::blake3(as_bytes(hello)));
    HttpOriginOptions by_name;
    by_name.address_policy = AddressPolicy::with_allowlist({"localhost"}).value();
    const auto fetched = origin(by_name).fetch("http://localhost:" + std::to_string(internal.port()) + "/b");
    ASSERT_TRUE(fetched.has_value()) << fetched.error().message;
    EXPECT_EQ(internal.requests().size(), 2u);
}

}  // namespace
}  // namespace fleek::origins
