// The WebAssembly verifier (wasm/verifier.wasm) against streams from the C++ encoder and
// roots from Debian's b3sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { loadVerifier, BLOCK_SIZE } from '../src/verifier.js';
import { toHex } from '../src/bytes.js';
import { encodeStream, freshVerifierBytes, testContent } from './encoder.js';

const verifier = await loadVerifier();

function b3sum(bytes, args = []) {
  return execFileSync('b3sum', [...args, '--no-names'], { input: bytes }).toString().trim();
}

function concat(blocks) {
  const out = new Uint8Array(blocks.reduce((n, b) => n + b.bytes.length, 0));
  let at = 0;
  for (const b of blocks) { out.set(b.bytes, at); at += b.bytes.length; }
  return out;
}

test('the module imports nothing', () => {
  // No WASI: the browser needs no shims and the module can reach nothing outside its memory.
  const module = new WebAssembly.Module(readFileSync(new URL('../wasm/verifier.wasm', import.meta.url)));
  assert.deepEqual(WebAssembly.Module.imports(module), []);
});

test('the checked-in wasm/verifier.wasm is what ./build-wasm makes from the sources now', () => {
  // Reproducible (fixed flags, paths mapped, stripped) and not stale: rebuild with ./build-wasm.
  const checkedIn = readFileSync(new URL('../wasm/verifier.wasm', import.meta.url));
  assert.ok(checkedIn.equals(freshVerifierBytes()), 'wasm/verifier.wasm is stale: run clients/js/build-wasm');
});

test('a whole stream of 5 blocks verifies, fed in pieces of any size', () => {
  const content = testContent(4 * BLOCK_SIZE + 1000, 7);
  const { root, stream } = encodeStream(content);
  assert.equal(toHex(root), b3sum(content), 'the encoder root is plain BLAKE3 of the content');
  for (const piece of [1, 4093, 70000, BLOCK_SIZE + 4096, stream.length]) {
    const v = verifier.streamVerifier(root);
    const blocks = [];
    for (let at = 0; at < stream.length; at += piece) {
      const r = v.feed(stream.subarray(at, at + piece));
      assert.equal(r.ok, true, `piece ${piece} at ${at}: ${r.error} ${r.verifyError} block ${r.block}`);
      blocks.push(...r.blocks);
    }
    assert.deepEqual(v.finish(), { ok: true });
    assert.deepEqual(blocks.map((b) => b.index), [0n, 1n, 2n, 3n, 4n]);
    assert.deepEqual(concat(blocks), content);
    assert.equal(v.header().contentLength, BigInt(content.length));
    v.destroy();
  }
});

test('a range starting in the middle verifies', () => {
  const content = testContent(6 * BLOCK_SIZE, 3);
  const { root, stream } = encodeStream(content, 2, 5);
  const v = verifier.streamVerifier(root, { firstBlock: 2, endBlock: 5 });
  const r = v.feed(stream);
  assert.equal(r.ok, true);
  assert.deepEqual(r.blocks.map((b) => b.index), [2n, 3n, 4n]);
  assert.deepEqual(concat(r.blocks), content.subarray(2 * BLOCK_SIZE, 5 * BLOCK_SIZE));
  assert.deepEqual(v.finish(), { ok: true });
  v.destroy();
});

test('a tampered block byte is refused and no byte of that block is released', () => {
  const content = testContent(3 * BLOCK_SIZE + 5, 11);
  const { root, stream } = encodeStream(content);
  // Header 61, block 0's proof 1 + 3*32 bytes (two-level tree of 4 blocks: hash 0, its sibling, the right subtree).
  const tampered = stream.slice();
  // Flip a byte in the middle of the stream: in block 1 (block 0 ends at 61 + 1 + 3*32 + BLOCK_SIZE).
  const offset = 61 + 1 + 3 * 32 + BLOCK_SIZE + 1 + 100;
  tampered[offset] ^= 0x01;
  const v = verifier.streamVerifier(root);
  const first = v.feed(tampered.subarray(0, 61 + 1 + 3 * 32 + BLOCK_SIZE));
  assert.equal(first.ok, true);
  assert.deepEqual(first.blocks.map((b) => b.index), [0n]);
  const second = v.feed(tampered.subarray(61 + 1 + 3 * 32 + BLOCK_SIZE));
  assert.deepEqual(second, { ok: false, error: 'block_rejected', block: 1n, verifyError: 'block_mismatch' });
  // For good: the rest of a correct stream is refused too.
  assert.equal(v.feed(stream.subarray(offset + 1)).error, 'block_rejected');
  assert.equal(v.finish().error, 'block_rejected');
  v.destroy();
});

test('a tampered proof hash, another root, a truncated stream and trailing bytes are refused', () => {
  const content = testContent(2 * BLOCK_SIZE, 5);
  const { root, stream } = encodeStream(content);

  const badProof = stream.slice();
  badProof[61 + 1 + 40] ^= 0x80;  // the second hash of block 0's proof
  let v = verifier.streamVerifier(root);
  assert.deepEqual(v.feed(badProof), { ok: false, error: 'proof_rejected', block: 0n, verifyError: 'proof_mismatch' });
  v.destroy();

  const otherRoot = root.slice();
  otherRoot[0] ^= 1;
  v = verifier.streamVerifier(otherRoot);
  assert.equal(v.feed(stream).error, 'wrong_root');
  v.destroy();

  v = verifier.streamVerifier(root);
  assert.equal(v.feed(stream.subarray(0, stream.length - 1)).ok, true);
  assert.equal(v.finish().error, 'truncated');
  v.destroy();

  v = verifier.streamVerifier(root);
  const longer = new Uint8Array(stream.length + 1);
  longer.set(stream);
  assert.equal(v.feed(longer).error, 'trailing_bytes');
  v.destroy();

  v = verifier.streamVerifier(root, { firstBlock: 1, endBlock: 2 });
  assert.equal(v.feed(stream).error, 'wrong_range');
  v.destroy();
});

test('a lying content length in the header is refused', () => {
  const content = testContent(2 * BLOCK_SIZE, 9);
  const { root, stream } = encodeStream(content);
  const lying = stream.slice();
  lying[37] += 1;  // content length + 1
  const v = verifier.streamVerifier(root);
  const r = v.feed(lying);
  assert.equal(r.ok, false);
  assert.equal(r.error, 'proof_rejected');
  v.destroy();
});

test('at most 16 verifiers live at once; destroying one frees its slot', () => {
  const root = new Uint8Array(32);
  const live = [];
  for (let i = 0; i < 16; ++i) live.push(verifier.streamVerifier(root));
  assert.throws(() => verifier.streamVerifier(root), /too many stream verifiers/);
  live.pop().destroy();
  live.push(verifier.streamVerifier(root));
  for (const v of live) v.destroy();
});

test('derive_key equals b3sum --derive-key', () => {
  const material = testContent(300, 4);
  for (const context of ['fleek-network handshake-open v1', 'fleek-network delivery-receipt v1']) {
    assert.equal(toHex(verifier.deriveKey(context, material)), b3sum(material, ['--derive-key', context]));
  }
});
