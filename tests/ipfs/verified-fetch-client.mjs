// A real IPFS client reading from a Fleek node, for the node's trustless gateway tests.
//
//   <tools>/node verified-fetch-client.mjs NODE_URL JOBS.json      (tools: printed by tests/ipfs/install-tools)
//
// JOBS: [{"cid": "<cid>", "path": "/optional/path", "file": "/abs/expected/bytes"}]
// For each job, three independent checks against the expected file:
//   fetch: @helia/verified-fetch on a Helia node whose only block broker is the trustless
//          gateway client pointed at NODE_URL (it asks for every block with ?format=raw and
//          verifies each one), reading ipfs://<cid><path>;
//   car:   GET NODE_URL/ipfs/<cid><path>?format=car, every block checked against its CID with
//          multiformats' sha2-256, then ipfs-unixfs-exporter reads the content from those blocks;
//   raw:   GET NODE_URL/ipfs/<cid>?format=raw, checked against the CID.
// Prints {"results": [{"cid", "fetch", "car", "raw", "carBlocks", "error"?}]} and exits 0 only
// when every check of every job passed.
import fs from 'node:fs'
import { CarBlockIterator } from '@ipld/car'
import { fallbackRouter } from '@helia/fallback-router'
import { trustlessGatewayBlockBroker } from '@helia/trustless-gateway-client'
import { createVerifiedFetch } from '@helia/verified-fetch'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { createHeliaLight } from 'helia'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

const node = process.argv[2].replace(/\/$/, '')
const jobs = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'))

// The fallback router announces the node as an HTTP gateway provider for every CID. Marked as a
// regular router: Helia 7 asks fallback routers only after regular ones, and with none of those
// the provider search never ends.
const router = fallbackRouter({ gateways: [node], shuffle: false })
router.capabilities = () => []
const helia = await createHeliaLight({
  blockstore: new MemoryBlockstore(),
  routers: [router],
  blockBrokers: [trustlessGatewayBlockBroker({ allowInsecure: true, allowLocal: true })]
})
await helia.start()
const verifiedFetch = await createVerifiedFetch(helia)

function same (a, b) {
  return a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0
}

async function verify (cid, bytes) {
  if (cid.multihash.code !== sha256.code) throw new Error(`${cid}: not sha2-256`)
  const digest = await sha256.digest(bytes)
  return same(digest.bytes, cid.multihash.bytes)
}

async function viaVerifiedFetch (job, expected) {
  const response = await verifiedFetch(`ipfs://${job.cid}${job.path ?? ''}`, { session: false })
  if (!response.ok) throw new Error(`verified-fetch: HTTP ${response.status}`)
  return same(new Uint8Array(await response.arrayBuffer()), expected)
}

async function viaCar (job, expected) {
  const response = await fetch(`${node}/ipfs/${job.cid}${job.path ?? ''}?format=car`, {
    headers: { accept: 'application/vnd.ipld.car; version=1; order=dfs; dups=n' }
  })
  if (!response.ok) throw new Error(`CAR: HTTP ${response.status}`)
  const type = response.headers.get('content-type') ?? ''
  if (!type.startsWith('application/vnd.ipld.car')) throw new Error(`CAR: content-type ${type}`)
  const blocks = new MemoryBlockstore()
  let count = 0
  for await (const { cid, bytes } of await CarBlockIterator.fromBytes(new Uint8Array(await response.arrayBuffer()))) {
    if (!await verify(cid, bytes)) throw new Error(`CAR: block ${cid} does not match its CID`)
    await blocks.put(cid, bytes)
    count++
  }
  const entry = await exporter(`${job.cid}${job.path ?? ''}`, blocks)
  const chunks = []
  for await (const chunk of entry.content()) chunks.push(chunk)
  return { ok: same(Buffer.concat(chunks), expected), count }
}

async function viaRaw (job) {
  const cid = CID.parse(job.cid)
  const response = await fetch(`${node}/ipfs/${job.cid}?format=raw`, { headers: { accept: 'application/vnd.ipld.raw' } })
  if (!response.ok) throw new Error(`raw: HTTP ${response.status}`)
  return verify(cid, new Uint8Array(await response.arrayBuffer()))
}

const results = []
let allOk = true
for (const job of jobs) {
  const expected = fs.readFileSync(job.file)
  const result = { cid: job.cid, path: job.path ?? '' }
  try {
    result.fetch = await viaVerifiedFetch(job, expected)
    const car = await viaCar(job, expected)
    result.car = car.ok
    result.carBlocks = car.count
    result.raw = await viaRaw(job)
  } catch (error) {
    result.error = String(error)
  }
  allOk = allOk && result.fetch === true && result.car === true && result.raw === true
  results.push(result)
}
console.log(JSON.stringify({ results }))
await helia.stop()
process.exit(allOk ? 0 : 1)
