#include "origins/address_policy.h"

#include <gtest/gtest.h>

namespace fleek::origins {
namespace {

AddressClass class_of(std::string_view text) {
    auto address = IpAddress::parse(text);
    EXPECT_TRUE(address.has_value()) << text;
    return address ? classify(*address) : AddressClass::global;
}

// The ranges of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its
// updates) that an origin fetch must not reach, with an address inside and just outside each.
TEST(AddressPolicy, ClassifiesSpecialPurposeRanges) {
    const std::pair<std::string_view, AddressClass> cases[] = {
        {"0.0.0.0", AddressClass::unspecified},
        {"0.255.255.255", AddressClass::unspecified},
        {"1.0.0.0", AddressClass::global},
        {"9.255.255.255", AddressClass::global},
        {"10.0.0.0", AddressClass::private_network},
        {"10.255.255.255", AddressClass::private_network},
        {"11.0.0.0", AddressClass::global},
        {"100.63.255.255", AddressClass::global},
        {"100.64.0.0", AddressClass::shared},
        {"100.127.255.255", AddressClass::shared},
        {"100.128.0.0", AddressClass::global},
        {"126.255.255.255", AddressClass::global},
        {"127.0.0.1", AddressClass::loopback},
        {"127.255.255.254", AddressClass::loopback},
        {"128.0.0.0", AddressClass::global},
        {"169.253.255.255", AddressClass::global},
        {"169.254.0.1", AddressClass::link_local},
        {"169.254.169.254", AddressClass::metadata},
        {"169.255.0.0", AddressClass::global},
        {"172.15.255.255", AddressClass::global},
        {"172.16.0.0", AddressClass::private_network},
        {"172.31.255.255", AddressClass::private_network},
        {"172.32.0.0", AddressClass::global},
        {"192.0.0.8", AddressClass::reserved},
        {"192.0.1.0", AddressClass::global},
        {"192.167.255.255", AddressClass::global},
        {"192.168.0.1", AddressClass::private_network},
        {"192.169.0.0", AddressClass::global},
        {"198.17.255.255", AddressClass::global},
        {"198.18.0.0", AddressClass::reserved},
        {"198.19.255.255", AddressClass::reserved},
        {"198.20.0.0", AddressClass::global},
        {"223.255.255.255", AddressClass::global},
        {"224.0.0.1", AddressClass::multicast},
        {"239.255.255.255", AddressClass::multicast},
        {"240.0.0.0", AddressClass::reserved},
        {"255.255.255.255", AddressClass::reserved},
        {"8.8.8.8", AddressClass::global},
        // IPv6
        {"::", AddressClass::unspecified},
        {"::1", AddressClass::loopback},
        {"::2", AddressClass::unspecified},  // ::0.0.0.2, IPv4-compatible form of 0.0.0.2
        {"::ffff:127.0.0.1", AddressClass::loopback},
        {"::ffff:7f00:1", AddressClass::loopback},
        {"::ffff:10.1.2.3", AddressClass::private_network},
        {"::ffff:169.254.169.254", AddressClass::metadata},
        {"::ffff:8.8.8.8", AddressClass::global},
        {"::127.0.0.1", AddressClass::loopback},
        {"64:ff9b::127.0.0.1", AddressClass::loopback},
        {"64:ff9b::a9fe:a9fe", AddressClass::metadata},
        {"64:ff9b::8.8.8.8", AddressClass::global},
        {"2002:7f00:1::", AddressClass::loopback},
        {"2002:c0a8:101::1", AddressClass::private_network},
        {"2002:808:808::1", AddressClass::global},
        {"2001::1", AddressClass::reserved},
        {"2001:0:ffff::1", AddressClass::reserved},
        {"2001:db8::1", AddressClass::global},
        {"2606:4700::1111", AddressClass::global},
        {"100::1", AddressClass::reserved},
        {"fbff:ffff::1", AddressClass::global},
        {"fc00::1", AddressClass::private_network},
        {"fdff:ffff::1", AddressClass::private_network},
        {"fd00:ec2::254", AddressClass::metadata},
        {"fd00:ec2::253", AddressClass::private_network},
        {"fe80::1", AddressClass::link_local},
        {"febf:ffff::1", AddressClass::link_local},
        {"fec0::1", AddressClass::private_network},
        {"ff02::1", AddressClass::multicast},
        {"ff0e::1", AddressClass::multicast},
    };
    for (const auto& [text, expected] : cases) EXPECT_EQ(class_of(text), expected) << text;
}

TEST(AddressPolicy, ParsesOnlyPlainAddresses) {
    EXPECT_EQ(IpAddress::parse("127.0.0.1")->to_string(), "127.0.0.1");
    EXPECT_EQ(IpAddress::parse("::FFFF:127.0.0.1")->to_string(), "::ffff:127.0.0.1");
    // Spellings that resolvers accept are not addresses here: the policy sees the resolved
    // socket address anyway, so they never reach a decision as text.
    for (const std::string_view text : {"127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "127.0.0.01", "[::1]", "::1%lo",
                                        "localhost", "", "1.2.3.4.5", "1.2.3.256", ":::"}) {
        EXPECT_FALSE(IpAddress::parse(text).has_value()) << text;
    }
}

TEST(AddressPolicy, CidrRanges) {
    const auto range = CidrRange::parse("10.1.0.0/16").value();
    EXPECT_TRUE(range.contains(*IpAddress::parse("10.1.255.3")));
    EXPECT_FALSE(range.contains(*IpAddress::parse("10.2.0.0")));
    EXPECT_FALSE(range.contains(*IpAddress::parse("::ffff:10.1.0.1")));  // another family
    EXPECT_TRUE(CidrRange::parse("fd00::/8")->contains(*IpAddress::parse("fdab::1")));
    EXPECT_TRUE(CidrRange::parse("0.0.0.0/0")->contains(*IpAddress::parse("127.0.0.1")));
    EXPECT_EQ(CidrRange::parse("127.0.0.1")->prefix_bits, 32u);
    for (const std::string_view text : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/x", "host/8"}) {
        EXPECT_FALSE(CidrRange::parse(text).has_value()) << text;
    }
}

TEST(AddressPolicy, RefusesSpecialAddressesUnlessAllowlisted) {
    const AddressPolicy strict;
    const auto loopback = *IpAddress::parse("127.0.0.1");
    const auto refusal = strict.refusal(loopback);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(*refusal, "127.0.0.1 is a loopback address");
    EXPECT_EQ(*strict.refusal(*IpAddress::parse("169.254.169.254")), "169.254.169.254 is a cloud metadata address");
    EXPECT_FALSE(strict.refusal(*IpAddress::parse("93.184.216.34")).has_value());
    EXPECT_FALSE(strict.allows_host("localhost"));

    const auto policy = AddressPolicy::with_allowlist({"127.0.0.1", "10.0.0.0/8", "Origin.Internal"}).value();
    EXPECT_FALSE(policy.refusal(loopback).has_value());
    EXPECT_TRUE(policy.refusal(*IpAddress::parse("127.0.0.2")).has_value());
    EXPECT_FALSE(policy.refusal(*IpAddress::parse("10.9.8.7")).has_value());
    EXPECT_TRUE(policy.refusal(*IpAddress::parse("::ffff:127.0.0.1")).has_value());  // only the family written
    EXPECT_TRUE(policy.allows_host("origin.internal"));
    EXPECT_FALSE(policy.allows_host("127.0.0.1"));  // addresses are matched as addresses, not names
    for (const std::string& bad : {std::string(""), std::string("http://x"), std::string("a b"), std::string("10.0.0.0/99")}) {
        EXPECT_FALSE(AddressPolicy::with_allowlist({bad}).has_value()) << bad;
    }
}

}  // namespace
}  // namespace fleek::origins
