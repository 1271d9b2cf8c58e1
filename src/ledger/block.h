// Blocks in, receipts out (docs/formats/ledger-transactions.md §Blocks and receipts).
#pragma once

#include "ledger/delivery.h"
#include "ledger/errors.h"
#include "ledger/types.h"

#include <filesystem>
#include <optional>
#include <variant>
#include <vector>

namespace fleek::ledger {

inline constexpr uint32_t block_transactions_max = 10'000;
inline constexpr size_t block_size_max = size_t{32} << 20;  // bytes of transactions
inline constexpr uint32_t block_transactions_decode_max = 65'536;

// An ordered batch of transactions that consensus committed. Transactions are opaque bytes
// (encoded SignedTransactions); bytes that do not decode get a `malformed` receipt.
struct Block {
    uint64_t height = 0;                // last executed height + 1
    std::optional<Epoch> epoch;         // when set, must equal the ledger's current epoch
    uint64_t timestamp_ms = 0;          // consensus time; never earlier than the previous block's
    std::vector<Bytes> transactions;

    void encode(codec::Writer& w) const;
    static Result<Block, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const Block&, const Block&) = default;

    // object_digest("block", encoding).
    Hash32 digest() const;
};

// ---- receipts --------------------------------------------------------------------------------

enum class ReceiptStatus : uint8_t { success = 0, reverted = 1, rejected = 2 };
inline constexpr uint8_t receipt_status_count = 3;

struct NoOutput {
    template <class V>
    void fields(V&) {}
    friend bool operator==(const NoOutput&, const NoOutput&) = default;
};
struct NodeIndexOutput {  // Stake: the node's index
    NodeIndex node = 0;
    template <class V>
    void fields(V& v) {
        v(node);
    }
    friend bool operator==(const NodeIndexOutput&, const NodeIndexOutput&) = default;
};
struct WithdrawOutput {  // Withdraw: the withdraw id
    uint64_t withdraw_id = 0;
    template <class V>
    void fields(V& v) {
        v(withdraw_id);
    }
    friend bool operator==(const WithdrawOutput&, const WithdrawOutput&) = default;
};
struct DeliveryReceiptResult {  // one receipt of a SubmitDeliveryAcknowledgments batch
    DeliveryReceiptStatus status = DeliveryReceiptStatus::counted;
    template <class V>
    void fields(V& v) {
        v.tag(status, delivery_receipt_status_count);
    }
    friend bool operator==(const DeliveryReceiptResult&, const DeliveryReceiptResult&) = default;
};
struct DeliveryOutput {  // SubmitDeliveryAcknowledgments: what was counted
    uint64_t units = 0;
    U256 paid = 0;
    U256 shortfall = 0;
    std::vector<DeliveryReceiptResult> results;  // one per receipt, in the batch's order
    template <class V>
    void fields(V& v) {
        v(units), v(paid), v(shortfall), v.seq(results, delivery_receipts_per_tx_max);
    }
    friend bool operator==(const DeliveryOutput&, const DeliveryOutput&) = default;
};
struct EpochChangeOutput {  // the beacon's last timeout: the epoch that began
    Epoch epoch = 0;
    template <class V>
    void fields(V& v) {
        v(epoch);
    }
    friend bool operator==(const EpochChangeOutput&, const EpochChangeOutput&) = default;
};
struct SlashOutput {  // Slash: FLK taken from the node
    U256 amount = 0;
    template <class V>
    void fields(V& v) {
        v(amount);
    }
    friend bool operator==(const SlashOutput&, const SlashOutput&) = default;
};
using TxOutput = std::variant<NoOutput, NodeIndexOutput, WithdrawOutput, DeliveryOutput, EpochChangeOutput, SlashOutput>;

struct TransactionReceipt {
    // The transaction digest; for bytes that do not decode, BLAKE3 of the bytes.
    Hash32 digest{};
    ReceiptStatus status = ReceiptStatus::success;
    TxError error = TxError::none;
    TxOutput output = NoOutput{};

    void encode(codec::Writer& w) const;
    // Refuses unknown error codes and inconsistent status/error/output combinations.
    static Result<TransactionReceipt, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const TransactionReceipt&, const TransactionReceipt&) = default;
};

// The receipts of one block, in transaction order.
struct ReceiptList {
    std::vector<TransactionReceipt> receipts;
    void encode(codec::Writer& w) const;
    static Result<ReceiptList, codec::DecodeError> decode(codec::Reader& r);
    friend bool operator==(const ReceiptList&, const ReceiptList&) = default;
    // object_digest("receipts", encoding).
    Hash32 digest() const;
};

struct CheckpointInfo {
    Epoch epoch = 0;          // the epoch that began with this block
    uint64_t height = 0;
    Hash32 hash{};            // checkpoint_hash() of the file's bytes
    Hash32 state_root{};
    std::filesystem::path path;
};

struct BlockResult {
    uint64_t height = 0;
    Hash32 block_digest{};
    Hash32 state_root{};
    std::vector<TransactionReceipt> receipts;
    Hash32 receipts_digest{};
    Epoch epoch = 0;  // after the block
    uint64_t epoch_era = 0;
    bool epoch_changed = false;
    bool committee_changed = false;  // new epoch, or a member removed inside the epoch
    std::optional<CheckpointInfo> checkpoint;
};

}  // namespace fleek::ledger
