#include "origins/address_policy.h"

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace fleek::origins {

namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool starts_with_bits(const std::array<uint8_t, 16>& bytes, std::initializer_list<uint8_t> prefix, unsigned bits) {
    unsigned index = 0;
    for (const uint8_t byte : prefix) {
        if (bits == 0) break;
        const unsigned take = std::min(bits, 8u);
        const uint8_t mask = static_cast<uint8_t>(0xff << (8 - take));
        if ((bytes[index] & mask) != (byte & mask)) return false;
        bits -= take;
        ++index;
    }
    return true;
}

AddressClass classify_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    if (a == 0) return AddressClass::unspecified;  // 0.0.0.0/8: "this network"
    if (a == 127) return AddressClass::loopback;
    if (a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168)) return AddressClass::private_network;
    if (a == 100 && (b & 0xc0) == 64) return AddressClass::shared;
    if (a == 169 && b == 254) return c == 169 && d == 254 ? AddressClass::metadata : AddressClass::link_local;
    if (a == 192 && b == 0 && c == 0) return AddressClass::reserved;          // IETF protocol assignments
    if (a == 198 && (b & 0xfe) == 18) return AddressClass::reserved;          // benchmarking
    if ((a & 0xf0) == 224) return AddressClass::multicast;
    if ((a & 0xf0) == 240) return AddressClass::reserved;                     // includes the broadcast address
    return AddressClass::global;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    const std::string terminated(text);
    IpAddress out;
    if (text.find(':') == std::string_view::npos) {
        if (::inet_pton(AF_INET, terminated.c_str(), out.bytes.data()) != 1) return std::nullopt;
        return out;
    }
    out.v6 = true;
    if (::inet_pton(AF_INET6, terminated.c_str(), out.bytes.data()) != 1) return std::nullopt;
    return out;
}

std::string IpAddress::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof(text));
    return text;
}

std::string_view to_string(AddressClass kind) noexcept {
    switch (kind) {
        case AddressClass::global: return "a public address";
        case AddressClass::unspecified: return "an unspecified address";
        case AddressClass::loopback: return "a loopback address";
        case AddressClass::private_network: return "a private address";
        case AddressClass::shared: return "a shared (carrier-grade NAT) address";
        case AddressClass::link_local: return "a link-local address";
        case AddressClass::metadata: return "a cloud metadata address";
        case AddressClass::multicast: return "a multicast address";
        case AddressClass::reserved: return "a reserved address";
    }
    return "a special address";
}

AddressClass classify(const IpAddress& address) {
    const auto& b = address.bytes;
    if (!address.v6) return classify_v4(b[0], b[1], b[2], b[3]);
    const bool first_ten_zero = std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
    if (first_ten_zero && b[10] == 0xff && b[11] == 0xff) return classify_v4(b[12], b[13], b[14], b[15]);  // ::ffff:a.b.c.d
    if (first_ten_zero && b[10] == 0 && b[11] == 0) {
        if (std::all_of(b.begin() + 12, b.begin() + 15, [](uint8_t x) { return x == 0; })) {
            if (b[15] == 0) return AddressClass::unspecified;  // ::
            if (b[15] == 1) return AddressClass::loopback;     // ::1
        }
        return classify_v4(b[12], b[13], b[14], b[15]);  // ::a.b.c.d (deprecated IPv4-compatible)
    }
    // NAT64 64:ff9b::/96 embeds an IPv4 address in its last 32 bits.
    if (starts_with_bits(b, {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0}, 96)) return classify_v4(b[12], b[13], b[14], b[15]);
    // 6to4 2002:V4ADDR::/48.
    if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(b[2], b[3], b[4], b[5]);
    // Teredo 2001:0::/32 carries an obfuscated IPv4 address: no origin needs it.
    if (starts_with_bits(b, {0x20, 0x01, 0x00, 0x00}, 32)) return AddressClass::reserved;
    if (starts_with_bits(b, {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64)) return AddressClass::reserved;  // 100::/64 discard
    if (starts_with_bits(b, {0xfe, 0x80}, 10)) return AddressClass::link_local;
    if (starts_with_bits(b, {0xfe, 0xc0}, 10)) return AddressClass::private_network;  // deprecated site-local
    if (starts_with_bits(b, {0xfc}, 7)) {
        // fd00:ec2::254: the EC2 instance metadata service over IPv6.
        const IpAddress ec2_metadata = *IpAddress::parse("fd00:ec2::254");
        return address == ec2_metadata ? AddressClass::metadata : AddressClass::private_network;
    }
    if (b[0] == 0xff) return AddressClass::multicast;
    return AddressClass::global;
}

std::optional<CidrRange> CidrRange::parse(std::string_view text) {
    const size_t slash = text.find('/');
    auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    const unsigned width = address->v6 ? 128 : 32;
    CidrRange range{*address, width};
    if (slash == std::string_view::npos) return range;
    const std::string_view bits = text.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, error] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (bits.empty() || error != std::errc() || end != bits.data() + bits.size() || prefix > width ||
        (bits.size() > 1 && bits[0] == '0')) {
        return std::nullopt;
    }
    range.prefix_bits = prefix;
    return range;
}

bool CidrRange::contains(const IpAddress& address) const {
    if (address.v6 != base.v6) return false;
    unsigned bits = prefix_bits;
    for (size_t i = 0; bits > 0; ++i) {
        const unsigned take = std::min(bits, 8u);
        const uint8_t mask = static_cast<uint8_t>(0xff << (8 - take));
        if ((address.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

Result<AddressPolicy, std::string> AddressPolicy::with_allowlist(const std::vector<std::string>& entries) {
    AddressPolicy policy;
    for (const auto& entry : entries) {
        if (entry.empty()) return fail(std::string("an allowlist entry is empty"));
        if (auto range = CidrRange::parse(entry)) {
            policy.allow_range(*range);
            continue;
        }
        const bool name = std::all_of(entry.begin(), entry.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
        });
        if (!name || entry.size() > 253) {
            return fail(fmt::format("`{}` is neither an IP address, a CIDR range (10.0.0.0/8) nor a host name", entry));
        }
        policy.allow_host(entry);
    }
    return policy;
}

void AddressPolicy::allow_host(std::string_view host) {
    if (auto range = CidrRange::parse(host)) {
        allow_range(*range);
        return;
    }
    m_hosts.push_back(lower(host));
}

void AddressPolicy::allow_range(const CidrRange& range) { m_ranges.push_back(range); }

bool AddressPolicy::allows_host(std::string_view host) const {
    const std::string name = lower(host);
    return std::find(m_hosts.begin(), m_hosts.end(), name) != m_hosts.end();
}

std::optional<std::string> AddressPolicy::refusal(const IpAddress& address) const {
    const AddressClass kind = classify(address);
    if (kind == AddressClass::global) return std::nullopt;
    for (const auto& range : m_ranges) {
        if (range.contains(address)) return std::nullopt;
    }
    return fmt::format("{} is {}", address.to_string(), to_string(kind));
}

}  // namespace fleek::origins
