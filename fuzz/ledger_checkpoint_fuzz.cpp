// Checkpoints (docs/formats/checkpoint.md): decoding arbitrary bytes never crashes; what decodes
// re-encodes to exactly the input; entries are checked against their tables; the state tree of
// the entries is built (restore's root check) without crashing.
#include "ledger/checkpoint.h"
#include "ledger/state_tree.h"
#include "ledger/tables.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const ByteSpan input(data, size);
    auto checkpoint = ledger::decode_checkpoint(input);
    if (!checkpoint) return 0;
    const Bytes again = ledger::encode_checkpoint(*checkpoint);
    FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    std::vector<ledger::TreeChange> changes;
    for (const auto& [key, value] : checkpoint->entries) {
        (void)ledger::valid_state_entry(key, value);
        changes.push_back({ledger::state_key_path(key), ledger::state_value_hash(value)});
    }
    // Distinct keys give distinct paths (BLAKE3), which the tree update requires.
    ledger::MemoryTree empty;
    ledger::TreeWrites writes;
    (void)ledger::update_state_tree(empty, changes, writes);
    return 0;
}
