// Delivery acknowledgements (docs/formats/delivery-receipts.md).
//
// A client that receives service from a node signs, with an Ed25519 client key its account has
// approved, a *cumulative* receipt: "in session S of epoch E, node N has served me A units of
// service X so far". The node collects the newest receipt of each session and submits many in
// one SubmitDeliveryAcknowledgments transaction; the ledger counts only what a session's
// receipts add above what was already claimed, so resubmitting or submitting an older receipt
// never pays twice. Counting restarts with each epoch (a session's amount is cumulative within
// one epoch).
#pragma once

#include "crypto/keys.h"
#include "ledger/types.h"

#include <optional>
#include <span>

namespace fleek::ledger {

struct DeliveryReceipt {
    uint64_t chain_id = 0;
    NodeKeyBytes node{};  // the serving node's public key
    ServiceId service = 0;
    SessionId session_id{};
    Epoch epoch = 0;
    uint64_t amount = 0;  // cumulative commodity units served in this session and epoch

    template <class V>
    void fields(V& v) {
        v(chain_id), v(node), v(service), v(session_id), v(epoch), v(amount);
    }
    FLEEK_LEDGER_CODEC(DeliveryReceipt)
    friend bool operator==(const DeliveryReceipt&, const DeliveryReceipt&) = default;

    // object_digest("delivery-receipt", encoding): what the client key signs.
    Hash32 digest() const;
};

struct SignedDeliveryReceipt {
    DeliveryReceipt receipt;
    ClientKeyBytes client_key{};
    Ed25519SignatureBytes signature{};

    template <class V>
    void fields(V& v) {
        v(receipt), v(client_key), v(signature);
    }
    FLEEK_LEDGER_CODEC(SignedDeliveryReceipt)
    friend bool operator==(const SignedDeliveryReceipt&, const SignedDeliveryReceipt&) = default;
};

// The most receipts one SubmitDeliveryAcknowledgments executes (a larger batch reverts with
// batch_too_large), so the most per-receipt results its output holds.
inline constexpr uint32_t delivery_receipts_per_tx_max = 1000;

inline constexpr size_t signed_delivery_receipt_size = 8 + 32 + 4 + 16 + 8 + 8 + 32 + 64;

// What SubmitDeliveryAcknowledgments did with one receipt of its batch (DeliveryOutput::results,
// docs/formats/delivery-receipts.md §Execution). Only `counted` moves units and stables; every
// other status counts zero and leaves the state as if the receipt were not in the batch.
enum class DeliveryReceiptStatus : uint8_t {
    counted = 0,                  // units above the session's claim were counted
    already_claimed = 1,          // at or below what the session already claimed: nothing new
    wrong_chain = 2,              // chain_id is not this network's
    wrong_node = 3,               // node is not the sender's node key
    wrong_epoch = 4,              // neither the current nor the previous epoch
    unknown_service = 5,          // no such service
    client_key_not_approved = 6,  // no account approved the client key
    bad_signature = 7,            // the client key's signature does not verify
    session_mismatch = 8,         // the session was claimed with another node or service
    amount_overflow = 9,          // the cumulative cost does not fit 256 bits
};
inline constexpr uint8_t delivery_receipt_status_count = 10;

const char* to_string(DeliveryReceiptStatus status);

SignedDeliveryReceipt sign_delivery_receipt(const DeliveryReceipt& receipt, const crypto::ClientSecretKey& key);

// True when the signature is valid for the receipt under client_key (a valid Ed25519 key).
bool verify_delivery_receipt(const SignedDeliveryReceipt& signed_receipt);

// Verifies a batch, parsing (and subgroup-checking) each distinct client key once. Returns the
// index of the first receipt that does not verify, or nullopt when all do.
std::optional<size_t> verify_delivery_receipts(std::span<const SignedDeliveryReceipt> receipts);

}  // namespace fleek::ledger
