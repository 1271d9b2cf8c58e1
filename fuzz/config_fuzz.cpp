// config.toml: parsing never crashes, errors always carry a message, and whatever loads renders
// to text that loads back to the same configuration.
#include "node/config.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek::node;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = parse_config(text, "fuzz.toml");
    if (!config) {
        FLEEK_ASSERT(!config.error().message.empty());
        return 0;
    }
    auto again = parse_config(render_config(*config), "rendered.toml");
    FLEEK_ASSERT(again.has_value() && *again == *config);
    return 0;
}
