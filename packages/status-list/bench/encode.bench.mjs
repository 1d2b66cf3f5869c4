// Size and speed of a 1,000,000-entry status list (not a test: nothing here asserts a timing).
// Run: pnpm --filter @stateless-auth/status-list bench   (builds dist first)
import { performance } from 'node:perf_hooks'
import { versions } from 'node:process'
import { StatusList, StatusType, statusListTokenClaims } from '../dist/index.js'
import { randomInt, seededRandom } from '../test/helpers/random.mjs'

const SIZE = 1_000_000
const RUNS = 21

/** A 1-bit list of SIZE entries with exactly `rate × SIZE` distinct random entries INVALID. */
function listWith(rate, seed) {
  const random = seededRandom(seed)
  const list = new StatusList(SIZE, 1)
  let revoked = 0
  while (revoked < Math.round(rate * SIZE)) {
    const i = randomInt(random, SIZE)
    if (list.get(i) === StatusType.VALID) {
      list.set(i, StatusType.INVALID)
      revoked++
    }
  }
  return list
}

function median(fn) {
  for (let i = 0; i < 3; i++) fn() // warm-up
  const times = []
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now()
    fn()
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(RUNS / 2)]
}

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`

console.log(
  `node ${versions.node}, zlib ${versions.zlib}, ${SIZE.toLocaleString('en')} entries, 1 bit, median of ${RUNS}`,
)
console.log(
  '| INVALID | uncompressed | lst, level 9 | claims JSON | encode() | lst, rle | encode({ strategy: rle }) | decode |',
)
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const rate of [0.0001, 0.001, 0.01, 0.1]) {
  const list = listWith(rate, 2026)
  const lst = list.encode()
  const rle = list.encode({ strategy: 'rle' })
  const bytesOf = (text) => Buffer.from(text, 'base64url').length
  const now = Math.floor(Date.now() / 1000)
  const sub = 'https://as.example/statuslists/1'
  const claims = statusListTokenClaims({ sub, iat: now, exp: now + 300, ttl: 30, list })
  const encodeMs = median(() => list.encode())
  const rleMs = median(() => list.encode({ strategy: 'rle' }))
  const decodeMs = median(() => StatusList.decode(lst, 1))
  console.log(
    `| ${rate * 100} % | ${kb(list.byteLength)} | ${kb(bytesOf(lst))} | ${kb(JSON.stringify(claims).length)} | ` +
      `${encodeMs.toFixed(1)} ms | ${kb(bytesOf(rle))} | ${rleMs.toFixed(1)} ms | ${decodeMs.toFixed(2)} ms |`,
  )
}

// One status lookup, as the verifier does per request.
const list = listWith(0.01, 2026)
const random = seededRandom(7)
const indices = Uint32Array.from({ length: 1 << 20 }, () => randomInt(random, SIZE))
let sink = 0
const lookups = 20_000_000
const start = performance.now()
for (let n = 0; n < lookups; n++) sink += list.get(indices[n & 0xfffff])
const ns = ((performance.now() - start) * 1e6) / lookups
console.log(
  `get(): ${ns.toFixed(1)} ns per lookup (${lookups.toLocaleString('en')} random lookups, ${sink} INVALID hits)`,
)
