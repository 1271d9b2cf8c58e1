#include "apps/flk/rpc_client.h"

#include <fmt/format.h>

namespace fleek::flk {

using Json = nlohmann::json;

Result<Json, std::string> RpcClient::call(std::string_view method, Json params) {
    const Json request{{"jsonrpc", "2.0"}, {"id", ++m_id}, {"method", method}, {"params", std::move(params)}};
    const HttpResponse response = m_http.post_json(m_url, request.dump());
    if (!response.transport_error.empty()) {
        return fail(fmt::format("cannot reach the node's JSON-RPC at {}: {}", m_url, response.transport_error));
    }
    const Json body = Json::parse(response.body, nullptr, false);
    if (!body.is_object()) return fail(fmt::format("{}: {} (not a JSON-RPC answer)", m_url, response.describe()));
    if (const auto error = body.find("error"); error != body.end() && error->is_object()) {
        std::string message = fmt::format("{}: {} (code {})", method, error->value("message", std::string("error")),
                                          error->value("code", 0));
        if (const auto data = error->find("data"); data != error->end() && data->is_object() && data->contains("reason")) {
            message += fmt::format(", reason {}", (*data)["reason"].dump());
        }
        return fail(std::move(message));
    }
    if (!body.contains("result")) return fail(fmt::format("{}: the answer has no result", method));
    return body["result"];
}

}  // namespace fleek::flk
