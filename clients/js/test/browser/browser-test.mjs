// The browser test of clients/js (issue 13, item 6): headless chromium, driven with puppeteer-core,
// opens page.html, which loads the library as plain ES modules from a static http server started
// here (the node's gateway serves uploaded content sandboxed, without scripts), opens a paid
// session to a real node over ws://127.0.0.1:<gateway>/handshake, fetches an 8 MiB PNG made here
// and uploaded to the node, and shows it. Then the same through a proxy that flips one byte of the
// content on its way from the node: the page must report a verification failure and show nothing.
//
//   node browser-test.mjs --gateway PORT --node-key HEX --client-seed HEX --chain-id N [--chromium PATH] [--screenshot PNG]
//
// The node must hold nothing for the client to pay yet and have approved the client's key
// (tests/browser_e2e_test.cpp prepares a one-node devnet). Prints one JSON line of what it saw,
// then `ok`, and exits 0; a failed check prints `FAIL <what>` lines and exits 1. Chromium runs as
// root only with --no-sandbox (its sandbox needs an unprivileged user): added when uid is 0.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';

import puppeteer from 'puppeteer-core';

const deadlineMs = 45_000;
const libraryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');  // clients/js

const { values: args } = parseArgs({
  options: {
    gateway: { type: 'string' },
    'node-key': { type: 'string' },
    'client-seed': { type: 'string' },
    'chain-id': { type: 'string' },
    chromium: { type: 'string' },
    screenshot: { type: 'string' },  // a PNG of the page after the image is shown (to look at it)
  },
});
for (const name of ['gateway', 'node-key', 'client-seed', 'chain-id']) {
  if (!args[name]) {
    console.error('usage: browser-test.mjs --gateway PORT --node-key HEX --client-seed HEX --chain-id N [--chromium PATH]');
    process.exit(2);
  }
}
const gatewayPort = Number(args.gateway);
const failures = [];
function check(condition, what) {
  if (!condition) failures.push(what);
  return condition;
}

// ------------------------------------------------------------------ an 8 MiB PNG, made here

// CRC-32 of PNG chunks (ISO 3309, the PNG specification's sample code). Not a security check.
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// The colour of pixel (x, y): a gradient with noise, so the image is not one colour and its rows
// do not repeat.
function pixel(x, y) {
  const noise = ((x * 2654435761) ^ (y * 40503)) >>> 0;
  return [(x * 255 / 1023) & 0xff, (y * 255 / 2719) & 0xff, noise & 0xff];
}

// An RGB PNG of width × height, padded to exactly `size` bytes with a tEXt comment.
function makePng(width, height, size) {
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y += 1) {
    const row = y * (1 + 3 * width);  // filter byte 0 (none), then the pixels
    for (let x = 0; x < width; x += 1) raw.set(pixel(x, y), row + 1 + 3 * x);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);  // 8 bits per sample, truecolour, deflate, adaptive filters, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = [signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))];
  const unpadded = parts.reduce((n, p) => n + p.length, 0);
  const keyword = Buffer.from('Comment\0', 'latin1');
  const padding = size - unpadded - 12 - keyword.length;
  if (padding < 0) throw new Error(`the image is ${unpadded} bytes before padding, over ${size}`);
  parts.splice(2, 0, chunk('tEXt', Buffer.concat([keyword, Buffer.alloc(padding, 'x')])));
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------ servers on loopback

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

// clients/js over http: the page, the library, its WebAssembly module and @noble packages.
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
function staticServer() {
  return http.createServer(async (request, response) => {
    const pathname = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    const file = path.resolve(libraryRoot, `.${pathname}`);
    const type = types[path.extname(file)];
    if (request.method !== 'GET' || !file.startsWith(libraryRoot + path.sep) || !type) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
}

// A TCP proxy to the gateway that, once the WebSocket upgrade went through, flips the last byte
// of the third data message (tag 03) of at least 4 KiB from the node: a byte of the verified
// stream deep inside the content, past its header. Frames are parsed (RFC 6455 §5.2) so that a
// message fragmented over several frames is followed to its end; everything else passes as it is.
function tamperingProxy(targetPort) {
  const state = { flipped: false, dataMessages: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    client.on('data', (bytes) => upstream.write(bytes));
    client.on('end', () => upstream.end());
    client.on('error', () => upstream.destroy());
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    let headerDone = false;
    let pending = Buffer.alloc(0);  // bytes of an incomplete frame header (or of the HTTP answer)
    let frame = undefined;          // the frame whose payload passes: { fin, data, length, at, decided, flipAt }
    let messageLength = 0;          // bytes of the current data message so far
    let messageTag = -1;            // its first byte
    upstream.on('data', (incoming) => {
      let bytes = Buffer.concat([pending, incoming]);
      pending = Buffer.alloc(0);
      const out = [];
      if (!headerDone) {
        const end = bytes.indexOf('\r\n\r\n');
        if (end < 0) {
          pending = bytes;
          return;
        }
        out.push(bytes.subarray(0, end + 4));
        bytes = bytes.subarray(end + 4);
        headerDone = true;
      }
      while (bytes.length > 0) {
        if (frame === undefined) {
          // A frame header: 2 bytes, the extended length, a mask key (none from a server).
          if (bytes.length < 2) break;
          const fin = (bytes[0] & 0x80) !== 0;
          const opcode = bytes[0] & 0x0f;
          let length = bytes[1] & 0x7f;
          const size = 2 + (length === 126 ? 2 : 0) + (length === 127 ? 8 : 0) + ((bytes[1] & 0x80) !== 0 ? 4 : 0);
          if (bytes.length < size) break;
          if (length === 126) length = bytes.readUInt16BE(2);
          if (length === 127) length = Number(bytes.readBigUInt64BE(2));
          out.push(bytes.subarray(0, size));
          bytes = bytes.subarray(size);
          // Data and continuation frames make messages; control frames (8 and up) stand apart.
          const data = opcode < 8;
          if (data && opcode !== 0) {
            messageLength = 0;
            messageTag = -1;
          }
          if (data) messageLength += length;
          frame = { fin, data, length, at: 0, decided: false, flipAt: -1 };
          if (length === 0) frame = undefined;
          continue;
        }
        const take = Math.min(frame.length - frame.at, bytes.length);
        const piece = Buffer.from(bytes.subarray(0, take));
        if (frame.data && messageTag === -1 && frame.at === 0) messageTag = piece[0];
        if (!frame.decided) {
          // Known once the message's first byte was seen: is this the end of the chosen message?
          frame.decided = true;
          if (frame.data && frame.fin && !state.flipped && messageTag === 3 && messageLength >= 4096) {
            state.dataMessages += 1;
            if (state.dataMessages === 3) frame.flipAt = frame.length - 1;
          }
        }
        if (frame.flipAt >= frame.at && frame.flipAt < frame.at + take) {
          piece[frame.flipAt - frame.at] ^= 0x01;
          state.flipped = true;
        }
        out.push(piece);
        frame.at += take;
        bytes = bytes.subarray(take);
        if (frame.at === frame.length) frame = undefined;
      }
      pending = Buffer.from(bytes);
      client.write(Buffer.concat(out));
    });
  });
  return { server, state };
}

// ------------------------------------------------------------------ the test

function which(program) {
  try {
    return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

const width = 1024;
const height = 2720;
const png = makePng(width, height, 8 << 20);
const put = await fetch(`http://127.0.0.1:${gatewayPort}/blake3`, { method: 'PUT', body: png });
const stored = await put.json();
if (!check(put.status === 201 && stored.size === png.length, `upload: HTTP ${put.status} ${JSON.stringify(stored)}`)) {
  for (const failure of failures) console.log(`FAIL ${failure}`);
  process.exit(1);
}

const files = staticServer();
const filesPort = await listen(files);
const proxy = tamperingProxy(gatewayPort);
const proxyPort = await listen(proxy.server);
const executablePath = args.chromium ?? which('chromium');
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage'],
});
const timer = setTimeout(() => {
  console.log(`FAIL the browser test did not finish within ${deadlineMs} ms`);
  process.exit(1);
}, deadlineMs);

const params = {
  nodeKey: args['node-key'], clientSeed: args['client-seed'], chainId: args['chain-id'], hash: stored.hash, type: 'image/png',
};
async function openPage() {
  const page = await browser.newPage();
  page.on('console', (message) => console.error(`page: ${message.text()}`));
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`http://127.0.0.1:${filesPort}/test/browser/page.html`);
  await page.waitForFunction(() => window.libraryReady === true, { timeout: 20_000 });
  return page;
}
const statusOf = (page) => page.$eval('#status', (element) => element.textContent);
const shownSize = (page) => page.$eval('#image', (element) => [element.naturalWidth, element.naturalHeight]);

const summary = { size: png.length, width, height, hash: stored.hash };
try {
  // Through the node's gateway: verified, shown, every byte signed for.
  const page = await openPage();
  const fetched = await page.evaluate((p) => window.fetchImage(p), { ...params, url: `ws://127.0.0.1:${gatewayPort}/handshake` });
  summary.fetched = fetched;
  summary.status = await statusOf(page);
  check(fetched.ok, `the fetch failed: ${fetched.message}`);
  check(fetched.bytes === png.length, `${fetched.bytes} bytes fetched, the image has ${png.length}`);
  check(fetched.signed === png.length, `${fetched.signed} bytes signed for, the image has ${png.length}`);
  check(fetched.width === width && fetched.height === height, `shown as ${fetched.width}x${fetched.height}, made ${width}x${height}`);
  check(summary.status === `displayed ${width}x${height} (${png.length} verified bytes)`, `status: ${summary.status}`);
  for (const [x, y] of [[0, 0], [1023, 0], [517, 1360], [1023, 2719]]) {
    const shown = await page.evaluate((px, py) => window.pixelAt(px, py), x, y);
    const want = [...pixel(x, y), 255];
    check(JSON.stringify(shown) === JSON.stringify(want), `pixel (${x}, ${y}) shown ${shown}, made ${want}`);
  }
  if (args.screenshot) await page.screenshot({ path: args.screenshot });

  // Through the tampering proxy: one flipped byte, the page reports the failed verification.
  const tampered = await openPage();
  const refused = await tampered.evaluate((p) => window.fetchImage(p), { ...params, url: `ws://127.0.0.1:${proxyPort}/handshake` });
  summary.tampered = refused;
  summary.tamperedStatus = await statusOf(tampered);
  summary.tamperedShown = await shownSize(tampered);
  check(proxy.state.flipped, 'the proxy flipped no byte');
  check(!refused.ok, 'the tampered content was accepted');
  check(refused.name === 'SessionError' && refused.code === 'stream_failed', `error ${refused.name} ${refused.code}: ${refused.message}`);
  check(/at block \d+/.test(refused.detail), `detail: ${refused.detail}`);
  check(summary.tamperedStatus.startsWith('verification failed: handshake session: stream_failed'), `status: ${summary.tamperedStatus}`);
  check(summary.tamperedShown[0] === 0 && summary.tamperedShown[1] === 0, `an image was shown: ${summary.tamperedShown}`);
  // Only verified bytes are acknowledged: the receipts stop before the tampered block.
  check(refused.signed <= refused.verified && refused.verified < png.length, `signed ${refused.signed}, verified ${refused.verified}`);
} finally {
  clearTimeout(timer);
  await browser.close();
  files.close();
  proxy.server.close();
}
console.log(JSON.stringify(summary));
for (const failure of failures) console.log(`FAIL ${failure}`);
if (failures.length > 0) process.exit(1);
console.log('ok');
process.exit(0);
