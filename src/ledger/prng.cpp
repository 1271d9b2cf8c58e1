#include "ledger/prng.h"

#include "crypto/random.h"
#include "util/assert.h"

#include <sodium.h>

#include <algorithm>

namespace fleek::ledger {

ChaCha20Stream::ChaCha20Stream(const Hash32& key) : m_key(key) { crypto::ensure_sodium_initialized(); }

void ChaCha20Stream::refill() {
    static const std::array<uint8_t, 64> zeros{};
    static const std::array<uint8_t, crypto_stream_chacha20_ietf_NONCEBYTES> nonce{};
    crypto_stream_chacha20_ietf_xor_ic(m_block.data(), zeros.data(), zeros.size(), nonce.data(), m_counter, m_key.data());
    ++m_counter;
    m_offset = 0;
}

void ChaCha20Stream::fill(MutableByteSpan out) {
    for (uint8_t& byte : out) {
        if (m_offset == m_block.size()) refill();
        byte = m_block[m_offset++];
    }
}

uint64_t ChaCha20Stream::next_u64() {
    std::array<uint8_t, 8> bytes{};
    fill(bytes);
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    return value;
}

uint64_t ChaCha20Stream::uniform(uint64_t bound) {
    FLEEK_ASSERT(bound > 0);
    const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
    while (true) {
        const uint64_t x = next_u64();
        if (x >= threshold) return x % bound;
    }
}

std::vector<NodeIndex> select_committee(const std::vector<NodeIndex>& active_set, uint32_t size, const Hash32& seed) {
    std::vector<NodeIndex> members = active_set;
    std::sort(members.begin(), members.end());
    if (members.size() > size) {
        ChaCha20Stream stream(seed);
        fisher_yates_shuffle(members, stream);
        members.resize(size);
        std::sort(members.begin(), members.end());
    }
    return members;
}

}  // namespace fleek::ledger
