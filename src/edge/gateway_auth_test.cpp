#include "edge/gateway_auth.h"

#include "crypto/hash.h"
#include "util/encoding.h"

#include <gtest/gtest.h>

namespace fleek::edge {
namespace {

const std::string token_a(40, 'a');
const std::string token_b = "Zm9vYmFyLWJhei1xdXV4LTEyMzQ1Njc4OTAtYWJjZGVm==";

TEST(GatewayAuth, ParsesTokenFiles) {
    const auto tokens = parse_token_file("# operator tokens\n\n  " + token_a + "  \r\n" + token_b + "\n").value();
    EXPECT_EQ(tokens, (std::vector<std::string>{token_a, token_b}));
    EXPECT_TRUE(parse_token_file("").value().empty());
    const auto short_token = parse_token_file("# x\nshort\n");
    ASSERT_FALSE(short_token.has_value());
    EXPECT_NE(short_token.error().find("line 2"), std::string::npos);
    EXPECT_FALSE(parse_token_file(std::string(40, 'a') + " b").has_value());      // a space inside
    EXPECT_FALSE(parse_token_file(std::string(40, 'a') + "=x").has_value());      // '=' only at the end
    EXPECT_FALSE(parse_token_file(std::string(257, 'a')).has_value());
    EXPECT_FALSE(parse_token_file(std::string(token_file_bytes_max + 1, '#')).has_value());
}

TEST(GatewayAuth, AuthorizesConfiguredBearerTokensOnly) {
    const std::vector<std::string> tokens = {token_a, token_b};
    EXPECT_EQ(authorize("", tokens).outcome, AuthOutcome::anonymous);
    const Authorization good = authorize("Bearer " + token_b, tokens);
    EXPECT_EQ(good.outcome, AuthOutcome::authorized);
    // The identity names the token by its digest, never by the token.
    EXPECT_EQ(good.identity, "token:" + hex_encode(crypto::sha256(as_bytes(token_b))).substr(0, 16));
    EXPECT_EQ(authorize("bearer  " + token_a + " ", tokens).outcome, AuthOutcome::authorized);
    EXPECT_EQ(authorize("Bearer " + token_a + "b", tokens).outcome, AuthOutcome::invalid);
    EXPECT_EQ(authorize("Bearer " + token_a, {}).outcome, AuthOutcome::invalid);
    EXPECT_EQ(authorize("Basic " + token_a, tokens).outcome, AuthOutcome::malformed);
    EXPECT_EQ(authorize("Bearer", tokens).outcome, AuthOutcome::malformed);
    EXPECT_EQ(authorize("Bearer a b", tokens).outcome, AuthOutcome::malformed);
    EXPECT_TRUE(authorize("Bearer " + token_a + "x", tokens).identity.empty());
}

TEST(GatewayAuth, AnonymousUploadersAreTheirAddressOrTheirIpv6Network) {
    EXPECT_EQ(anonymous_identity("203.0.113.7"), "ip:203.0.113.7");
    EXPECT_EQ(anonymous_identity("::ffff:203.0.113.7"), "ip:203.0.113.7");
    EXPECT_EQ(anonymous_identity("2001:db8:1:2:3:4:5:6"), "ip:2001:db8:1:2::/64");
    EXPECT_EQ(anonymous_identity("2001:db8:1:2::ffff"), "ip:2001:db8:1:2::/64");
    EXPECT_EQ(anonymous_identity("not an address"), "ip:unknown");
}

}  // namespace
}  // namespace fleek::edge
