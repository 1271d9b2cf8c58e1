#!/usr/bin/env python3
"""Handshake frame vectors (docs/formats/handshake.md), written from the document with struct;
digests with Debian b3sum --derive-key. Prints "name hex" lines; with a directory argument also
writes each frame payload there (the fuzz seed corpus fuzz/corpus/handshake_frames)."""
import struct, subprocess
def u8(v): return bytes([v])
def u32(v): return struct.pack('<I', v)
def u64(v): return struct.pack('<Q', v)
def rep(b, n): return bytes([b])*n
def frame(p): return u32(len(p)) + p
def dk(obj, data):
    return subprocess.run(['b3sum','--derive-key',f'fleek-network {obj} v1','--no-names'],input=data,capture_output=True).stdout.decode().split()[0]
challenge_body = u8(1)+u64(59330)+u64(3)+rep(0xaa,32)+rep(0x11,32)
opened_fields = rep(0x5e,16)+rep(0x70,32)+u64(600000)+u64(1048576)+u64(1048576)+u64(4194304)
open_fields = rep(0xc1,32)+rep(0x5e,16)+u32(0)+u8(0)
open_fields_tok = rep(0xc1,32)+rep(0x5e,16)+u32(0)+u8(1)+rep(0x70,32)
receipt = u64(59330)+rep(0xaa,32)+u32(0)+rep(0x5e,16)+u64(3)+u64(1048576)+rep(0xc1,32)+rep(0x5c,64)
frames = {
 'challenge': frame(u8(1)+challenge_body),
 'opened': frame(u8(2)+opened_fields+rep(0x5b,64)),
 'data': frame(u8(3)+b'FLKV'),
 'refused': frame(u8(4)+rep(0xcc,32)+u8(1)),
 'terminate': frame(u8(5)+u8(5)),
 'open': frame(u8(0x10)+open_fields+rep(0x5c,64)),
 'open_resume': frame(u8(0x10)+open_fields_tok+rep(0x5c,64)),
 'request': frame(u8(0x11)+rep(0xcc,32)+u8(1)+u64(2)+u64(4)),
 'request_all': frame(u8(0x11)+rep(0xcc,32)+u8(0)),
 'receipt': frame(u8(0x12)+receipt),
}
for k,v in frames.items(): print(k, v.hex())
t = challenge_body+open_fields
print('transcript', t.hex())
print('open_digest', dk('handshake-open', t))
print('opened_digest', dk('handshake-opened', t+opened_fields))
import os, sys
if len(sys.argv)>1:
    d=sys.argv[1]
    for k,v in frames.items():
        open(os.path.join(d,k),'wb').write(v[4:])
