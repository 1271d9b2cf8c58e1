// State proofs (docs/formats/state-tree.md): a proof decodes only from its canonical bytes, and
// verifying any decoded proof against a real tree's root, for present and absent keys, never
// crashes and never accepts a proof for a value the tree does not hold.
#include "ledger/state_tree.h"
#include "util/assert.h"

namespace {

struct Tree {
    fleek::ledger::MemoryTree tree;
    fleek::ledger::Hash32 root{};
    Tree() {
        using namespace fleek;
        std::vector<ledger::TreeChange> changes;
        for (uint8_t i = 0; i < 16; ++i) {
            changes.push_back({ledger::state_key_path(Bytes{i}), ledger::state_value_hash(Bytes{i, i})});
        }
        ledger::TreeWrites writes;
        root = ledger::update_state_tree(tree, changes, writes).value();
        tree.apply(writes);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    static const Tree tree;
    const ByteSpan input(data, size);
    auto proof = codec::decode<ledger::StateProof>(input);
    if (!proof) return 0;
    const Bytes again = codec::encode(*proof);
    FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    for (uint8_t i = 0; i < 20; ++i) {
        const Bytes key{i};
        const Bytes held{i, i};
        const Bytes other{i, static_cast<uint8_t>(i + 1)};
        // Keys 0..15 hold {i, i}: a proof can show that value and nothing else.
        FLEEK_ASSERT(!ledger::verify_state_proof(tree.root, key, ByteSpan(other), *proof).has_value());
        if (i < 16) FLEEK_ASSERT(!ledger::verify_state_proof(tree.root, key, std::nullopt, *proof).has_value());
        if (i >= 16) FLEEK_ASSERT(!ledger::verify_state_proof(tree.root, key, ByteSpan(held), *proof).has_value());
    }
    return 0;
}
