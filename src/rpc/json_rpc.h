// JSON-RPC 2.0 over a registry (https://www.jsonrpc.org/specification): request bodies in,
// response bodies out, with no I/O. Single requests, batches, notifications (no "id": executed,
// never answered) and the standard error codes; docs/rpc.md §Protocol.
//
// Thread safety: handle_json_rpc may run on many threads at once over one Registry.
#pragma once

#include "rpc/registry.h"

#include <optional>
#include <string>
#include <string_view>

namespace fleek::rpc {

struct DispatchLimits {
    size_t max_batch_size = 100;    // requests in one batch
    size_t max_nesting_depth = 32;  // arrays and objects inside each other
};

// Sees every call, for metrics: `method` is null when the request named no known method (or
// could not be read); `code` is 0 on success, else the error code sent back.
class CallObserver {
public:
    virtual ~CallObserver() = default;
    virtual void on_call(const MethodSpec* method, int code) = 0;
};

// Decides, once the body parsed, whether its `calls` requests (1, or a batch's size) are served:
// nullopt serves them; an error is the whole answer (the rate limit, rpc_server.h).
using Admission = std::function<std::optional<RpcError>(size_t calls)>;

// Handles one HTTP request body. Returns the response body, or nullopt when there is nothing to
// send back (a notification, or a batch of notifications only). A refused admission is answered
// with its error (the request's id when it has one, else null), notifications included.
std::optional<std::string> handle_json_rpc(std::string_view body, const Registry& registry, Context& context,
                                           const DispatchLimits& limits, CallObserver* observer = nullptr,
                                           const Admission* admission = nullptr);

// Validates `params` (null, array or object) and runs one method.
Result<Json, RpcError> call_method(const Registry& registry, Context& context, std::string_view method,
                                   const Json& params);

// {"jsonrpc":"2.0","id":id,"error":{"code","message","data"?}}
Json error_response(const RpcError& error, const Json& id);

}  // namespace fleek::rpc
