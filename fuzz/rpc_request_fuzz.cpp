// JSON-RPC request bodies as clients send them, dispatched over the standard registry with the
// test backend (a ledger with a genesis, read only): parsing, batch and notification handling,
// parameter binding and every handler never crash, every answer is a well-formed JSON-RPC 2.0
// response with a documented error code, and no call changes the state.
#include "rpc/json_rpc.h"
#include "tests/support/rpc_test_backend.h"
#include "util/assert.h"

#include <algorithm>
#include <string_view>

namespace {

using namespace fleek;
using rpc::Json;

struct Setup {
    testing::RpcTestBackend backend;
    rpc::Registry registry = rpc::standard_registry();
    crypto::Hash32 root{};
    Setup() { root = backend.ledger_snapshot()->state_root(); }
};

Setup& setup() {
    static Setup instance;
    return instance;
}

void check_response(const Json& response) {
    FLEEK_ASSERT(response.is_object());
    FLEEK_ASSERT(response.value("jsonrpc", Json()) == "2.0");
    FLEEK_ASSERT(response.contains("id"));
    const bool has_result = response.contains("result");
    const bool has_error = response.contains("error");
    FLEEK_ASSERT(has_result != has_error);
    if (has_error) {
        const Json& error = response["error"];
        FLEEK_ASSERT(error.is_object() && error["code"].is_number_integer() && error["message"].is_string());
        const int code = error["code"].get<int>();
        const auto& codes = rpc::all_error_codes();
        FLEEK_ASSERT(std::any_of(codes.begin(), codes.end(), [&](rpc::ErrorCode c) { return static_cast<int>(c) == code; }));
        FLEEK_ASSERT(code != static_cast<int>(rpc::ErrorCode::internal_error));  // no handler fails on a genesis ledger
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Setup& s = setup();
    rpc::Context context{s.backend, s.registry, [] { return std::string(); }};
    rpc::DispatchLimits limits;
    limits.max_batch_size = 16;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto response = rpc::handle_json_rpc(body, s.registry, context, limits);
    if (response) {
        const Json parsed = Json::parse(*response, nullptr, false);
        FLEEK_ASSERT(!parsed.is_discarded());
        if (parsed.is_array()) {
            FLEEK_ASSERT(!parsed.empty());
            for (const Json& item : parsed) check_response(item);
        } else {
            check_response(parsed);
        }
    }
    s.backend.drop_pending();  // accepted transactions are never executed here
    FLEEK_ASSERT(s.backend.ledger_snapshot()->state_root() == s.root);
    return 0;
}
