// Known-answer vectors for BLS12-381 min-sig signatures with proof of possession (the scheme of
// src/crypto/bls.h: public keys in G2, signatures in G1, draft-irtf-cfrg-bls-signature-05 §3.3),
// computed with @noble/curves, an implementation independent of blst. The output is pinned in
// the repository (tests/vectors/README.md); regenerate with `npm ci && npm run generate`.
import { bls12_381 } from '@noble/curves/bls12-381.js';

const bls = bls12_381.shortSignatures;
const SIGNATURE_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_';
const POSSESSION_DST = 'BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const fromHex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));
const text = (string) => new TextEncoder().encode(string);

// Secret keys as 32-byte big-endian scalars below the group order: the smallest, one from the
// Ethereum consensus test vectors, and two arbitrary ones.
const secretKeys = [
  '0000000000000000000000000000000000000000000000000000000000000001',
  '263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3',
  '47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138',
  '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
];
const messages = [new Uint8Array(0), text('abc'), new Uint8Array(32), text('fleek network consensus')];

const keys = secretKeys.map((secretHex) => {
  const secret = fromHex(secretHex);
  const publicKey = bls.getPublicKey(secret).toBytes(true);
  return {
    secret_key: secretHex,
    public_key: hex(publicKey),
    proof_of_possession: hex(bls.sign(bls.hash(publicKey, POSSESSION_DST), secret).toBytes(true)),
    signatures: messages.map((message) => ({
      message: hex(message),
      signature: hex(bls.sign(bls.hash(message, SIGNATURE_DST), secret).toBytes(true)),
    })),
  };
});

// Every key signs the same message (fast aggregate verify), and key i signs message i
// (aggregate verify).
const same = messages[3];
const sameSignatures = keys.map((key) => key.signatures[3].signature);
const distinctSignatures = keys.map((key, i) => key.signatures[i].signature);
const vectors = {
  scheme: 'BLS12-381 min-sig (G2 public keys, G1 signatures), proof of possession',
  signature_dst: SIGNATURE_DST,
  possession_dst: POSSESSION_DST,
  generator: '@noble/curves 2.4.0 bls12_381.shortSignatures',
  keys,
  fast_aggregate: {
    message: hex(same),
    aggregate_public_key: hex(bls.aggregatePublicKeys(keys.map((key) => fromHex(key.public_key))).toBytes(true)),
    aggregate_signature: hex(bls.aggregateSignatures(sameSignatures.map(fromHex)).toBytes(true)),
  },
  aggregate: {
    messages: keys.map((_, i) => hex(messages[i])),
    aggregate_signature: hex(bls.aggregateSignatures(distinctSignatures.map(fromHex)).toBytes(true)),
  },
};
// Sanity: noble verifies what it produced (the C++ test checks our wrapper against these bytes).
for (const key of keys) {
  for (const { message, signature } of key.signatures) {
    if (!bls.verify(fromHex(signature), bls.hash(fromHex(message), SIGNATURE_DST), fromHex(key.public_key))) throw new Error('self-check');
  }
}
process.stdout.write(JSON.stringify(vectors, null, 2) + '\n');
