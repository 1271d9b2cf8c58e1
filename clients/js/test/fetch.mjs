// Fetches one content through a paid WebSocket session with this library and writes the verified
// bytes to a file: the C++ test HandshakeWebSocket.TheJavaScriptClient* runs it against the
// node's server (Node.js 20 needs --experimental-websocket for its WebSocket).
//
//   node --experimental-websocket test/fetch.mjs URL NODE_KEY_HEX CLIENT_SEED_HEX CHAIN_ID HASH_HEX OUT
//
// Prints `ok <bytes> signed <amount>`, or `failed <code> <detail>` with exit status 1.
import { writeFileSync } from 'node:fs';

import { fromHex, loadVerifier, openSession } from '../src/index.js';

const [url, nodeKeyHex, clientSeedHex, chainId, hashHex, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: fetch.mjs URL NODE_KEY_HEX CLIENT_SEED_HEX CHAIN_ID HASH_HEX OUT');
  process.exit(2);
}
const verifier = await loadVerifier();
try {
  const session = await openSession({
    url, verifier, clientSecretKey: fromHex(clientSeedHex), nodeKey: fromHex(nodeKeyHex), chainId: BigInt(chainId),
  });
  const bytes = await session.fetch(fromHex(hashHex));
  writeFileSync(out, bytes);
  console.log(`ok ${bytes.length} signed ${session.signedBytes}`);
  session.close();
} catch (error) {
  console.log(`failed ${error.code ?? 'error'} ${error.detail ?? error.message}`);
  process.exit(1);
}
