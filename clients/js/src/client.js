// The client's side of a paid session (docs/formats/handshake.md), sans-IO, the same state
// machine as src/edge/handshake_client.h: it answers the challenge with its client key, checks
// the node's signature under the node key it meant to reach, verifies the content block by
// block with the WebAssembly verifier, and signs a cumulative receipt every
// receipt_interval_bytes verified bytes and at the end of each request.
//
// onPayload(payload) returns { ok: true, out: [payloads to send], blocks: [{ index, bytes }],
// done } or { ok: false, error, out, ... } with error one of ClientError.

import { ed25519 } from '@noble/curves/ed25519.js';

import { equalBytes } from './bytes.js';
import { challengeBody, decodeNodePayload, encodePayload, openSignedFields, openedSignedFields } from './frames.js';
import { signReceipt } from './receipt.js';

export const ClientError = Object.freeze({
  malformed: 'malformed',                    // a node frame that does not decode
  unexpected_frame: 'unexpected_frame',      // a valid frame at the wrong time
  wrong_node: 'wrong_node',                  // the challenge names another node key
  wrong_chain: 'wrong_chain',                // the challenge names another chain
  bad_node_signature: 'bad_node_signature',  // opened does not verify under the node key
  wrong_session: 'wrong_session',            // opened names another session id
  refused: 'refused',                        // the node refused the request (see refusal)
  stream_failed: 'stream_failed',            // a block did not verify (see streamFailure)
  terminated: 'terminated',                  // the node ended the session (see termination)
});

export class HandshakeClient {
  // options: verifier (loadVerifier()), clientSecretKey (32-byte Ed25519 seed), nodeKey (32 bytes),
  // chainId (BigInt, optional), sessionId (16 bytes), service (default 0), resumeToken (32 bytes,
  // optional), acknowledgedBytes (BigInt, what a resumed session already signed for).
  constructor(options) {
    this.verifier = options.verifier;
    this.secretKey = options.clientSecretKey;
    this.clientKey = ed25519.getPublicKey(this.secretKey);
    this.nodeKey = options.nodeKey;
    this.chainId = options.chainId;
    this.sessionId = options.sessionId;
    this.service = options.service ?? 0;
    this.resumeToken = options.resumeToken;
    this.verifiedBytes = BigInt(options.acknowledgedBytes ?? 0n);
    this.signedBytes = this.verifiedBytes;
    this.challenge = undefined;
    this.transcript = undefined;
    this.opened = undefined;
    this.stream = undefined;  // the StreamVerifier of the current request
    this.requestHash = undefined;
    this.termination = undefined;
    this.refusal = undefined;
    this.streamFailure = undefined;
  }

  isOpen() {
    return this.opened !== undefined;
  }

  requestDone() {
    return this.stream === undefined;
  }

  onPayload(payload) {
    const decoded = decodeNodePayload(payload);
    if (decoded.error) return { ok: false, error: ClientError.malformed, frameError: decoded.error, out: [] };
    const frame = decoded.frame;
    switch (frame.type) {
      case 'terminate':
        this.termination = frame.reason;
        this.dropStream();
        return { ok: false, error: ClientError.terminated, out: [] };
      case 'challenge': return this.onChallenge(frame);
      case 'opened': return this.onOpened(frame);
      default: break;
    }
    if (!this.opened) return { ok: false, error: ClientError.unexpected_frame, out: [] };
    if (frame.type === 'data') return this.onData(frame.bytes);
    // refused
    if (!this.stream || !equalBytes(frame.hash, this.requestHash)) return { ok: false, error: ClientError.unexpected_frame, out: [] };
    this.refusal = frame.reason;
    this.dropStream();
    return { ok: false, error: ClientError.refused, out: [] };
  }

  onChallenge(challenge) {
    if (this.challenge) return { ok: false, error: ClientError.unexpected_frame, out: [] };
    if (!equalBytes(challenge.nodeKey, this.nodeKey)) return { ok: false, error: ClientError.wrong_node, out: [] };
    if (this.chainId !== undefined && challenge.chainId !== BigInt(this.chainId)) {
      return { ok: false, error: ClientError.wrong_chain, out: [] };
    }
    this.challenge = challenge;
    const open = { type: 'open', clientKey: this.clientKey, sessionId: this.sessionId, service: this.service, token: this.resumeToken };
    const body = challengeBody(challenge);
    const fields = openSignedFields(open);
    this.transcript = new Uint8Array(body.length + fields.length);
    this.transcript.set(body);
    this.transcript.set(fields, body.length);
    const digest = this.verifier.deriveKey('fleek-network handshake-open v1', this.transcript);
    open.signature = ed25519.sign(digest, this.secretKey);
    return { ok: true, out: [encodePayload(open)] };
  }

  onOpened(opened) {
    if (!this.transcript || this.opened) return { ok: false, error: ClientError.unexpected_frame, out: [] };
    const fields = openedSignedFields(opened);
    const material = new Uint8Array(this.transcript.length + fields.length);
    material.set(this.transcript);
    material.set(fields, this.transcript.length);
    const digest = this.verifier.deriveKey('fleek-network handshake-opened v1', material);
    let valid = false;
    try {
      valid = ed25519.verify(opened.nodeSignature, digest, this.nodeKey);
    } catch {
      valid = false;  // a key or signature that does not decode
    }
    if (!valid) return { ok: false, error: ClientError.bad_node_signature, out: [] };
    if (!equalBytes(opened.sessionId, this.sessionId)) return { ok: false, error: ClientError.wrong_session, out: [] };
    this.opened = opened;
    // A resumed session continues from what the node holds a receipt for.
    if (opened.acknowledgedBytes > this.verifiedBytes) this.verifiedBytes = opened.acknowledgedBytes;
    if (opened.acknowledgedBytes > this.signedBytes) this.signedBytes = opened.acknowledgedBytes;
    return { ok: true, out: [] };
  }

  // The request payload for `hash` (32 bytes), optionally blocks { firstBlock, endBlock }.
  request(hash, range = undefined) {
    if (!this.opened || this.stream) throw new Error('request: the session is not open or a request is streaming');
    this.requestHash = hash;
    this.refusal = undefined;
    this.streamFailure = undefined;
    this.stream = this.verifier.streamVerifier(hash, range);
    return encodePayload({ type: 'request', hash, range });
  }

  signReceipt() {
    const receipt = {
      chainId: this.challenge.chainId, node: this.challenge.nodeKey, service: this.service,
      sessionId: this.sessionId, epoch: this.challenge.epoch, amount: this.verifiedBytes,
    };
    this.signedBytes = this.verifiedBytes;
    return encodePayload({ type: 'receipt', receipt: signReceipt(this.verifier, receipt, this.secretKey) });
  }

  onData(bytes) {
    if (!this.stream) return { ok: false, error: ClientError.unexpected_frame, out: [] };
    const out = [];
    const fed = this.stream.feed(bytes);
    if (!fed.ok) {
      this.streamFailure = fed;
      this.dropStream();
      return { ok: false, error: ClientError.stream_failed, out };
    }
    const interval = this.opened.receiptIntervalBytes > 0n ? this.opened.receiptIntervalBytes : 1n;
    for (const block of fed.blocks) {
      this.verifiedBytes += BigInt(block.bytes.length);
      if (this.verifiedBytes - this.signedBytes >= interval) out.push(this.signReceipt());
    }
    let done = false;
    if (this.stream.finish().ok) {  // the last block arrived: acknowledge the rest
      this.dropStream();
      done = true;
      if (this.verifiedBytes > this.signedBytes) out.push(this.signReceipt());
    }
    return { ok: true, out, blocks: fed.blocks, done };
  }

  dropStream() {
    if (this.stream) this.stream.destroy();
    this.stream = undefined;
  }
}
