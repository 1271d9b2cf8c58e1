// A small seeded PRNG (xoshiro256**, seeded through SplitMix64): the only randomness a consensus
// node uses (picking peers to fetch from). The host passes the seed; nothing reads the OS.
#pragma once

#include <cstdint>

namespace fleek::consensus {

class Rng {
public:
    explicit Rng(uint64_t seed) noexcept {
        for (auto& word : m_state) {
            seed += 0x9e3779b97f4a7c15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
    }
    uint64_t next() noexcept {
        const uint64_t result = rotl(m_state[1] * 5, 7) * 9;
        const uint64_t t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = rotl(m_state[3], 45);
        return result;
    }
    // Uniform in [0, bound) (bound > 0); the modulo bias is negligible for the small bounds used.
    uint64_t below(uint64_t bound) noexcept { return bound == 0 ? 0 : next() % bound; }
    // True with probability numerator / denominator.
    bool chance(uint64_t numerator, uint64_t denominator) noexcept { return below(denominator) < numerator; }

private:
    static uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    uint64_t m_state[4];
};

}  // namespace fleek::consensus
