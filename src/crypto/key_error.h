// Why bytes or text could not become a key or signature.
#pragma once

#include <cstdint>
#include <string_view>

namespace fleek::crypto {

enum class KeyError : uint8_t {
    wrong_length,      // not the size this key or signature has
    invalid_encoding,  // text that is not valid base58 / hex / address syntax
    invalid_point,     // not a point of the curve or group, or the identity
    invalid_scalar,    // a secret scalar that is zero or not below the group order
    bad_checksum,      // a mixed-case Ethereum address whose EIP-55 checksum is wrong
    non_canonical,     // a second encoding of a valid value (high-s ECDSA signature)
    empty,             // aggregation of nothing
    seed_too_short,    // BLS key material under 32 bytes
};

std::string_view to_string(KeyError error) noexcept;

}  // namespace fleek::crypto
