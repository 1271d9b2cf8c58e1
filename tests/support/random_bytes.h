// Reproducible pseudo-random content for tests: the same (size, seed) gives the same bytes.
#pragma once

#include "util/bytes.h"

#include <cstdint>
#include <cstring>
#include <random>

namespace fleek::testing {

inline Bytes random_bytes(size_t size, uint32_t seed) {
    std::mt19937_64 rng(seed);
    Bytes out(size);
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        const uint64_t value = rng();
        std::memcpy(out.data() + i, &value, 8);
    }
    for (; i < size; ++i) out[i] = static_cast<uint8_t>(rng());
    return out;
}

}  // namespace fleek::testing
