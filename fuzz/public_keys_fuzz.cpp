// Public keys, signatures and addresses from bytes and text, as they arrive from the network
// and from users: never crash; whatever parses prints back to the same bytes.
#include "crypto/keys.h"
#include "util/assert.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::crypto;
    const ByteSpan bytes(data, size);
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    if (auto key = ed25519::PublicKey::from_bytes(bytes)) FLEEK_ASSERT(std::equal(key->bytes().begin(), key->bytes().end(), data));
    if (auto key = ed25519::PublicKey::from_base58(text)) FLEEK_ASSERT(key->to_base58() == text);
    (void)ed25519::Signature::from_bytes(bytes);

    if (auto key = bls::PublicKey::from_bytes(bytes)) FLEEK_ASSERT(std::equal(key->bytes().begin(), key->bytes().end(), data));
    if (auto key = bls::PublicKey::from_base58(text)) FLEEK_ASSERT(key->to_base58() == text);
    if (auto signature = bls::Signature::from_bytes(bytes)) {
        FLEEK_ASSERT(std::equal(signature->bytes().begin(), signature->bytes().end(), data));
    }

    if (auto key = ethereum::PublicKey::from_bytes(bytes)) FLEEK_ASSERT(ethereum::PublicKey::from_bytes(key->compressed()).value() == *key);
    if (auto signature = ethereum::RecoverableSignature::from_bytes(bytes)) {
        const auto again = signature->to_bytes();
        FLEEK_ASSERT(std::equal(again.begin(), again.begin() + 64, data));
        (void)signature->recover(Hash32{});
    }
    if (auto address = ethereum::Address::parse(text)) {
        FLEEK_ASSERT(ethereum::Address::parse(address->to_string()).value() == *address);
    }
    return 0;
}
