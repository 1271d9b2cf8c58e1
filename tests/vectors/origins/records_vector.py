#!/usr/bin/env python3
"""Independent computation of the signed-record vectors of docs/formats/provider-records.md and
docs/formats/resolver-records.md, without this repository's code: encodings with `struct`,
digests with Debian's `b3sum --derive-key`, Ed25519 signatures with the `cryptography` package
(OpenSSL), key = RFC 8032 section 7.1 TEST 1."""
import base64
import hashlib
import struct
import subprocess

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
KEY = Ed25519PrivateKey.from_private_bytes(SEED)
PUBLIC = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
HELLO = b"hello world\n"


def derive_key(context, material):
    out = subprocess.run(["b3sum", "--no-names", "--derive-key", context], input=material,
                         capture_output=True, check=True).stdout
    return bytes.fromhex(out.decode().split()[0])


def blake3(material):
    out = subprocess.run(["b3sum", "--no-names"], input=material, capture_output=True, check=True).stdout
    return bytes.fromhex(out.decode().split()[0])


def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)


def show(name, signed, context):
    digest = derive_key(context, signed)
    signature = KEY.sign(digest)
    print(f"{name} signed encoding ({len(signed)} bytes): {signed.hex()}")
    print(f"{name} digest: {digest.hex()}")
    print(f"{name} signature: {signature.hex()}")
    print(f"{name} record: {(signed + signature).hex()}")
    return signed + signature


content = blake3(HELLO)
print("public key:", PUBLIC.hex())
print("content = BLAKE3(hello world\\n):", content.hex())

# Provider record: announce, sequence 1700000000000000, expires at 1700043200000 ms.
provider = bytes([1]) + PUBLIC + content + u64(1700000000000000) + bytes([0]) + u64(1700043200000)
provider_record = show("provider", provider, "fleek-network provider-record v1")
print("provider batch:", (u32(1) + provider_record).hex())

# Resolver record, IPFS: the raw CIDv1 of "hello world\n", a file of 12 bytes, CAR bb..bb of 97 bytes.
cid = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(HELLO).digest()
ipfs = (bytes([1]) + PUBLIC + u64(1700000000000) + bytes([0]) + u32(len(cid)) + cid + bytes([0]) + content
        + u64(12) + bytes([0xbb]) * 32 + u64(97))
show("resolver ipfs", ipfs, "fleek-network resolver-record v1")

# Resolver record, HTTP with Subresource Integrity.
sri = base64.b64encode(hashlib.sha256(HELLO).digest()).decode()
pointer = f"https://example.com/hello.txt#integrity=sha256-{sri}".encode()
print("http pointer:", pointer.decode())
http = bytes([1]) + PUBLIC + u64(1700000000000) + bytes([1]) + u32(len(pointer)) + pointer + content + u64(12)
show("resolver http", http, "fleek-network resolver-record v1")
