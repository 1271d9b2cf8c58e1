// The project's verified-stream verifier (src/content/stream.h) compiled to WebAssembly
// (wasm/verifier.wasm, built by ./build-wasm from wasm/verifier_wasm.cpp), and BLAKE3
// derive_key from the same module. Browser and node verify with the code the node uses.

export const BLOCK_SIZE = 256 * 1024;

// StreamError and VerifyError of src/content, in declaration order.
const STREAM_ERRORS = ['bad_magic', 'bad_version', 'wrong_root', 'wrong_range', 'proof_too_long', 'proof_rejected',
  'block_rejected', 'trailing_bytes', 'truncated', 'sink_failed'];
const VERIFY_ERRORS = ['proof_wrong_size', 'proof_mismatch', 'block_wrong_size', 'block_mismatch', 'out_of_order'];

const textEncoder = new TextEncoder();

function blockLength(contentLength, k) {
  const start = k * BigInt(BLOCK_SIZE);
  if (start >= contentLength) return 0;
  const rest = contentLength - start;
  return rest < BigInt(BLOCK_SIZE) ? Number(rest) : BLOCK_SIZE;
}

// Loads the module from bytes, a Response, or a URL (fetched in a browser, read from disk in
// Node). Without an argument: wasm/verifier.wasm next to this package.
export async function loadVerifier(source = new URL('../wasm/verifier.wasm', import.meta.url)) {
  let bytes;
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    bytes = source;
  } else if (typeof Response !== 'undefined' && source instanceof Response) {
    bytes = await source.arrayBuffer();
  } else {
    const url = source instanceof URL ? source : new URL(source, globalThis.location?.href);
    if (url.protocol === 'file:') {
      const { readFile } = await import('node:fs/promises');
      bytes = await readFile(url);
    } else {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`verifier module: HTTP ${response.status} for ${url}`);
      bytes = await response.arrayBuffer();
    }
  }
  const { instance } = await WebAssembly.instantiate(bytes, {});
  instance.exports._initialize();
  return new VerifierModule(instance.exports);
}

export class VerifierModule {
  constructor(exports) {
    this.exports = exports;
  }

  memory() {
    return new Uint8Array(this.exports.memory.buffer);  // fresh view: memory may have grown
  }

  // BLAKE3.derive_key(context, material), 32 bytes.
  deriveKey(context, material) {
    const e = this.exports;
    const contextBytes = textEncoder.encode(context);
    if (contextBytes.length + material.length > e.fb_scratch_capacity()) throw new RangeError('derive_key input too long');
    const scratch = e.fb_scratch();
    const memory = this.memory();
    memory.set(contextBytes, scratch);
    memory.set(material, scratch + contextBytes.length);
    if (e.fb_derive_key(contextBytes.length, material.length) !== 0) throw new RangeError('derive_key input too long');
    return this.memory().slice(e.fb_digest(), e.fb_digest() + 32);
  }

  // digest = BLAKE3.derive_key("fleek-network <object> v1", encoding) (canonical-encoding.md).
  objectDigest(object, encoding) {
    return this.deriveKey(`fleek-network ${object} v1`, encoding);
  }

  // A verifier of the stream of `root` (32 bytes), optionally of blocks [firstBlock, endBlock).
  streamVerifier(root, range = undefined) {
    return new StreamVerifier(this, root, range);
  }
}

// Push parser of a verified stream: feed() pieces as they arrive; it returns the blocks that
// verified, or the failure (for good: every later call fails the same way).
export class StreamVerifier {
  constructor(module, root, range) {
    if (!(root instanceof Uint8Array) || root.length !== 32) throw new TypeError('root must be 32 bytes');
    this.module = module;
    const e = module.exports;
    this.handle = range ? e.fv_create(1, BigInt(range.firstBlock), BigInt(range.endBlock)) : e.fv_create(0, 0n, 0n);
    if (this.handle === 0) throw new Error('too many stream verifiers at once');
    const rootArea = e.fv_root(this.handle);
    module.memory().set(root, rootArea);
    this.failure = undefined;
  }

  failureOf(code) {
    const e = this.module.exports;
    const verify = e.fv_verify_error(this.handle);
    return {
      ok: false,
      error: STREAM_ERRORS[code - 1] ?? `error_${code}`,
      block: e.fv_failed_block(this.handle),
      verifyError: verify === 0 ? undefined : VERIFY_ERRORS[verify - 1],
    };
  }

  // { ok: true, blocks: [{ index: BigInt, bytes: Uint8Array }] } or { ok: false, error, block, verifyError }.
  feed(bytes) {
    if (this.handle === 0) throw new Error('verifier destroyed');
    if (this.failure) return this.failure;
    const e = this.module.exports;
    const capacity = e.fv_input_capacity();
    const blocks = [];
    for (let at = 0; at < bytes.length; at += capacity) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + capacity));
      const input = e.fv_input(this.handle);
      this.module.memory().set(piece, input);
      const code = e.fv_feed(this.handle, piece.length);
      if (code !== 0) {
        this.failure = this.failureOf(code);
        return this.failure;
      }
      const count = Number(e.fv_output_blocks(this.handle));
      if (count === 0) continue;
      const contentLength = e.fv_content_length(this.handle);
      const output = this.module.memory().slice(e.fv_output(this.handle), e.fv_output(this.handle) + e.fv_output_size(this.handle));
      let index = e.fv_output_first_block(this.handle);
      let offset = 0;
      for (let i = 0; i < count; ++i, ++index) {
        const length = blockLength(contentLength, index);
        blocks.push({ index, bytes: output.subarray(offset, offset + length) });
        offset += length;
      }
    }
    return { ok: true, blocks };
  }

  // { ok: true } when every block of the range arrived and nothing followed.
  finish() {
    if (this.failure) return this.failure;
    const code = this.module.exports.fv_finish(this.handle);
    return code === 0 ? { ok: true } : this.failureOf(code);
  }

  // The header's fields once it was read, else undefined.
  header() {
    const e = this.module.exports;
    if (this.handle === 0 || !e.fv_header_read(this.handle)) return undefined;
    return {
      contentLength: e.fv_content_length(this.handle),
      firstBlock: e.fv_first_block(this.handle),
      endBlock: e.fv_end_block(this.handle),
    };
  }

  destroy() {
    if (this.handle !== 0) this.module.exports.fv_destroy(this.handle);
    this.handle = 0;
  }
}
