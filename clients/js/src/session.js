// A paid session over WebSocket: HandshakeClient (client.js) driven by a WebSocket to the
// node's `/handshake` endpoint on its HTTP port (docs/formats/handshake.md §WebSocket: one
// binary message is one frame payload, without the u32 length).
//
//   const session = await openSession({ url: 'ws://node:4220/handshake', verifier, clientSecretKey, nodeKey });
//   const bytes = await session.fetch(hash);   // verified; receipts signed as blocks arrive
//   session.close();

import { HandshakeClient, ClientError } from './client.js';

export class SessionError extends Error {
  // code: a ClientError, or 'closed' (the connection ended), 'timeout', 'busy' (a fetch is running).
  constructor(code, detail = undefined) {
    super(detail === undefined ? `handshake session: ${code}` : `handshake session: ${code} (${detail})`);
    this.name = 'SessionError';
    this.code = code;
    this.detail = detail;
  }
}

function randomSessionId() {
  const id = new Uint8Array(16);
  globalThis.crypto.getRandomValues(id);
  return id;
}

export function openSession(options) {
  const WS = options.WebSocket ?? globalThis.WebSocket;
  if (!WS) throw new Error('openSession: no WebSocket implementation');
  const client = new HandshakeClient({ ...options, sessionId: options.sessionId ?? randomSessionId() });
  const socket = new WS(options.url);
  socket.binaryType = 'arraybuffer';
  return new Session(client, socket, options.openTimeoutMs ?? 10000).opening;
}

export class Session {
  constructor(client, socket, openTimeoutMs) {
    this.client = client;
    this.socket = socket;
    this.closed = false;
    this.pending = undefined;  // { resolve, reject, chunks, onBlock } of the running fetch
    this.opening = new Promise((resolve, reject) => {
      this.openWaiter = { resolve, reject };
    });
    this.openTimer = setTimeout(() => this.fail(new SessionError('timeout', 'no opened frame in time')), openTimeoutMs);
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = () => this.fail(new SessionError('closed', this.client.termination));
    socket.onerror = () => this.fail(new SessionError('closed', 'websocket error'));
  }

  get sessionId() { return this.client.sessionId; }
  get token() { return this.client.opened?.token; }
  get verifiedBytes() { return this.client.verifiedBytes; }
  get signedBytes() { return this.client.signedBytes; }
  get termination() { return this.client.termination; }

  send(payloads) {
    for (const payload of payloads) this.socket.send(payload);
  }

  onMessage(data) {
    if (this.closed) return;
    if (!(data instanceof ArrayBuffer)) {
      this.fail(new SessionError(ClientError.malformed, 'a text message'));
      return;
    }
    const result = this.client.onPayload(new Uint8Array(data));
    this.send(result.out);
    if (!result.ok) {
      const client = this.client;
      const detail = result.error === ClientError.terminated ? client.termination
        : result.error === ClientError.refused ? client.refusal
        : result.error === ClientError.stream_failed ? `${client.streamFailure.error} at block ${client.streamFailure.block}` +
          (client.streamFailure.verifyError ? `: ${client.streamFailure.verifyError}` : '')
        : result.frameError;
      const error = new SessionError(result.error, detail);
      if (result.error === ClientError.refused) {
        this.settle((p) => p.reject(error));  // the session goes on
      } else {
        this.fail(error);
      }
      return;
    }
    if (this.openWaiter && this.client.isOpen()) {
      clearTimeout(this.openTimer);
      this.openWaiter.resolve(this);
      this.openWaiter = undefined;
      return;
    }
    if (this.pending && result.blocks) {
      for (const block of result.blocks) {
        this.pending.chunks.push(block.bytes);
        this.pending.onBlock?.(block.index, block.bytes);
      }
      if (result.done) {
        const chunks = this.pending.chunks;
        this.settle((p) => p.resolve(joinChunks(chunks)));
      }
    }
  }

  // Fetches content `hash` (32 bytes), optionally blocks { firstBlock, endBlock }; resolves with
  // its verified bytes. onBlock(index, bytes) sees each block as it verifies.
  fetch(hash, { range = undefined, onBlock = undefined } = {}) {
    if (this.closed) return Promise.reject(new SessionError('closed', this.client.termination));
    if (this.pending) return Promise.reject(new SessionError('busy'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, chunks: [], onBlock };
      this.socket.send(this.client.request(hash, range));
    });
  }

  settle(action) {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) action(pending);
  }

  fail(error) {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.openTimer);
    this.client.dropStream();
    if (this.openWaiter) this.openWaiter.reject(error);
    this.openWaiter = undefined;
    this.settle((p) => p.reject(error));
    try {
      this.socket.close();
    } catch {
      // already closing
    }
  }

  close() {
    this.fail(new SessionError('closed', 'closed by the client'));
  }
}

function joinChunks(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
