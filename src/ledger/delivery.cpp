#include "ledger/delivery.h"

namespace fleek::ledger {

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

}  // namespace fleek::ledger
