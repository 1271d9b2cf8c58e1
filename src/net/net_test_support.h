// Test support shared by the net tests: node keys from a one-byte seed.
#pragma once

#include "crypto/keys.h"

#include <array>
#include <cstdint>

namespace fleek::net::testing {

// The node key whose 32-byte seed is `seed_byte` repeated.
inline crypto::NodeSecretKey key_from(uint8_t seed_byte) {
    std::array<uint8_t, 32> seed{};
    seed.fill(seed_byte);
    return crypto::NodeSecretKey::from_seed(seed).value();
}

}  // namespace fleek::net::testing
