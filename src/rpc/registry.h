// The JSON-RPC method registry: every method is declared once, as data (name, summary, typed
// parameters with their documentation, result schema, examples, possible errors, handler), and
// everything else follows from that declaration:
//
//   - dispatch and parameter validation, by position or by name (json_rpc.h),
//   - the OpenRPC document (`rpc.discover`, docs/rpc/openrpc.json) and docs/rpc.md,
//   - the --help text of the flk commands that call a method (help_text()),
//   - a test-mode check that a result matches its declared schema (schema.h).
//
// Handlers are thin: they read validated parameters and call the Backend (backend.h).
// A Registry is immutable once built and may be shared by any number of threads.
#pragma once

#include "crypto/keys.h"
#include "rpc/backend.h"
#include "util/assert.h"
#include "util/result.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fleek::rpc {

using Json = nlohmann::json;

// JSON-RPC 2.0 error codes and ours (docs/rpc.md §Errors). The numbers are part of the API.
enum class ErrorCode : int {
    parse_error = -32700,       // the body is not JSON
    invalid_request = -32600,   // not a JSON-RPC 2.0 request (or an empty or oversized batch, or body)
    method_not_found = -32601,
    invalid_params = -32602,    // a parameter is missing, unknown, or not of its declared type
    internal_error = -32603,    // a bug or a storage failure on the node; the message says which
    transaction_rejected = -32000,  // flk_send_txn: data.reason names the SubmitError
    unavailable = -32001,           // the node cannot serve this now (data.reason says why); retry later
    epoch_unavailable = -32002,     // historical state of another epoch is not kept by this node
    not_found = -32003,             // the object the call names does not exist; data.reason says which kind
    rate_limited = -32005,          // this client address sent more requests than the node serves it; data.retry_after_ms
};
std::string_view to_string(ErrorCode code) noexcept;
// Every code above, in documentation order.
const std::vector<ErrorCode>& all_error_codes();

struct RpcError {
    ErrorCode code = ErrorCode::internal_error;
    std::string message;
    Json data;  // null when absent

    static RpcError make(ErrorCode code, std::string message, Json data = nullptr) {
        return RpcError{code, std::move(message), std::move(data)};
    }
};

// ---- parameters ------------------------------------------------------------------------------

// The closed set of parameter types. Each has one JSON spelling, one schema and one parser.
enum class ParamType : uint8_t {
    address,      // "0x" + 40 hex digits (lower, upper or EIP-55 mixed case with a valid checksum)
    node_key,     // base58 Ed25519 node public key
    hash,         // 64 hex digits, optionally prefixed with 0x
    u64,          // a non-negative JSON integer, or its decimal string (for clients without 64-bit numbers)
    boolean,
    name,         // a string out of ParamSpec::allowed
    transaction,  // hex (optionally 0x) of a canonical SignedTransaction
    state_key,    // hex (optionally 0x) of a raw state key (docs/formats/ledger-state.md §Tables)
    paging,       // {"start": u64, "limit": u64, "ignore_stake": bool}, every field optional
    client_key,   // base58 Ed25519 client public key
};
std::string_view to_string(ParamType type) noexcept;

struct Paging {
    static constexpr uint64_t default_limit = 100;
    static constexpr uint64_t max_limit = 1000;
    uint64_t start = 0;
    uint64_t limit = default_limit;
    bool ignore_stake = false;
};

using ParamValue = std::variant<std::monostate, crypto::AccountAddress, crypto::NodePublicKey, crypto::Hash32, uint64_t,
                                bool, std::string, Bytes, Paging, crypto::ClientPublicKey>;

struct ParamSpec {
    std::string name;
    ParamType type = ParamType::u64;
    bool required = true;
    std::string description;
    std::vector<std::string> allowed;  // ParamType::name: the accepted values
};

struct ResultSpec {
    std::string name;
    std::string description;
    Json schema;  // JSON Schema; "$ref": "#/components/schemas/X" names a shared schema
};

struct Example {
    std::string name;
    std::vector<std::pair<std::string, Json>> params;  // by name, in declaration order
    Json result;
};

// The validated parameters of one call, by declared name.
class Params {
public:
    Params() = default;
    Params(const struct MethodSpec* method, std::vector<ParamValue> values) : m_method(method), m_values(std::move(values)) {}

    bool has(std::string_view name) const;
    // The value of an optional parameter, or nullptr when the call left it out.
    template <class T>
    const T* get(std::string_view name) const {
        const ParamValue& value = slot(name);
        if (std::holds_alternative<std::monostate>(value)) return nullptr;
        const T* typed = std::get_if<T>(&value);
        FLEEK_ASSERT(typed != nullptr);  // a handler asked for another type than it declared
        return typed;
    }
    // The value of a required parameter (validation guarantees it is there).
    template <class T>
    const T& required(std::string_view name) const {
        const T* value = get<T>(name);
        FLEEK_ASSERT(value != nullptr);
        return *value;
    }

private:
    const ParamValue& slot(std::string_view name) const;
    const struct MethodSpec* m_method = nullptr;
    std::vector<ParamValue> m_values;
};

class Registry;

// What a handler may use.
struct Context {
    Backend& backend;
    const Registry& registry;
    // Prometheus text of the server's own counters (flk_metrics); empty outside a server.
    std::function<std::string()> server_metrics;
};

using Handler = std::function<Result<Json, RpcError>(Context& context, const Params& params)>;

struct MethodSpec {
    std::string name;
    std::string summary;      // one line, no final period
    std::string description;  // full sentences; may be empty
    std::vector<ParamSpec> params;
    ResultSpec result;
    std::vector<Example> examples;
    std::vector<ErrorCode> errors;  // application errors the method may return (besides -32602/-32603)
    Handler handler;

    const ParamSpec* param(std::string_view param_name) const;
};

class Registry {
public:
    // Starts with the schemas of the parameter types (Address, NodePublicKey, Hash, U64, ...).
    Registry();

    // Declares a method. A name declared twice, an invalid name, a param declared twice or a
    // required param after an optional one is a bug (assertion).
    void add(MethodSpec method);
    // Shared schemas, referenced from result schemas as "#/components/schemas/<name>".
    void add_schema(std::string name, Json schema);

    const MethodSpec* find(std::string_view name) const;
    const std::vector<MethodSpec>& methods() const { return m_methods; }
    // Position of a method in methods(), for per-method counters.
    std::optional<size_t> index_of(std::string_view name) const;
    const std::map<std::string, Json, std::less<>>& schemas() const { return m_schemas; }

    // The OpenRPC 1.2.6 document of every method (what rpc.discover answers).
    Json openrpc() const;
    // Markdown reference of every method (the generated part of docs/rpc.md).
    std::string markdown() const;
    // The text a command-line tool shows for the methods it calls: for each, its name,
    // parameters, summary and result, so `flk <command> --help` says what it asks the node.
    std::string help_text(const std::vector<std::string_view>& methods) const;
    // The declared description of one parameter (for a CLI option that carries it).
    std::string param_description(std::string_view method, std::string_view param) const;

private:
    std::vector<MethodSpec> m_methods;
    std::map<std::string, size_t, std::less<>> m_index;
    std::map<std::string, Json, std::less<>> m_schemas;
};

// Validates and converts the "params" member of a request (absent, array or object) against
// the method's declaration. Errors are invalid_params with a message naming the parameter.
Result<Params, RpcError> bind_params(const MethodSpec& method, const Json* params);

// Parses one parameter value of a declared type (also used by clients to check their input).
Result<ParamValue, std::string> parse_param(const ParamSpec& spec, const Json& value);

// The JSON Schema of a parameter type.
Json param_schema(const ParamSpec& spec);

// Every method of the node's API: the flk_* methods and rpc.discover (methods.cpp).
Registry standard_registry();

}  // namespace fleek::rpc
