// The JavaScript codec against the vectors of docs/formats/handshake.md (read from the document
// itself; tests/vectors/edge/handshake_vector.py wrote them from the format description).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { fromHex, toHex } from '../src/bytes.js';
import * as frames from '../src/frames.js';
import { loadVerifier } from '../src/verifier.js';

const doc = readFileSync(new URL('../../../docs/formats/handshake.md', import.meta.url), 'utf8');
const vectorSection = doc.slice(doc.indexOf('## Vectors'));

function vector(name) {
  const match = vectorSection.match(new RegExp(`\\n${name}:\\n\\n((?:    [0-9a-f]+\\n)+)`));
  assert.ok(match, `vector ${name} in handshake.md`);
  return fromHex(match[1].replace(/\s+/g, ''));
}
function field(name) {
  const match = vectorSection.match(new RegExp(`\\n    ${name} +([0-9a-f]+(?:\\n {18}[0-9a-f]+)*)`));
  assert.ok(match, `field ${name} in handshake.md`);
  return fromHex(match[1].replace(/\s+/g, ''));
}
const rep = (byte, n) => new Uint8Array(n).fill(byte);

const challenge = { type: 'challenge', version: 1, chainId: 59330n, epoch: 3n, nodeKey: rep(0xaa, 32), nonce: rep(0x11, 32) };
const opened = {
  type: 'opened', sessionId: rep(0x5e, 16), token: rep(0x70, 32), tokenTtlMs: 600000n, acknowledgedBytes: 1048576n,
  receiptIntervalBytes: 1048576n, windowBytes: 4194304n, nodeSignature: rep(0x5b, 64),
};
const open = { type: 'open', clientKey: rep(0xc1, 32), sessionId: rep(0x5e, 16), service: 0, token: undefined, signature: rep(0x5c, 64) };
const receiptBytes = fromHex('c2e7000000000000' + 'aa'.repeat(32) + '00000000' + '5e'.repeat(16) + '0300000000000000' +
  '0000100000000000' + 'c1'.repeat(32) + '5c'.repeat(64));
const cases = {
  challenge: [challenge, 'node'],
  opened: [opened, 'node'],
  data: [{ type: 'data', bytes: new TextEncoder().encode('FLKV') }, 'node'],
  refused: [{ type: 'refused', hash: rep(0xcc, 32), reason: 'not_found' }, 'node'],
  terminate: [{ type: 'terminate', reason: 'window_exceeded' }, 'node'],
  open: [open, 'client'],
  open_resume: [{ ...open, token: rep(0x70, 32) }, 'client'],
  request: [{ type: 'request', hash: rep(0xcc, 32), range: { firstBlock: 2n, endBlock: 4n } }, 'client'],
  request_all: [{ type: 'request', hash: rep(0xcc, 32), range: undefined }, 'client'],
  receipt: [{ type: 'receipt', receipt: receiptBytes }, 'client'],
};

const decode = (direction, payload) =>
  direction === 'node' ? frames.decodeNodePayload(payload) : frames.decodeClientPayload(payload);

for (const [name, [frame, direction]] of Object.entries(cases)) {
  test(`vector ${name}: encodes to the document's bytes and decodes back`, () => {
    const whole = vector(name);
    assert.equal(toHex(frames.withLength(frames.encodePayload(frame))), toHex(whole));
    const decoded = decode(direction, whole.subarray(4));
    assert.equal(decoded.error, undefined);
    assert.deepEqual(decoded.frame, frame);
  });
}

test('transcript and digests equal the document', async () => {
  const verifier = await loadVerifier();
  const transcript = new Uint8Array([...frames.challengeBody(challenge), ...frames.openSignedFields(open)]);
  assert.equal(toHex(transcript), toHex(field('transcript')));
  assert.equal(toHex(verifier.deriveKey('fleek-network handshake-open v1', transcript)), toHex(field('open digest')));
  const openedMaterial = new Uint8Array([...transcript, ...frames.openedSignedFields(opened)]);
  assert.equal(toHex(verifier.deriveKey('fleek-network handshake-opened v1', openedMaterial)), toHex(field('opened digest')));
});

test('bad payloads are refused with the typed error of the C++ codec', () => {
  const challengePayload = vector('challenge').subarray(4);
  const openPayload = vector('open').subarray(4);
  const expect = (direction, payload, error) => assert.deepEqual(decode(direction, payload), { error });
  expect('node', new Uint8Array(0), 'empty_frame');
  expect('client', new Uint8Array(0), 'empty_frame');
  expect('node', new Uint8Array(frames.NODE_FRAME_MAX_BYTES + 1).fill(3), 'frame_too_large');
  expect('client', new Uint8Array(frames.CLIENT_FRAME_MAX_BYTES + 1).fill(0x11), 'frame_too_large');
  expect('node', challengePayload.subarray(0, challengePayload.length - 1), 'truncated');
  expect('node', new Uint8Array([...challengePayload, 0]), 'trailing_bytes');
  expect('node', Uint8Array.of(0x03), 'truncated');                  // data without a byte
  expect('node', Uint8Array.of(0x10, 0), 'unknown_tag');             // a client tag from the node
  expect('client', Uint8Array.of(0x01), 'unknown_tag');              // a node tag from the client
  expect('node', Uint8Array.of(0x06), 'unknown_tag');
  const badVersion = challengePayload.slice();
  badVersion[1] = 2;
  expect('node', badVersion, 'invalid_value');
  expect('node', Uint8Array.of(0x05, 0x0f), 'invalid_value');        // no termination reason 0x0f
  expect('node', Uint8Array.of(0x05, 0x1b), 'invalid_value');
  expect('node', new Uint8Array([0x04, ...rep(0xcc, 32), 0x05]), 'invalid_value');
  const badMarker = openPayload.slice();
  badMarker[1 + 32 + 16 + 4] = 2;                                    // token marker
  expect('client', badMarker, 'invalid_value');
  expect('client', new Uint8Array([0x11, ...rep(0xcc, 32), 0x01, 0, 0]), 'truncated');
  expect('client', Uint8Array.of(0x12, 1, 2), 'truncated');
});

test('every termination reason of the document decodes to its name', () => {
  const section = doc.slice(doc.indexOf('Termination reasons (u8)'), doc.indexOf('## Opening a session'));
  const pairs = [...section.matchAll(/`([0-9a-f]{2})` ([a-z_]+)/g)].map((m) => [parseInt(m[1], 16), m[2]]);
  assert.equal(pairs.length, 25);
  for (const [code, name] of pairs) {
    assert.deepEqual(frames.decodeNodePayload(Uint8Array.of(0x05, code)), { frame: { type: 'terminate', reason: name } });
  }
});

test('mutated and random payloads never throw: a frame that re-encodes to the same bytes, or a typed error', () => {
  // A deterministic fuzz pass over the decoders (the C++ codec has fuzz/handshake_frames).
  const errors = new Set(['empty_frame', 'frame_too_large', 'truncated', 'trailing_bytes', 'unknown_tag', 'invalid_value']);
  let x = 0x9e3779b9;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const seeds = Object.entries(cases).map(([name, [, direction]]) => [vector(name).subarray(4), direction]);
  let decodedFrames = 0;
  for (let i = 0; i < 20000; ++i) {
    const [seed, direction] = seeds[next() % seeds.length];
    let payload = seed.slice();
    const mutation = next() % 4;
    if (mutation === 0) payload[next() % payload.length] = next() & 0xff;
    else if (mutation === 1) payload = payload.subarray(0, next() % (payload.length + 1));
    else if (mutation === 2) payload = new Uint8Array([...payload, next() & 0xff]);
    else payload = Uint8Array.from({ length: next() % 200 }, () => next() & 0xff);
    const result = decode(direction, payload);
    if (result.error) {
      assert.ok(errors.has(result.error), result.error);
    } else {
      ++decodedFrames;
      assert.equal(toHex(frames.encodePayload(result.frame)), toHex(payload));
    }
  }
  assert.ok(decodedFrames > 1000);
});
