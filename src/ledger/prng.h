// The portable pseudo-random stream that picks committees (docs/formats/ledger-state.md
// §Committee selection). Any implementation in any language reproduces it:
//
//   stream   ChaCha20 of RFC 8439 (libsodium crypto_stream_chacha20_ietf): key = the 32-byte
//            beacon output, nonce = 12 zero bytes, block counter from 0; the keystream is read
//            as consecutive little-endian u64 values
//   uniform  uniform(n) for n > 0: draw x until x >= (2^64 mod n), return x mod n (no bias)
//   shuffle  Fisher–Yates: for i = len-1 down to 1: j = uniform(i + 1); swap(a[i], a[j])
#pragma once

#include "ledger/types.h"

#include <array>
#include <vector>

namespace fleek::ledger {

class ChaCha20Stream {
public:
    explicit ChaCha20Stream(const Hash32& key);
    uint64_t next_u64();
    // Uniform in [0, bound); bound must be > 0.
    uint64_t uniform(uint64_t bound);
    // Raw keystream bytes (tests compare them with RFC 8439).
    void fill(MutableByteSpan out);

private:
    void refill();
    Hash32 m_key;
    uint32_t m_counter = 0;
    std::array<uint8_t, 64> m_block{};
    size_t m_offset = 64;
};

template <class T>
void fisher_yates_shuffle(std::vector<T>& items, ChaCha20Stream& stream) {
    for (size_t i = items.size(); i-- > 1;) {
        const size_t j = static_cast<size_t>(stream.uniform(i + 1));
        std::swap(items[i], items[j]);
    }
}

// The committee of an epoch: `size` nodes of the active set (sorted ascending) shuffled with
// the stream keyed by `seed`; the whole set when it is not larger than `size`. Sorted ascending.
std::vector<NodeIndex> select_committee(const std::vector<NodeIndex>& active_set, uint32_t size, const Hash32& seed);

}  // namespace fleek::ledger
