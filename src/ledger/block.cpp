#include "ledger/block.h"

#include "ledger/transaction.h"

namespace fleek::ledger {

void Block::encode(codec::Writer& w) const {
    w.u64(height);
    w.optional(epoch, [](codec::Writer& out, Epoch value) { out.u64(value); });
    w.u64(timestamp_ms);
    w.sequence(std::span<const Bytes>(transactions), block_transactions_decode_max,
               [](codec::Writer& out, const Bytes& tx) { out.bytes(tx, block_size_max); });
}

Result<Block, codec::DecodeError> Block::decode(codec::Reader& r) {
    Block out;
    auto height = r.u64();
    if (!height) return fail(height.error());
    out.height = *height;
    auto present = r.optional_present();
    if (!present) return fail(present.error());
    if (*present) {
        auto epoch = r.u64();
        if (!epoch) return fail(epoch.error());
        out.epoch = *epoch;
    }
    auto timestamp = r.u64();
    if (!timestamp) return fail(timestamp.error());
    out.timestamp_ms = *timestamp;
    auto count = r.count(block_transactions_decode_max, 4);
    if (!count) return fail(count.error());
    out.transactions.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        auto tx = r.bytes(block_size_max);
        if (!tx) return fail(tx.error());
        out.transactions.emplace_back(tx->begin(), tx->end());
    }
    return out;
}

Hash32 Block::digest() const { return crypto::object_digest("block", codec::encode(*this)); }

void TransactionReceipt::encode(codec::Writer& w) const {
    w.fixed(digest);
    w.tag(static_cast<uint8_t>(status));
    w.u16(static_cast<uint16_t>(error));
    serial::Encoder e(w);
    e(output);
}

Result<TransactionReceipt, codec::DecodeError> TransactionReceipt::decode(codec::Reader& r) {
    TransactionReceipt out;
    auto digest = r.array<32>();
    if (!digest) return fail(digest.error());
    out.digest = *digest;
    auto status = r.tag(receipt_status_count);
    if (!status) return fail(status.error());
    out.status = static_cast<ReceiptStatus>(*status);
    auto error = r.u16();
    if (!error) return fail(error.error());
    if (*error >= tx_error_count) return fail(codec::DecodeError::unknown_tag);
    out.error = static_cast<TxError>(*error);
    serial::Decoder d(r);
    d(out.output);
    if (!d.ok()) return fail(d.error());
    const bool consistent = [&] {
        switch (out.status) {
            case ReceiptStatus::success: return out.error == TxError::none;
            case ReceiptStatus::reverted:
                return out.error != TxError::none && !is_rejection(out.error) && out.output.index() == 0;
            case ReceiptStatus::rejected: return is_rejection(out.error) && out.output.index() == 0;
        }
        return false;
    }();
    if (!consistent) return fail(codec::DecodeError::invalid_value);
    return out;
}

void ReceiptList::encode(codec::Writer& w) const {
    w.sequence(std::span<const TransactionReceipt>(receipts), block_transactions_decode_max,
               [](codec::Writer& out, const TransactionReceipt& receipt) { receipt.encode(out); });
}

Result<ReceiptList, codec::DecodeError> ReceiptList::decode(codec::Reader& r) {
    ReceiptList out;
    auto count = r.count(block_transactions_decode_max, 36);
    if (!count) return fail(count.error());
    out.receipts.reserve(*count);
    for (uint32_t i = 0; i < *count; ++i) {
        auto receipt = TransactionReceipt::decode(r);
        if (!receipt) return fail(receipt.error());
        out.receipts.push_back(std::move(*receipt));
    }
    return out;
}

Hash32 ReceiptList::digest() const { return crypto::object_digest("receipts", codec::encode(*this)); }

}  // namespace fleek::ledger
