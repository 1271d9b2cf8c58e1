#include "ipld/murmur3.h"

#include <bit>

namespace fleek::ipld {

namespace {

uint64_t load_le64(const uint8_t* p) noexcept {
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | p[i];
    return value;
}

uint64_t fmix64(uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

}  // namespace

Murmur3Hash128 murmur3_x64_128(ByteSpan data, uint32_t seed) noexcept {
    constexpr uint64_t c1 = 0x87c37b91114253d5ULL;
    constexpr uint64_t c2 = 0x4cf5ad432745937fULL;
    const size_t length = data.size();
    const size_t blocks = length / 16;
    uint64_t h1 = seed;
    uint64_t h2 = seed;

    for (size_t i = 0; i < blocks; ++i) {
        uint64_t k1 = load_le64(data.data() + 16 * i);
        uint64_t k2 = load_le64(data.data() + 16 * i + 8);
        k1 *= c1;
        k1 = std::rotl(k1, 31);
        k1 *= c2;
        h1 ^= k1;
        h1 = std::rotl(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        k2 *= c2;
        k2 = std::rotl(k2, 33);
        k2 *= c1;
        h2 ^= k2;
        h2 = std::rotl(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }

    const uint8_t* tail = data.data() + 16 * blocks;
    uint64_t k1 = 0;
    uint64_t k2 = 0;
    const size_t rest = length & 15;
    for (size_t i = rest; i > 8; --i) k2 ^= static_cast<uint64_t>(tail[i - 1]) << (8 * (i - 9));
    if (rest > 8) {
        k2 *= c2;
        k2 = std::rotl(k2, 33);
        k2 *= c1;
        h2 ^= k2;
    }
    for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) k1 ^= static_cast<uint64_t>(tail[i - 1]) << (8 * (i - 1));
    if (rest > 0) {
        k1 *= c1;
        k1 = std::rotl(k1, 31);
        k1 *= c2;
        h1 ^= k1;
    }

    h1 ^= length;
    h2 ^= length;
    h1 += h2;
    h2 += h1;
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 += h2;
    h2 += h1;
    return {h1, h2};
}

ByteArray<8> hamt_hash(ByteSpan name) noexcept {
    const uint64_t h1 = murmur3_x64_128(name).h1;
    ByteArray<8> out{};
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(h1 >> (56 - 8 * i));
    return out;
}

}  // namespace fleek::ipld
