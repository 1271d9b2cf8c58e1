// The WebSocket session against a node written here from docs/formats/handshake.md: it checks
// the open signature and every receipt signature with Node's own Ed25519 (OpenSSL), not with
// the library's, and streams content encoded by the project's C++ encoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

import { ed25519 } from '@noble/curves/ed25519.js';

import { equalBytes } from '../src/bytes.js';
import * as frames from '../src/frames.js';
import { encodeReceipt } from '../src/receipt.js';
import { openSession, SessionError } from '../src/session.js';
import { loadVerifier, BLOCK_SIZE } from '../src/verifier.js';
import { encodeStream, testContent } from './encoder.js';

const verifier = await loadVerifier();

// Ed25519 through OpenSSL (PKCS#8 / SPKI wrappers of RFC 8410).
function opensslPrivateKey(seed) {
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
}
function opensslVerify(publicKey, message, signature) {
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' });
  return nodeVerify(null, message, key, signature);
}

const nodeSeed = new Uint8Array(32).fill(0x42);
const nodeKey = ed25519.getPublicKey(nodeSeed);
const clientSeed = new Uint8Array(32).fill(0x17);

// A fake WebSocket pair: the client end is what openSession constructs.
class FakeSocket {
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.closed = false;
    this.peer = undefined;
    FakeSocket.last = this;
    queueMicrotask(() => FakeSocket.onConnect?.(this));
  }
  send(payload) {
    if (this.closed) return;
    const copy = new Uint8Array(payload).slice();
    queueMicrotask(() => this.peer?.onClientPayload(copy));
  }
  deliver(payload) {
    if (this.closed) return;
    const buffer = payload.slice().buffer;
    queueMicrotask(() => this.onmessage?.({ data: buffer }));
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => this.onclose?.({}));
  }
}

// The node's side, as the document says.
class MockNode {
  constructor(socket, contents, { tamper = undefined, interval = 1048576n, forgeOpened = false } = {}) {
    this.socket = socket;
    this.contents = contents;  // hex root -> stream
    this.tamper = tamper;
    this.interval = interval;
    this.forgeOpened = forgeOpened;
    this.receipts = [];
    this.challenge = { type: 'challenge', version: 1, chainId: 59330n, epoch: 7n, nodeKey, nonce: new Uint8Array(32).fill(9) };
    socket.peer = this;
    socket.deliver(frames.encodePayload(this.challenge));
  }
  onClientPayload(payload) {
    const decoded = frames.decodeClientPayload(payload);
    assert.equal(decoded.error, undefined);
    const frame = decoded.frame;
    if (frame.type === 'open') {
      const transcript = new Uint8Array([...frames.challengeBody(this.challenge), ...frames.openSignedFields(frame)]);
      const digest = verifier.deriveKey('fleek-network handshake-open v1', transcript);
      if (!opensslVerify(frame.clientKey, digest, frame.signature)) {
        this.socket.deliver(frames.encodePayload({ type: 'terminate', reason: 'bad_signature' }));
        return;
      }
      this.clientKey = frame.clientKey;
      this.sessionId = frame.sessionId;
      const opened = {
        type: 'opened', sessionId: frame.sessionId, token: new Uint8Array(32).fill(0x70), tokenTtlMs: 600000n,
        acknowledgedBytes: 0n, receiptIntervalBytes: this.interval, windowBytes: 4194304n,
      };
      const material = new Uint8Array([...transcript, ...frames.openedSignedFields(opened)]);
      const signed = verifier.deriveKey('fleek-network handshake-opened v1', material);
      opened.nodeSignature = new Uint8Array(nodeSign(null, signed, opensslPrivateKey(nodeSeed)));
      if (this.forgeOpened) opened.windowBytes += 1n;  // changed on the way: the signature no longer covers it
      this.socket.deliver(frames.encodePayload(opened));
    } else if (frame.type === 'request') {
      const stream = this.contents.get(Buffer.from(frame.hash).toString('hex'));
      if (!stream) {
        this.socket.deliver(frames.encodePayload({ type: 'refused', hash: frame.hash, reason: 'not_found' }));
        return;
      }
      const bytes = stream.slice();
      if (this.tamper !== undefined) bytes[this.tamper] ^= 0x01;
      // Data frames as the node sends them: the header, then each block with its proof.
      this.socket.deliver(frames.encodePayload({ type: 'data', bytes: bytes.subarray(0, 61) }));
      let at = 61;
      while (at < bytes.length) {
        const count = bytes[at];
        const length = Math.min(BLOCK_SIZE, bytes.length - at - 1 - 32 * count);
        const end = at + 1 + 32 * count + length;
        this.socket.deliver(frames.encodePayload({ type: 'data', bytes: bytes.subarray(at, end) }));
        at = end;
      }
    } else if (frame.type === 'receipt') {
      const r = frame.receipt;
      const body = r.subarray(0, 76);
      const digest = verifier.objectDigest('delivery-receipt', body);
      assert.ok(opensslVerify(r.subarray(76, 108), digest, r.subarray(108)), 'receipt signature verifies under OpenSSL');
      assert.ok(equalBytes(r.subarray(76, 108), this.clientKey));
      const view = new DataView(body.buffer, body.byteOffset);
      assert.equal(view.getBigUint64(0, true), 59330n);
      assert.ok(equalBytes(body.subarray(8, 40), nodeKey));
      assert.equal(view.getUint32(40, true), 0);
      assert.ok(equalBytes(body.subarray(44, 60), this.sessionId));
      assert.equal(view.getBigUint64(60, true), 7n);
      this.receipts.push(view.getBigUint64(68, true));
    }
  }
}

function withNode(contents, options) {
  let node;
  FakeSocket.onConnect = (socket) => { node = new MockNode(socket, contents, options); };
  return { nodeOf: () => node };
}

async function open(options = {}) {
  return openSession({ url: 'ws://node/handshake', WebSocket: FakeSocket, verifier, clientSecretKey: clientSeed, nodeKey, ...options });
}

test('a session opens, fetches 9 blocks verified and signs cumulative receipts every MiB and at the end', async () => {
  const content = testContent(8 * BLOCK_SIZE + 12345, 21);
  const { root, stream } = encodeStream(content);
  const { nodeOf } = withNode(new Map([[Buffer.from(root).toString('hex'), stream]]));
  const session = await open({ chainId: 59330n });
  assert.ok(equalBytes(session.token, new Uint8Array(32).fill(0x70)));
  const seen = [];
  const bytes = await session.fetch(root, { onBlock: (index) => seen.push(index) });
  assert.deepEqual(bytes, content);
  assert.deepEqual(seen, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  // Every 4 blocks (1 MiB) and the rest at the end: cumulative amounts.
  assert.deepEqual(nodeOf().receipts, [1048576n, 2097152n, BigInt(content.length)]);
  assert.equal(session.signedBytes, BigInt(content.length));
  // The receipt format is delivery-receipts.md's (the encoder against its vector).
  assert.equal(Buffer.from(encodeReceipt({ chainId: 59330n, node: new Uint8Array(32).fill(0xaa), service: 0,
    sessionId: new Uint8Array(16).fill(0x5e), epoch: 3n, amount: 1048576n })).toString('hex'),
  'c2e7000000000000' + 'aa'.repeat(32) + '00000000' + '5e'.repeat(16) + '0300000000000000' + '0000100000000000');
  session.close();
});

test('a tampered byte fails the fetch with stream_failed; the bad block is neither delivered nor acknowledged', async () => {
  const content = testContent(3 * BLOCK_SIZE, 5);
  const { root, stream } = encodeStream(content);
  // A byte inside block 1: after the header, block 0 behind its proof, block 1's proof.
  const block1Proof = 61 + 1 + 32 * stream[61] + BLOCK_SIZE;
  const block1 = block1Proof + 1 + 32 * stream[block1Proof] + 10;
  const { nodeOf } = withNode(new Map([[Buffer.from(root).toString('hex'), stream]]), { tamper: block1, interval: 1n });
  const session = await open();
  const seen = [];
  await assert.rejects(session.fetch(root, { onBlock: (index) => seen.push(index) }), (error) => {
    assert.ok(error instanceof SessionError);
    assert.equal(error.code, 'stream_failed');
    assert.match(error.detail, /block_rejected at block 1: block_mismatch/);
    return true;
  });
  assert.deepEqual(seen, [0n]);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(nodeOf().receipts, [BigInt(BLOCK_SIZE)], 'only block 0 was acknowledged');
  assert.equal(FakeSocket.last.closed, true);
});

test('opened that the node key did not sign is refused before any request', async () => {
  withNode(new Map(), { forgeOpened: true });
  await assert.rejects(open(), (error) => error.code === 'bad_node_signature');
  assert.equal(FakeSocket.last.closed, true);
});

test('a challenge from another node or chain is refused without answering', async () => {
  withNode(new Map());
  await assert.rejects(open({ nodeKey: new Uint8Array(32).fill(1) }), (error) => error.code === 'wrong_node');
  assert.deepEqual(FakeSocket.last.sent, []);
  withNode(new Map());
  await assert.rejects(open({ chainId: 1n }), (error) => error.code === 'wrong_chain');
});

test('a refused request rejects that fetch only; the session goes on', async () => {
  const content = testContent(1000, 2);
  const { root, stream } = encodeStream(content);
  withNode(new Map([[Buffer.from(root).toString('hex'), stream]]));
  const session = await open();
  await assert.rejects(session.fetch(new Uint8Array(32).fill(0xcc)), (error) => error.code === 'refused' && error.detail === 'not_found');
  assert.deepEqual(await session.fetch(root), content);
  session.close();
});

test('a terminate frame ends the session with its reason', async () => {
  const content = testContent(1000, 2);
  const { root, stream } = encodeStream(content);
  const { nodeOf } = withNode(new Map([[Buffer.from(root).toString('hex'), stream]]));
  const session = await open();
  const fetching = session.fetch(root);
  nodeOf().socket.deliver(frames.encodePayload({ type: 'terminate', reason: 'insufficient_funds' }));
  // The content may have arrived first; the session is ended either way.
  await fetching.catch((error) => assert.equal(error.detail, 'insufficient_funds'));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(session.termination, 'insufficient_funds');
  await assert.rejects(session.fetch(root), (error) => error.code === 'closed');
});

test('garbage from the node ends the session as malformed', async () => {
  const { nodeOf } = withNode(new Map());
  const session = await open();
  nodeOf().socket.deliver(Uint8Array.of(0x05, 0xee));
  await new Promise((resolve) => setTimeout(resolve, 0));
  await assert.rejects(session.fetch(new Uint8Array(32)), (error) => error.code === 'closed');
  assert.equal(FakeSocket.last.closed, true);
});
