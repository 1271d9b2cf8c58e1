#!/usr/bin/env python3
"""Independent computation of the state-tree vector of docs/formats/state-tree.md, using the
b3sum command (BLAKE3) and nothing from this repository: entries a=1, b=2, c=3."""
import subprocess


def b3(data: bytes, derive_key: str = "") -> bytes:
    args = ["b3sum", "--raw"] + (["--derive-key", derive_key] if derive_key else [])
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout


def bit(path: bytes, depth: int) -> int:
    return (path[depth // 8] >> (7 - depth % 8)) & 1


def root(leaves, depth=0) -> bytes:
    if not leaves:
        return bytes(32)
    if len(leaves) == 1:
        path, value_hash = leaves[0]
        return b3(b"\x00" + path + value_hash)
    left = [leaf for leaf in leaves if bit(leaf[0], depth) == 0]
    right = [leaf for leaf in leaves if bit(leaf[0], depth) == 1]
    return b3(b"\x01" + root(left, depth + 1) + root(right, depth + 1))


entries = {b"a": b"1", b"b": b"2", b"c": b"3"}
leaves = sorted((b3(k, "fleek-network state-key v1"), b3(v)) for k, v in entries.items())
for path, value_hash in leaves:
    print("path", path.hex(), "value hash", value_hash.hex())
print("root", root(leaves).hex())
