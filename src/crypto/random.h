// Randomness from the operating system (libsodium's randombytes), for key generation only.
// Deterministic cores (ledger, consensus) never call this: they take randomness as an input.
#pragma once

#include "util/bytes.h"

namespace fleek::crypto {

// Initializes libsodium once; safe to call from any thread, any number of times.
void ensure_sodium_initialized();

void random_bytes(MutableByteSpan out);

}  // namespace fleek::crypto
