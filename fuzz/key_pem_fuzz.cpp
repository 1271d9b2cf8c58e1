// Secret key files (PEM, PKCS#8, SEC1, BLS): decoding never crashes, and a key that decodes
// survives an encode/decode round trip with the same public key.
#include "crypto/key_file.h"
#include "util/assert.h"

#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fleek;
    using namespace fleek::crypto;
    auto key = any_key_from_pem(ByteSpan(data, size));
    if (!key) {
        FLEEK_ASSERT(!key.error().message.empty());
        return 0;
    }
    if (const auto* ed = std::get_if<ed25519::SecretKey>(&*key)) {
        FLEEK_ASSERT(ed25519_key_from_pem(ed25519_key_to_pem(*ed).view()).value().public_key() == ed->public_key());
    } else if (const auto* bls = std::get_if<bls::SecretKey>(&*key)) {
        FLEEK_ASSERT(bls_key_from_pem(bls_key_to_pem(*bls).view()).value().public_key() == bls->public_key());
    } else if (const auto* account = std::get_if<ethereum::SecretKey>(&*key)) {
        FLEEK_ASSERT(secp256k1_key_from_pem(secp256k1_key_to_pem(*account).view()).value().address() ==
                     account->address());
    }
    return 0;
}
