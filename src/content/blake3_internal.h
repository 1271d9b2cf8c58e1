// Access to the chunk- and parent-level compression of the official BLAKE3 C implementation
// (blake3_impl.h of BLAKE3 1.3.1), which the public API does not expose: hashing many chunks
// at once with SIMD at a given chunk counter, parent nodes, and non-root chaining values.
// These are internals of a pinned version; tree_test.cpp checks them against the public hasher.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fleek::content::blake3_internal {

inline constexpr size_t chunk_size = 1024;
inline constexpr size_t block_len = 64;

enum Flags : uint8_t {
    chunk_start = 1 << 0,
    chunk_end = 1 << 1,
    parent = 1 << 2,
    root = 1 << 3,
    keyed_hash = 1 << 4,
};

// The eight key words of the plain hash mode (the IV).
const uint32_t* iv_words();

// CVs of `count` complete 1024-byte chunks at data, with chunk counters counter, counter+1, ...
// `out` receives count * 32 bytes.
void hash_full_chunks(const uint8_t* data, size_t count, uint64_t counter, const uint32_t key[8], uint8_t mode_flags,
                      uint8_t* out);

// CV of one chunk of 0 to 1024 bytes; finalized as the root output when `as_root`.
void hash_chunk(const uint8_t* data, size_t size, uint64_t counter, const uint32_t key[8], uint8_t mode_flags,
                bool as_root, uint8_t out[32]);

// Parents of `count` consecutive 64-byte (left || right) CV pairs at pairs; out gets count * 32.
void hash_parents(const uint8_t* pairs, size_t count, const uint32_t key[8], uint8_t mode_flags, uint8_t* out);

// One parent of left || right (64 bytes at pair), finalized as the root output when `as_root`.
void hash_parent(const uint8_t pair[64], const uint32_t key[8], uint8_t mode_flags, bool as_root, uint8_t out[32]);

// Key words from 32 key bytes (little-endian).
void key_words(const uint8_t key[32], uint32_t out[8]);

size_t simd_degree();

}  // namespace fleek::content::blake3_internal
