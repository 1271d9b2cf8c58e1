// Delivery receipts (docs/formats/delivery-receipts.md), signed with the client's Ed25519 key.
//
//   DeliveryReceipt       = chain_id u64 ‖ node [32] ‖ service u32 ‖ session_id [16] ‖ epoch u64 ‖ amount u64
//   signed message        = object_digest("delivery-receipt", DeliveryReceipt)
//   SignedDeliveryReceipt = DeliveryReceipt ‖ client_key [32] ‖ signature [64]      (172 bytes)

import { ed25519 } from '@noble/curves/ed25519.js';

import { Writer } from './bytes.js';

export function encodeReceipt(r) {
  return new Writer().u64(r.chainId).fixed(r.node).u32(r.service).fixed(r.sessionId).u64(r.epoch).u64(r.amount).take();
}

// The 164-byte signed receipt. `verifier` provides objectDigest (the WebAssembly module).
export function signReceipt(verifier, receipt, clientSecretKey) {
  const encoded = encodeReceipt(receipt);
  const digest = verifier.objectDigest('delivery-receipt', encoded);
  const signature = ed25519.sign(digest, clientSecretKey);
  return new Writer().fixed(encoded).fixed(ed25519.getPublicKey(clientSecretKey)).fixed(signature).take();
}
