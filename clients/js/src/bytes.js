// Little-endian readers and writers of the canonical encoding (docs/formats/canonical-encoding.md)
// and small byte helpers. u64 values are BigInt.

export class Writer {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  u8(value) {
    return this.fixed(Uint8Array.of(value));
  }
  u32(value) {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, value, true);
    return this.fixed(out);
  }
  u64(value) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
    return this.fixed(out);
  }
  fixed(bytes) {
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }
  take() {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

// Reads fields; a read past the end sets `truncated` and returns a zero value, so a decoder
// reads all its fields and checks once.
export class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
    this.truncated = false;
  }
  take(size) {
    if (this.truncated || this.bytes.length - this.at < size) {
      this.truncated = true;
      return new Uint8Array(size);
    }
    const out = this.bytes.slice(this.at, this.at + size);
    this.at += size;
    return out;
  }
  u8() {
    return this.take(1)[0];
  }
  u32() {
    const b = this.take(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }
  u64() {
    const b = this.take(8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
  remaining() {
    return this.bytes.length - this.at;
  }
}

export function concatBytes(...arrays) {
  const w = new Writer();
  for (const a of arrays) w.fixed(a);
  return w.take();
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; ++i) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex) {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; ++i) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
