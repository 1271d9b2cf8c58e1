// The key a listener counts connections of one source by: the IPv4 address (also when mapped
// into IPv6), or the /64 prefix of an IPv6 address (one host usually holds a whole /64, so
// counting single IPv6 addresses would let one host open as many connections as it likes).
// Used by the peer transport's budget of unauthenticated connections and by the paid-session
// listener's per-source connection cap.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <string>

namespace fleek::net {

// "192.0.2.7" for IPv4 and v4-mapped IPv6; "v6:20010db800000000::/64" for other IPv6.
std::string source_budget_key(const boost::asio::ip::address& address);

}  // namespace fleek::net
