#include "ledger/delivery.h"

#include <map>

namespace fleek::ledger {

const char* to_string(DeliveryReceiptStatus status) {
    switch (status) {
        case DeliveryReceiptStatus::counted: return "counted";
        case DeliveryReceiptStatus::already_claimed: return "already_claimed";
        case DeliveryReceiptStatus::wrong_chain: return "wrong_chain";
        case DeliveryReceiptStatus::wrong_node: return "wrong_node";
        case DeliveryReceiptStatus::wrong_epoch: return "wrong_epoch";
        case DeliveryReceiptStatus::unknown_service: return "unknown_service";
        case DeliveryReceiptStatus::client_key_not_approved: return "client_key_not_approved";
        case DeliveryReceiptStatus::bad_signature: return "bad_signature";
        case DeliveryReceiptStatus::session_mismatch: return "session_mismatch";
        case DeliveryReceiptStatus::amount_overflow: return "amount_overflow";
    }
    return "unknown";
}

Hash32 DeliveryReceipt::digest() const { return crypto::object_digest("delivery-receipt", codec::encode(*this)); }

SignedDeliveryReceipt sign_delivery_receipt(const DeliveryReceipt& receipt, const crypto::ClientSecretKey& key) {
    SignedDeliveryReceipt out;
    out.receipt = receipt;
    out.client_key = key.public_key().bytes();
    out.signature = key.sign(receipt.digest()).bytes();
    return out;
}

bool verify_delivery_receipt(const SignedDeliveryReceipt& signed_receipt) {
    auto key = crypto::ClientPublicKey::from_bytes(signed_receipt.client_key);
    if (!key) return false;
    auto signature = crypto::ClientSignature::from_bytes(signed_receipt.signature);
    if (!signature) return false;
    return key->verify(signed_receipt.receipt.digest(), *signature);
}

std::optional<size_t> verify_delivery_receipts(std::span<const SignedDeliveryReceipt> receipts) {
    std::map<ClientKeyBytes, std::optional<crypto::ClientPublicKey>> keys;
    for (size_t i = 0; i < receipts.size(); ++i) {
        const SignedDeliveryReceipt& r = receipts[i];
        auto it = keys.find(r.client_key);
        if (it == keys.end()) {
            auto parsed = crypto::ClientPublicKey::from_bytes(r.client_key);
            it = keys.emplace(r.client_key, parsed ? std::optional(*parsed) : std::nullopt).first;
        }
        auto signature = crypto::ClientSignature::from_bytes(r.signature);
        if (!it->second || !signature || !it->second->verify(r.receipt.digest(), *signature)) return i;
    }
    return std::nullopt;
}

}  // namespace fleek::ledger
