// Which network addresses origin fetches may connect to: the guard against server-side request
// forgery (a client asking the node to fetch http://127.0.0.1:<port>/... or the cloud metadata
// service, and then reading the answer back from the blockstore).
//
// The check is made on the address a connection is actually opened to (after DNS resolution,
// for every redirect hop), never on the text of a URL, so another spelling of an address
// ("http://2130706433/", "http://[::ffff:127.0.0.1]/") or a name whose DNS answer changes
// between two lookups (rebinding) cannot get around it (http_client.cpp).
//
// Refused unless allowlisted: loopback, private (RFC 1918, RFC 4193 fc00::/7, site-local
// fec0::/10), link-local, multicast, unspecified, shared address space (CGNAT 100.64.0.0/10),
// reserved and benchmarking ranges, broadcast, cloud metadata addresses (169.254.169.254,
// fd00:ec2::254), and IPv6 forms that embed such an IPv4 address (IPv4-mapped ::ffff:0:0/96,
// IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16) or hide one (Teredo 2001::/32).
#pragma once

#include "util/result.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleek::origins {

struct IpAddress {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};  // IPv4: the first 4 bytes

    static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return IpAddress{false, {a, b, c, d}}; }
    // Dotted-quad IPv4 (exactly four decimal parts) or RFC 4291 IPv6 text, without brackets
    // or zone. Anything else (a host name, "127.1", "0x7f.0.0.1") is nullopt.
    static std::optional<IpAddress> parse(std::string_view text);
    std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

enum class AddressClass : uint8_t {
    global,
    unspecified,
    loopback,
    private_network,
    shared,  // 100.64.0.0/10, carrier-grade NAT
    link_local,
    metadata,
    multicast,
    reserved,
};
// "a loopback address", "a private address", ...: for error messages.
std::string_view to_string(AddressClass kind) noexcept;
AddressClass classify(const IpAddress& address);

struct CidrRange {
    IpAddress base;
    unsigned prefix_bits = 0;
    // "10.0.0.0/8", "fd00::/8" or a single address.
    static std::optional<CidrRange> parse(std::string_view text);
    bool contains(const IpAddress& address) const;
};

class AddressPolicy {
public:
    // Only global addresses (the safe default).
    AddressPolicy() = default;
    // Every entry is an IP address, a CIDR range or a host name (matched exactly, ignoring
    // case, against the host of each URL fetched, redirects included).
    static Result<AddressPolicy, std::string> with_allowlist(const std::vector<std::string>& entries);

    void allow_host(std::string_view host);
    void allow_range(const CidrRange& range);
    // True when `host` (as written in a URL, brackets removed) is allowlisted by name: any
    // address it resolves to may be used.
    bool allows_host(std::string_view host) const;
    // nullopt when a connection to `address` may be opened; else why not (for the error).
    std::optional<std::string> refusal(const IpAddress& address) const;

private:
    std::vector<std::string> m_hosts;  // lower case
    std::vector<CidrRange> m_ranges;
};

}  // namespace fleek::origins
