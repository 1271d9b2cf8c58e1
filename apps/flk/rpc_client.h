// A blocking JSON-RPC 2.0 client over HTTP (libcurl) for the command lines: flk's ledger
// commands and fleek-node's register / opt commands.
#pragma once

#include "apps/flk/http.h"
#include "util/result.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace fleek::flk {

class RpcClient {
public:
    explicit RpcClient(std::string url) : m_url(std::move(url)) {}

    // The result of a call, or a message for people naming the method and the node's error
    // (an unreachable node, a JSON-RPC error with its code and data.reason).
    Result<nlohmann::json, std::string> call(std::string_view method, nlohmann::json params);

    const std::string& url() const { return m_url; }

private:
    std::string m_url;
    HttpClient m_http;
    uint64_t m_id = 0;
};

}  // namespace fleek::flk
