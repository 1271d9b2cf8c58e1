// Genesis files (docs/formats/genesis.md): parsing arbitrary text never crashes, and an accepted
// genesis renders to TOML that parses back to the same genesis.
#include "ledger/genesis.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto genesis = ledger::parse_genesis(text, "fuzz");
    if (!genesis) return 0;
    auto again = ledger::parse_genesis(ledger::render_genesis(*genesis), "rendered");
    FLEEK_ASSERT(again.has_value());
    FLEEK_ASSERT(*again == *genesis);
    return 0;
}
