// A real IPFS implementation as a trustless gateway on loopback, for the node's IPFS origin tests:
// Helia + @helia/verified-fetch over an in-memory blockstore filled with test content by
// ipfs-unixfs-importer. Nothing goes to the network.
//
//   <tools>/node helia-gateway.mjs SPEC.json      (tools: the directory tests/ipfs/install-tools prints)
//
// SPEC: {"entries": [{"name": "a", "path": "/abs/file-or-dir", "profile": "kubo" | "v1",
//                     "chunkSize": 262144, "maxChildren": 174, "shardSplitThresholdBytes": 262144}],
//        "corrupt": false}
// With "corrupt": true, every block but the requested root is sent with one byte flipped, in raw
// answers and inside CARs: a lying gateway. Other misbehaviour of real gateways:
//   "carBlocks": N      CAR answers end after N blocks
//   "strangerAfter": N  CAR answers carry, after N blocks, a valid block that no DAG here reaches
//   "raw": false        raw-block requests answer 502
// Prints one JSON line {"url": "...", "roots": {"a": "<cid>"}} and serves until killed.
// GET /_stats answers {"requests", "car", "raw"}.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { Readable } from 'node:stream'
import { CarBlockIterator, CarWriter } from '@ipld/car'
import { createVerifiedFetch } from '@helia/verified-fetch'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createHeliaLight } from 'helia'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const blockstore = new MemoryBlockstore()
const roots = {}

function * walk (base, relative) {
  const full = path.join(base, relative)
  const stat = fs.lstatSync(full)
  if (stat.isDirectory()) {
    yield { path: relative }
    for (const name of fs.readdirSync(full).sort()) yield * walk(base, path.join(relative, name))
  } else if (stat.isFile()) {
    yield { path: relative, content: fs.createReadStream(full) }
  }
}

for (const entry of spec.entries) {
  const v1 = entry.profile === 'v1'
  const options = {
    cidVersion: v1 ? 1 : 0,
    rawLeaves: v1,
    leafType: 'file',
    chunker: fixedSize({ chunkSize: entry.chunkSize ?? 262144 }),
    layout: balanced({ maxChildrenPerNode: entry.maxChildren ?? 174 }),
    shardSplitThresholdBytes: entry.shardSplitThresholdBytes ?? 262144,
    wrapWithDirectory: false
  }
  const source = [...walk(path.dirname(entry.path), path.basename(entry.path))]
  let last
  for await (const imported of importer(source, blockstore, options)) last = imported
  roots[entry.name] = last.cid.toString()
}

const helia = await createHeliaLight({ blockstore, routers: [], blockBrokers: [] })
await helia.start()
const verifiedFetch = await createVerifiedFetch(helia)
const stats = { requests: 0, car: 0, raw: 0 }

function flip (bytes) {
  const copy = Uint8Array.from(bytes)
  if (copy.length > 0) copy[Math.floor(copy.length / 2)] ^= 0x01
  return copy
}

const strangerBytes = new TextEncoder().encode('a block that no DAG of this gateway reaches')
const stranger = { cid: CID.createV1(0x55, await sha256.digest(strangerBytes)), bytes: strangerBytes }

// The CAR cut after spec.carBlocks blocks, with the stranger block after spec.strangerAfter.
async function misbehavingCar (bytes, root) {
  const blocks = []
  for await (const block of await CarBlockIterator.fromBytes(bytes)) blocks.push(block)
  const { writer, out } = CarWriter.create([root])
  const chunks = []
  const collecting = (async () => { for await (const chunk of out) chunks.push(chunk) })()
  for (let i = 0; i < blocks.length; i++) {
    if (i === spec.strangerAfter) await writer.put(stranger)
    if (i === spec.carBlocks) break
    await writer.put(blocks[i])
  }
  await writer.close()
  await collecting
  return Buffer.concat(chunks)
}

async function corruptCar (bytes, root) {
  const blocks = []
  for await (const block of await CarBlockIterator.fromBytes(bytes)) blocks.push(block)
  const { writer, out } = CarWriter.create([root])
  const chunks = []
  const collecting = (async () => { for await (const chunk of out) chunks.push(chunk) })()
  for (const block of blocks) {
    await writer.put({ cid: block.cid, bytes: block.cid.equals(root) ? block.bytes : flip(block.bytes) })
  }
  await writer.close()
  await collecting
  return Buffer.concat(chunks)
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost')
    if (url.pathname === '/_stats') {
      const body = JSON.stringify(stats)
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
      return
    }
    stats.requests++
    const match = url.pathname.match(/^\/ipfs\/([^/]+)(\/.*)?$/)
    if (!match) {
      res.writeHead(404)
      res.end('not found')
      return
    }
    const cid = CID.parse(match[1])
    if (!await blockstore.has(cid)) {
      // verified-fetch would answer 500 for a block nobody has; a gateway says 404.
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: `${cid} not found` }))
      return
    }
    const headers = {}
    // verified-fetch ignores ?format= in ipfs:// URLs: map it to Accept, as clients should send both.
    const format = url.searchParams.get('format')
    url.searchParams.delete('format')
    if (format === 'raw') headers.accept = 'application/vnd.ipld.raw'
    else if (format === 'car') headers.accept = 'application/vnd.ipld.car'
    else if (req.headers.accept) headers.accept = req.headers.accept
    if (req.headers.range) headers.range = req.headers.range
    const wantsCar = (headers.accept ?? '').includes('vnd.ipld.car')
    const wantsRaw = (headers.accept ?? '').includes('vnd.ipld.raw')
    if (wantsCar) stats.car++
    if (wantsRaw) stats.raw++
    if (wantsRaw && spec.raw === false) {
      res.writeHead(502, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: 'raw blocks are not served here' }))
      return
    }
    const query = url.searchParams.toString()
    const response = await verifiedFetch(`ipfs://${match[1]}${match[2] ?? ''}${query ? '?' + query : ''}`, { headers, session: false })
    const out = {}
    response.headers.forEach((value, key) => { out[key] = value })
    if (wantsCar && response.ok && (spec.carBlocks != null || spec.strangerAfter != null)) {
      const changed = await misbehavingCar(new Uint8Array(await response.arrayBuffer()), cid)
      delete out['content-length']
      res.writeHead(response.status, out)
      res.end(changed)
      return
    }
    if (spec.corrupt && response.ok && (wantsCar || wantsRaw)) {
      const body = new Uint8Array(await response.arrayBuffer())
      const isRoot = Object.values(roots).some(root => CID.parse(root).multihash.bytes.toString() === cid.multihash.bytes.toString())
      const changed = wantsCar ? await corruptCar(body, cid) : (isRoot ? body : flip(body))
      delete out['content-length']
      res.writeHead(response.status, out)
      res.end(changed)
      return
    }
    res.writeHead(response.status, out)
    if (response.body == null) {
      res.end()
      return
    }
    Readable.fromWeb(response.body).pipe(res)
  } catch (error) {
    res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: String(error) }))
  }
})

server.listen(spec.port ?? 0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, roots }))
})
process.on('SIGTERM', () => { server.close(); process.exit(0) })
// A test that dies without stopping us (a crash, a kill) must not leave us running.
const parent = process.ppid
setInterval(() => { if (process.ppid !== parent) process.exit(0) }, 1000).unref()
