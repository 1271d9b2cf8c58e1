// Checks that the Node.js running this script satisfies the `engines.node` range of every package
// installed from package-lock.json, with npm's own `semver` package. npm only warns about engines,
// and it checks them against the Node.js running npm, not the pinned one the tools run on.
//
//   <dir>/node check-engines.mjs <dir>      (dir: where tests/ipfs/install-tools ran `npm ci`)
//
// Prints how many packages were checked; exits 1 naming every package whose range excludes this
// Node.js or that the lock lists but is not installed (optional packages of other CPUs excepted).
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const dir = path.resolve(process.argv[2] ?? '.')
const semver = createRequire(path.join(dir, 'package.json'))('semver')
const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'))

const failures = []
let checked = 0
for (const [where, locked] of Object.entries(lock.packages)) {
  if (where === '') continue
  const manifestPath = path.join(dir, where, 'package.json')
  if (!fs.existsSync(manifestPath)) {
    if (!locked.optional) failures.push(`${where}: in package-lock.json but not installed`)
    continue
  }
  const range = JSON.parse(fs.readFileSync(manifestPath, 'utf8')).engines?.node
  if (typeof range !== 'string') continue
  checked += 1
  if (!semver.satisfies(process.version, range)) failures.push(`${where}: engines.node ${range}`)
}

if (failures.length > 0) {
  console.error(`check-engines: Node.js ${process.version} does not run what ${dir} holds:\n  ${failures.join('\n  ')}`)
  process.exit(1)
}
console.log(`check-engines: Node.js ${process.version} satisfies the engines of ${checked} packages`)
