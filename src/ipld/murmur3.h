// MurmurHash3 x64 128-bit (Austin Appleby's public-domain algorithm), seed 0 by default. Not
// cryptographic: UnixFS HAMT directories use it only to spread entry names over buckets.
#pragma once

#include "util/bytes.h"

#include <cstdint>

namespace fleek::ipld {

struct Murmur3Hash128 {
    uint64_t h1;
    uint64_t h2;
};
Murmur3Hash128 murmur3_x64_128(ByteSpan data, uint32_t seed = 0) noexcept;

// The UnixFS HAMT hash of a name ("murmur3-x64-64", multicodec 0x22): h1 as 8 big-endian bytes.
// Buckets take bits from the most significant end, log2(fanout) bits per level.
ByteArray<8> hamt_hash(ByteSpan name) noexcept;

}  // namespace fleek::ipld
