#!/usr/bin/env python3
"""Independent computation of the committee-selection vector of docs/formats/ledger-state.md
with the `cryptography` package's ChaCha20 (RFC 8439), not this repository's code:
seed = bytes 0x00..0x1f, active set = nodes 0..9, committee size 4."""
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

seed = bytes(range(32))
# The package takes a 16-byte nonce: the 32-bit little-endian block counter, then the
# 96-bit nonce of RFC 8439 (all zero here).
keystream = Cipher(algorithms.ChaCha20(seed, bytes(16)), mode=None).encryptor().update(bytes(64 * 64))
offset = 0


def next_u64():
    global offset
    value = int.from_bytes(keystream[offset:offset + 8], "little")
    offset += 8
    return value


def uniform(bound):
    threshold = (1 << 64) % bound
    while True:
        x = next_u64()
        if x >= threshold:
            return x % bound


items = list(range(10))
for i in range(len(items) - 1, 0, -1):
    j = uniform(i + 1)
    items[i], items[j] = items[j], items[i]
print("shuffled", items)
print("committee", sorted(items[:4]))
print("first u64", int.from_bytes(keystream[:8], "little"))
