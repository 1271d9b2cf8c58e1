#include "rpc/json_rpc.h"

#include "util/log.h"

#include <fmt/format.h>

#include <exception>

namespace fleek::rpc {

namespace {

// The deepest nesting of arrays and objects in `text`, stopping early once over `limit`.
// Cheap (one pass, no allocation) and run before parsing, so no later step has to handle
// pathological depth.
size_t nesting_depth(std::string_view text, size_t limit) {
    size_t depth = 0;
    size_t deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) return deepest;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

bool valid_id(const Json& id) { return id.is_string() || id.is_number() || id.is_null(); }

void observe(CallObserver* observer, const MethodSpec* method, int code) {
    if (observer != nullptr) observer->on_call(method, code);
}

Json success_response(Json result, const Json& id) {
    Json response = Json::object();
    response["jsonrpc"] = "2.0";
    response["id"] = id;
    response["result"] = std::move(result);
    return response;
}

Result<Json, RpcError> run_handler(const MethodSpec& method, Context& context, const Json& params) {
    auto bound = bind_params(method, params.is_null() ? nullptr : &params);
    if (!bound) return fail(std::move(bound.error()));
    try {
        return method.handler(context, *bound);
    } catch (const std::exception& error) {
        // Handlers do not throw by design; this keeps a bug from taking the server down.
        FLEEK_LOG_ERROR("rpc", "{} threw: {}", method.name, error.what());
        return fail(RpcError::make(ErrorCode::internal_error, fmt::format("{}: internal error", method.name)));
    }
}

// One request object of a single call or a batch. nullopt: a notification, no response.
std::optional<Json> handle_one(const Json& request, const Registry& registry, Context& context, CallObserver* observer) {
    const auto invalid = [&](std::string message, const Json& id) {
        observe(observer, nullptr, static_cast<int>(ErrorCode::invalid_request));
        return error_response(RpcError::make(ErrorCode::invalid_request, std::move(message)), id);
    };
    if (!request.is_object()) return invalid("a request must be a JSON object", nullptr);
    const auto id_member = request.find("id");
    const bool has_id = id_member != request.end();
    if (has_id && !valid_id(*id_member)) return invalid("`id` must be a string, a number or null", nullptr);
    const Json id = has_id ? *id_member : Json(nullptr);
    const auto version = request.find("jsonrpc");
    if (version == request.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
        return invalid("`jsonrpc` must be \"2.0\"", id);
    }
    const auto method_name = request.find("method");
    if (method_name == request.end() || !method_name->is_string()) return invalid("`method` must be a string", id);
    const auto params = request.find("params");
    if (params != request.end() && !params->is_array() && !params->is_object() && !params->is_null()) {
        return invalid("`params` must be an array or an object", id);
    }
    const std::string& name = method_name->get_ref<const std::string&>();
    const MethodSpec* method = registry.find(name);
    if (method == nullptr) {
        observe(observer, nullptr, static_cast<int>(ErrorCode::method_not_found));
        if (!has_id) return std::nullopt;
        return error_response(
            RpcError::make(ErrorCode::method_not_found, fmt::format("no method `{}` (rpc.discover lists them)", name.substr(0, 100))),
            id);
    }
    auto result = run_handler(*method, context, params == request.end() ? Json(nullptr) : *params);
    observe(observer, method, result ? 0 : static_cast<int>(result.error().code));
    if (!has_id) return std::nullopt;
    if (!result) return error_response(result.error(), id);
    return success_response(std::move(*result), id);
}

}  // namespace

Json error_response(const RpcError& error, const Json& id) {
    Json body = Json::object();
    body["code"] = static_cast<int>(error.code);
    body["message"] = error.message;
    if (!error.data.is_null()) body["data"] = error.data;
    Json response = Json::object();
    response["jsonrpc"] = "2.0";
    response["id"] = id;
    response["error"] = std::move(body);
    return response;
}

Result<Json, RpcError> call_method(const Registry& registry, Context& context, std::string_view name, const Json& params) {
    const MethodSpec* method = registry.find(name);
    if (method == nullptr) return fail(RpcError::make(ErrorCode::method_not_found, fmt::format("no method `{}`", name)));
    if (!params.is_null() && !params.is_array() && !params.is_object()) {
        return fail(RpcError::make(ErrorCode::invalid_request, "`params` must be an array or an object"));
    }
    return run_handler(*method, context, params);
}

std::optional<std::string> handle_json_rpc(std::string_view body, const Registry& registry, Context& context,
                                           const DispatchLimits& limits, CallObserver* observer, const Admission* admission) {
    if (nesting_depth(body, limits.max_nesting_depth) > limits.max_nesting_depth) {
        observe(observer, nullptr, static_cast<int>(ErrorCode::invalid_request));
        return error_response(RpcError::make(ErrorCode::invalid_request,
                                             fmt::format("JSON nested deeper than {} levels", limits.max_nesting_depth)),
                              nullptr)
            .dump();
    }
    const Json request = Json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (request.is_discarded()) {
        observe(observer, nullptr, static_cast<int>(ErrorCode::parse_error));
        return error_response(RpcError::make(ErrorCode::parse_error, "the body is not valid JSON"), nullptr).dump();
    }
    if (request.is_array() && request.empty()) {
        observe(observer, nullptr, static_cast<int>(ErrorCode::invalid_request));
        return error_response(RpcError::make(ErrorCode::invalid_request, "an empty batch"), nullptr).dump();
    }
    if (request.is_array() && request.size() > limits.max_batch_size) {
        observe(observer, nullptr, static_cast<int>(ErrorCode::invalid_request));
        return error_response(RpcError::make(ErrorCode::invalid_request,
                                             fmt::format("a batch of {} requests; the limit is {}", request.size(),
                                                         limits.max_batch_size)),
                              nullptr)
            .dump();
    }
    if (admission != nullptr && *admission) {
        if (auto refused = (*admission)(request.is_array() ? request.size() : 1)) {
            observe(observer, nullptr, static_cast<int>(refused->code));
            Json id = nullptr;
            if (request.is_object()) {
                const auto member = request.find("id");
                if (member != request.end() && valid_id(*member)) id = *member;
            }
            return error_response(*refused, id).dump(-1, ' ', false, Json::error_handler_t::replace);
        }
    }
    if (!request.is_array()) {
        auto response = handle_one(request, registry, context, observer);
        if (!response) return std::nullopt;
        return response->dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    Json responses = Json::array();
    for (const Json& item : request) {
        if (auto response = handle_one(item, registry, context, observer)) responses.push_back(std::move(*response));
    }
    if (responses.empty()) return std::nullopt;
    return responses.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace fleek::rpc
