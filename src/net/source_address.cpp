#include "net/source_address.h"

#include <fmt/format.h>

namespace fleek::net {

std::string source_budget_key(const boost::asio::ip::address& address) {
    if (address.is_v4()) return address.to_string();
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
    const auto bytes = v6.to_bytes();
    std::string out = "v6:";
    for (size_t i = 0; i < 8; ++i) out += fmt::format("{:02x}", bytes[i]);
    return out + "::/64";
}

}  // namespace fleek::net
