// Test helper: verified streams written by the project's C++ encoder (src/content encode_stream),
// compiled to wasm/encoder_wasm.cpp's module by ../build-wasm into a temporary directory once
// per test process.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let encoder;
let freshVerifier;

function build() {
  const dir = mkdtempSync(join(tmpdir(), 'fleek-js-encoder-'));
  try {
    const script = fileURLToPath(new URL('../build-wasm', import.meta.url));
    execFileSync(script, [join(dir, 'verifier.wasm'), join(dir, 'encoder.wasm')], { stdio: ['ignore', 'ignore', 'inherit'] });
    freshVerifier = readFileSync(join(dir, 'verifier.wasm'));
    return readFileSync(join(dir, 'encoder.wasm'));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

// The bytes of verifier.wasm built now by ../build-wasm (the checked-in one must equal them).
export function freshVerifierBytes() {
  if (!freshVerifier) load();
  return freshVerifier;
}

function load() {
  if (encoder) return encoder;
  const module = new WebAssembly.Module(build());
  const instance = new WebAssembly.Instance(module, {});
  instance.exports._initialize();
  encoder = instance.exports;
  return encoder;
}

// { root, stream } of `content` (Uint8Array), blocks [firstBlock, endBlock) (default: all).
export function encodeStream(content, firstBlock = 0, endBlock = undefined) {
  const e = load();
  const input = e.fe_input(content.length);  // may grow the memory: take the view after
  new Uint8Array(e.memory.buffer).set(content, input);
  const blocks = Math.max(1, Math.ceil(content.length / (256 * 1024)));
  const size = e.fe_encode(BigInt(firstBlock), BigInt(endBlock ?? blocks));
  if (size === 0) throw new RangeError('impossible range');
  const memory = new Uint8Array(e.memory.buffer);
  return {
    root: memory.slice(e.fe_root(), e.fe_root() + 32),
    stream: memory.slice(e.fe_output(), e.fe_output() + size),
  };
}

// Deterministic pseudo-random content.
export function testContent(length, seed = 1) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; ++i) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
