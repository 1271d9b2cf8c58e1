// Receipts: transaction receipts of a block and client-signed delivery receipts
// (docs/formats/ledger-transactions.md, delivery-receipts.md). Whatever decodes re-encodes to
// exactly the input, and delivery receipt signatures are checked without crashing.
#include "ledger/block.h"
#include "ledger/delivery.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    const ByteSpan input(data, size);
    if (auto list = codec::decode<ledger::ReceiptList>(input)) {
        const Bytes again = codec::encode(*list);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        (void)list->digest();
    }
    if (auto receipt = codec::decode<ledger::TransactionReceipt>(input)) {
        const Bytes again = codec::encode(*receipt);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
    }
    if (auto delivery = codec::decode<ledger::SignedDeliveryReceipt>(input)) {
        const Bytes again = codec::encode(*delivery);
        FLEEK_ASSERT(again.size() == size && std::equal(again.begin(), again.end(), data));
        (void)ledger::verify_delivery_receipt(*delivery);
    }
    return 0;
}
