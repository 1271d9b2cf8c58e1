// Fleek Network client library for web pages (plain ES modules).
export { loadVerifier, VerifierModule, StreamVerifier, BLOCK_SIZE } from './verifier.js';
export { HandshakeClient, ClientError } from './client.js';
export { openSession, Session, SessionError } from './session.js';
export { encodeReceipt, signReceipt } from './receipt.js';
export * as frames from './frames.js';
export { toHex, fromHex } from './bytes.js';
