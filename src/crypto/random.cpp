#include "crypto/random.h"

#include "util/assert.h"

#include <sodium.h>

namespace fleek::crypto {

void ensure_sodium_initialized() {
    static const bool initialized = [] {
        // sodium_init returns 0 on first success and 1 when already initialized; -1 means the
        // library cannot work at all (no entropy source), so nothing can continue safely.
        const int result = sodium_init();
        FLEEK_ASSERT_MSG(result >= 0, "libsodium failed to initialize");
        return true;
    }();
    (void)initialized;
}

void random_bytes(MutableByteSpan out) {
    ensure_sodium_initialized();
    randombytes_buf(out.data(), out.size());
}

}  // namespace fleek::crypto
