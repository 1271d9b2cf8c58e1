// Frames of a paid client session (docs/formats/handshake.md), the same codec as
// src/edge/handshake_frames.h. Pure: no I/O.
//
//   frame    = length u32 LE | payload   (TCP; over WebSocket one binary message is one payload)
//   payload  = tag u8 | body             (canonical encoding)
//
// Decoders return { frame } or { error } with the C++ FrameError names: empty_frame,
// frame_too_large, truncated, trailing_bytes, unknown_tag, invalid_value. u64 fields are BigInt.

import { Reader, Writer } from './bytes.js';

export const PROTOCOL_VERSION = 1;
export const CLIENT_FRAME_MAX_BYTES = 1024;
export const NODE_FRAME_MAX_BYTES = 256 * 1024 + 4096;
export const SIGNED_RECEIPT_SIZE = 172;

export const Tag = Object.freeze({
  challenge: 0x01,
  opened: 0x02,
  data: 0x03,
  refused: 0x04,
  terminate: 0x05,
  open: 0x10,
  request: 0x11,
  receipt: 0x12,
});

export const TerminationReason = Object.freeze({
  0x01: 'bad_signature',
  0x02: 'unapproved_client',
  0x03: 'insufficient_funds',
  0x04: 'unknown_service',
  0x05: 'window_exceeded',
  0x06: 'token_expired',
  0x07: 'unknown_token',
  0x08: 'token_mismatch',
  0x09: 'timeout',
  0x0a: 'frame_too_large',
  0x0b: 'malformed',
  0x0c: 'unexpected_frame',
  0x0d: 'server_busy',
  0x0e: 'session_exists',
  0x10: 'receipt_wrong_chain',
  0x11: 'receipt_wrong_node',
  0x12: 'receipt_wrong_service',
  0x13: 'receipt_wrong_session',
  0x14: 'receipt_wrong_epoch',
  0x15: 'receipt_wrong_client',
  0x16: 'receipt_amount_decreased',
  0x17: 'receipt_amount_exceeds_sent',
  0x18: 'receipt_bad_signature',
  0x19: 'receipt_not_stored',
  0x1a: 'shutdown',
});

export const ContentRefusal = Object.freeze({
  0x01: 'not_found',
  0x02: 'bad_range',
  0x03: 'busy',
  0x04: 'unavailable',
});

function codeOf(table, name) {
  for (const [code, n] of Object.entries(table)) if (n === name) return Number(code);
  throw new RangeError(`unknown name ${name}`);
}

function fixed(bytes, size, what) {
  if (!(bytes instanceof Uint8Array) || bytes.length !== size) {
    throw new TypeError(`${what} must be ${size} bytes`);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------- encoding

function writeChallengeBody(w, c) {
  return w.u8(c.version ?? PROTOCOL_VERSION).u64(c.chainId).u64(c.epoch)
    .fixed(fixed(c.nodeKey, 32, 'nodeKey')).fixed(fixed(c.nonce, 32, 'nonce'));
}

// The opened fields the node signs after the transcript (everything but the signature).
export function openedSignedFields(o) {
  return new Writer().fixed(fixed(o.sessionId, 16, 'sessionId')).fixed(fixed(o.token, 32, 'token'))
    .u64(o.tokenTtlMs).u64(o.acknowledgedBytes).u64(o.receiptIntervalBytes).u64(o.windowBytes).take();
}

// The open fields that follow the challenge body in the transcript (everything but the signature).
export function openSignedFields(o) {
  const w = new Writer().fixed(fixed(o.clientKey, 32, 'clientKey')).fixed(fixed(o.sessionId, 16, 'sessionId')).u32(o.service);
  if (o.token) w.u8(1).fixed(fixed(o.token, 32, 'token'));
  else w.u8(0);
  return w.take();
}

export function challengeBody(c) {
  return writeChallengeBody(new Writer(), c).take();
}

// Payload (tag and body) of a frame { type, ...fields }.
export function encodePayload(frame) {
  const w = new Writer().u8(Tag[frame.type]);
  switch (frame.type) {
    case 'challenge': writeChallengeBody(w, frame); break;
    case 'opened': w.fixed(openedSignedFields(frame)).fixed(fixed(frame.nodeSignature, 64, 'nodeSignature')); break;
    case 'data':
      if (frame.bytes.length === 0) throw new RangeError('a data frame carries at least one byte');
      w.fixed(frame.bytes);
      break;
    case 'refused': w.fixed(fixed(frame.hash, 32, 'hash')).u8(codeOf(ContentRefusal, frame.reason)); break;
    case 'terminate': w.u8(codeOf(TerminationReason, frame.reason)); break;
    case 'open': w.fixed(openSignedFields(frame)).fixed(fixed(frame.signature, 64, 'signature')); break;
    case 'request':
      w.fixed(fixed(frame.hash, 32, 'hash'));
      if (frame.range) w.u8(1).u64(frame.range.firstBlock).u64(frame.range.endBlock);
      else w.u8(0);
      break;
    case 'receipt': w.fixed(fixed(frame.receipt, SIGNED_RECEIPT_SIZE, 'receipt')); break;
    default: throw new TypeError(`unknown frame type ${frame.type}`);
  }
  const payload = w.take();
  const max = Tag[frame.type] >= Tag.open ? CLIENT_FRAME_MAX_BYTES : NODE_FRAME_MAX_BYTES;
  if (payload.length > max) throw new RangeError(`${frame.type} frame of ${payload.length} bytes is over ${max}`);
  return payload;
}

// The TCP framing: u32 LE length, then the payload.
export function withLength(payload) {
  return new Writer().u32(payload.length).fixed(payload).take();
}

// ---------------------------------------------------------------------------------- decoding

function finish(r, frame) {
  if (r.truncated) return { error: 'truncated' };
  if (r.remaining() !== 0) return { error: 'trailing_bytes' };
  return { frame };
}

function readOptionalMarker(r) {
  const marker = r.u8();
  if (r.truncated) return undefined;
  if (marker > 1) return null;  // invalid
  return marker === 1;
}

function decodeBody(tag, r) {
  switch (tag) {
    case Tag.challenge: {
      const version = r.u8();
      if (!r.truncated && version !== PROTOCOL_VERSION) return { error: 'invalid_value' };
      const chainId = r.u64();
      const epoch = r.u64();
      const nodeKey = r.take(32);
      const nonce = r.take(32);
      return finish(r, { type: 'challenge', version, chainId, epoch, nodeKey, nonce });
    }
    case Tag.opened: {
      const frame = {
        type: 'opened', sessionId: r.take(16), token: r.take(32), tokenTtlMs: r.u64(), acknowledgedBytes: r.u64(),
        receiptIntervalBytes: r.u64(), windowBytes: r.u64(), nodeSignature: r.take(64),
      };
      return finish(r, frame);
    }
    case Tag.refused: {
      const hash = r.take(32);
      const code = r.u8();
      if (!r.truncated && !(code in ContentRefusal)) return { error: 'invalid_value' };
      return finish(r, { type: 'refused', hash, reason: ContentRefusal[code] });
    }
    case Tag.terminate: {
      const code = r.u8();
      if (!r.truncated && !(code in TerminationReason)) return { error: 'invalid_value' };
      return finish(r, { type: 'terminate', reason: TerminationReason[code] });
    }
    case Tag.open: {
      const clientKey = r.take(32);
      const sessionId = r.take(16);
      const service = r.u32();
      const hasToken = readOptionalMarker(r);
      if (hasToken === null) return { error: 'invalid_value' };
      const token = hasToken ? r.take(32) : undefined;
      const signature = r.take(64);
      return finish(r, { type: 'open', clientKey, sessionId, service, token, signature });
    }
    case Tag.request: {
      const hash = r.take(32);
      const hasRange = readOptionalMarker(r);
      if (hasRange === null) return { error: 'invalid_value' };
      const range = hasRange ? { firstBlock: r.u64(), endBlock: r.u64() } : undefined;
      return finish(r, { type: 'request', hash, range });
    }
    case Tag.receipt:
      return finish(r, { type: 'receipt', receipt: r.take(SIGNED_RECEIPT_SIZE) });
    default:
      return { error: 'unknown_tag' };
  }
}

function decode(payload, max, tags) {
  if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
  if (payload.length === 0) return { error: 'empty_frame' };
  if (payload.length > max) return { error: 'frame_too_large' };
  const tag = payload[0];
  if (!tags.includes(tag)) return { error: 'unknown_tag' };
  if (tag === Tag.data) {
    if (payload.length === 1) return { error: 'truncated' };
    return { frame: { type: 'data', bytes: payload.subarray(1) } };
  }
  return decodeBody(tag, new Reader(payload.subarray(1)));
}

// A payload the node sent (challenge, opened, data, refused, terminate).
export function decodeNodePayload(payload) {
  return decode(payload, NODE_FRAME_MAX_BYTES, [Tag.challenge, Tag.opened, Tag.data, Tag.refused, Tag.terminate]);
}

// A payload a client sent (open, request, receipt).
export function decodeClientPayload(payload) {
  return decode(payload, CLIENT_FRAME_MAX_BYTES, [Tag.open, Tag.request, Tag.receipt]);
}
