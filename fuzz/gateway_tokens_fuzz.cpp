// Operator token files (disk) and Authorization headers (clients): never crash; every token a
// file yields authorizes itself, and an identity is only handed out to a configured token.
#include "edge/gateway_auth.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::edge;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto tokens = parse_token_file(text);
    if (tokens) {
        for (const auto& token : *tokens) {
            FLEEK_ASSERT(token.size() >= token_size_min && token.size() <= token_size_max);
            FLEEK_ASSERT(authorize("Bearer " + token, *tokens).outcome == AuthOutcome::authorized);
        }
    }
    const Authorization result = authorize(text, tokens ? *tokens : std::vector<std::string>{});
    FLEEK_ASSERT((result.outcome == AuthOutcome::authorized) == !result.identity.empty());
    (void)anonymous_identity(text);
    return 0;
}
