#include "content/blake3_internal.h"

#include <cstring>

extern "C" {
#include "blake3_impl.h"
}

namespace fleek::content::blake3_internal {

static_assert(BLAKE3_CHUNK_LEN == chunk_size);
static_assert(BLAKE3_BLOCK_LEN == block_len);
static_assert(int{CHUNK_START} == int{Flags::chunk_start} && int{CHUNK_END} == int{Flags::chunk_end} &&
              int{PARENT} == int{Flags::parent} && int{ROOT} == int{Flags::root} &&
              int{KEYED_HASH} == int{Flags::keyed_hash});

const uint32_t* iv_words() { return IV; }

void hash_full_chunks(const uint8_t* data, size_t count, uint64_t counter, const uint32_t key[8], uint8_t mode_flags,
                      uint8_t* out) {
    // hash_many takes an array of input pointers; do it in batches to bound the stack array.
    constexpr size_t batch = 256;
    const uint8_t* inputs[batch];
    size_t done = 0;
    while (done < count) {
        const size_t now = count - done < batch ? count - done : batch;
        for (size_t i = 0; i < now; ++i) inputs[i] = data + (done + i) * BLAKE3_CHUNK_LEN;
        blake3_hash_many(inputs, now, BLAKE3_CHUNK_LEN / BLAKE3_BLOCK_LEN, key, counter + done,
                         /*increment_counter=*/true, mode_flags, CHUNK_START, CHUNK_END, out + done * BLAKE3_OUT_LEN);
        done += now;
    }
}

void hash_chunk(const uint8_t* data, size_t size, uint64_t counter, const uint32_t key[8], uint8_t mode_flags,
                bool as_root, uint8_t out[32]) {
    uint32_t cv[8];
    std::memcpy(cv, key, sizeof(cv));
    // Every 64-byte block but the last is compressed in place; the last one (possibly partial,
    // possibly empty) carries CHUNK_END and, for the root, ROOT.
    size_t offset = 0;
    uint8_t start = CHUNK_START;
    while (size - offset > BLAKE3_BLOCK_LEN) {
        blake3_compress_in_place(cv, data + offset, BLAKE3_BLOCK_LEN, counter, static_cast<uint8_t>(mode_flags | start));
        start = 0;
        offset += BLAKE3_BLOCK_LEN;
    }
    uint8_t last[BLAKE3_BLOCK_LEN] = {};
    const size_t tail = size - offset;
    if (tail > 0) std::memcpy(last, data + offset, tail);
    const uint8_t flags = static_cast<uint8_t>(mode_flags | start | CHUNK_END | (as_root ? ROOT : 0));
    blake3_compress_in_place(cv, last, static_cast<uint8_t>(tail), as_root ? 0 : counter, flags);
    store_cv_words(out, cv);
}

void hash_parents(const uint8_t* pairs, size_t count, const uint32_t key[8], uint8_t mode_flags, uint8_t* out) {
    constexpr size_t batch = 256;
    const uint8_t* inputs[batch];
    size_t done = 0;
    while (done < count) {
        const size_t now = count - done < batch ? count - done : batch;
        for (size_t i = 0; i < now; ++i) inputs[i] = pairs + (done + i) * 2 * BLAKE3_OUT_LEN;
        blake3_hash_many(inputs, now, 1, key, 0, /*increment_counter=*/false, static_cast<uint8_t>(mode_flags | PARENT),
                         0, 0, out + done * BLAKE3_OUT_LEN);
        done += now;
    }
}

void hash_parent(const uint8_t pair[64], const uint32_t key[8], uint8_t mode_flags, bool as_root, uint8_t out[32]) {
    uint32_t cv[8];
    std::memcpy(cv, key, sizeof(cv));
    blake3_compress_in_place(cv, pair, BLAKE3_BLOCK_LEN, 0, static_cast<uint8_t>(mode_flags | PARENT | (as_root ? ROOT : 0)));
    store_cv_words(out, cv);
}

void key_words(const uint8_t key[32], uint32_t out[8]) { load_key_words(key, out); }

size_t simd_degree() { return blake3_simd_degree(); }

}  // namespace fleek::content::blake3_internal
