// Ledger transactions (docs/formats/ledger-transactions.md): a signed transaction decodes only
// from its canonical bytes, re-encodes to exactly the input, and its digest and signature check
// run without crashing. Blocks of transactions likewise.
#include "ledger/block.h"
#include "ledger/transaction.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const ByteSpan input(data, size);
    if (auto tx = codec::decode<ledger::SignedTransaction>(input)) {
        const Bytes again = tx->to_bytes();
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        const auto digest = tx->transaction.digest();
        (void)ledger::verify_transaction_signature(*tx, digest);
        (void)ledger::method_name(tx->transaction.method);
    }
    if (auto block = codec::decode<ledger::Block>(input)) {
        const Bytes again = codec::encode(*block);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        (void)block->digest();
    }
    return 0;
}
