// The Fastify plugin's cost per request over real HTTP, side by side with the floors it is judged against: no
// authentication, raw fast-jwt with the key in hand, the core alone in a bare preHandler, and jose's jwtVerify +
// createRemoteJWKSet. Each server runs in its own process (bench/fastify-server.mjs); the load comes from
// autocannon in this one. The figure that matters is the server's CPU time per request (robust to a shared
// machine), plus throughput. Rounds are interleaved with a rotating order and medians are reported.
// Run: pnpm --filter @stateless-auth/verifier bench:fastify [--quick] [--cpu-prof DIR] [--only a,b]
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { resolve } from 'node:path'
import autocannon from 'autocannon'
import { AUDIENCE, makeKey, signToken } from './tokens.mjs'

const args = process.argv.slice(2)
const arg = (name) => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const quick = args.includes('--quick')
const cpuProfDir = arg('--cpu-prof')
const ROUNDS = Number(arg('--rounds') ?? (quick ? 2 : 5))
const SECONDS = Number(arg('--seconds') ?? (quick ? 1 : 3))
const CONNECTIONS = 32
const TOKENS = 200
const ALL = [
  'none',
  'hooks',
  'plugin-unused',
  'plugin',
  'plugin-cache',
  'plugin-config',
  'core',
  'raw',
  'jose',
]
const baselineDir = arg('--baseline')
const MODES = arg('--only')?.split(',') ?? [
  ...ALL,
  ...(baselineDir ? ['baseline:plugin', 'baseline:plugin-cache'] : []),
]
const LABELS = {
  none: 'no authentication (ceiling)',
  hooks: 'two no-op async hooks (no auth)',
  'plugin-unused': 'plugin registered, route not guarded',
  'baseline:plugin': 'baseline build: plugin, cache off',
  'baseline:plugin-cache': 'baseline build: plugin, cache on',
  plugin: 'plugin, cache off (preHandler)',
  'plugin-cache': 'plugin, cache on (preHandler)',
  'plugin-config': 'plugin, route config (onRequest)',
  core: 'core verify() in a bare preHandler',
  raw: 'raw fast-jwt, key in hand',
  jose: 'jose jwtVerify + remote JWKS',
}

const key = makeKey('RS256')
const { publicKey, jwk } = key
const jwks = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
})
jwks.listen(0, '127.0.0.1')
await once(jwks, 'listening')
const issuer = `http://127.0.0.1:${jwks.address().port}`

const requests = Array.from({ length: TOKENS }, () => ({
  method: 'GET',
  path: '/resource',
  headers: { authorization: `Bearer ${signToken(key, issuer, { scope: 'orders:read orders:write' })}` },
}))

const config = JSON.stringify({
  issuer,
  audience: AUDIENCE,
  jwksUri: `${issuer}/jwks.json`,
  pem: publicKey.export({ type: 'spki', format: 'pem' }),
})

async function start(mode) {
  const child = fork(new URL('./fastify-server.mjs', import.meta.url), [mode], {
    env: {
      ...process.env,
      BENCH_CONFIG: config,
      ...(baselineDir ? { BENCH_BASELINE: resolve(baselineDir) } : {}),
    },
    execArgv: cpuProfDir
      ? [
          '--cpu-prof',
          '--cpu-prof-dir',
          cpuProfDir,
          '--cpu-prof-name',
          `${mode.replace(':', '-')}.cpuprofile`,
        ]
      : [],
  })
  const [{ url }] = await once(child, 'message')
  const ask = async (question) => {
    child.send(question)
    const [answer] = await once(child, 'message')
    return answer
  }
  return { mode, url, child, ask }
}

function load(url, seconds) {
  return new Promise((resolve, reject) => {
    let failed = 0
    const instance = autocannon(
      { url, connections: CONNECTIONS, pipelining: 1, duration: seconds, requests },
      (err, result) => (err ? reject(err) : resolve({ ...result, failed })),
    )
    instance.on('response', (_c, status) => {
      if (status !== 200) failed++
    })
  })
}

async function measure(server, seconds) {
  const before = (await server.ask('cpu')).cpu
  const result = await load(server.url, seconds)
  const after = (await server.ask('cpu')).cpu
  if (result.failed > 0 || result.errors > 0)
    throw new Error(`${server.mode}: ${result.failed} failed requests`)
  const ok = result.requests.total
  server.total = (server.total ?? 0) + ok
  return { rps: ok / seconds, cpu: (after - before) / ok }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const servers = []
for (const mode of MODES) servers.push(await start(mode))
for (const server of servers) await measure(server, quick ? 1 : 2) // warm-up: JIT, JWKS, caches
const samples = Object.fromEntries(MODES.map((m) => [m, { rps: [], cpu: [] }]))
for (let round = 0; round < ROUNDS; round++) {
  for (let j = 0; j < servers.length; j++) {
    const server = servers[(round + j) % servers.length]
    const { rps, cpu } = await measure(server, SECONDS)
    samples[server.mode].rps.push(rps)
    samples[server.mode].cpu.push(cpu)
  }
}
for (const server of servers) {
  server.child.send('close')
  await once(server.child, 'exit')
}
jwks.close()
if (cpuProfDir) {
  console.log(`\nprofiles in ${cpuProfDir}; requests served (warm-up included):`)
  for (const server of servers) console.log(`  ${server.mode}: ${server.total}`)
}

const rows = MODES.map((m) => ({ mode: m, rps: median(samples[m].rps), cpu: median(samples[m].cpu) }))
const by = Object.fromEntries(rows.map((r) => [r.mode, r]))
const pad = (s, n) => String(s).padEnd(n)
const lpad = (s, n) => String(s).padStart(n)
console.log(
  `\nFastify plugin path — node ${process.version}, RS256, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds × ${SECONDS} s, median\n`,
)
console.log(`${pad('row', 38)}${lpad('req/s', 9)}${lpad('server CPU µs/req', 19)}${lpad('vs ceiling', 12)}`)
console.log('-'.repeat(78))
const ceiling = by.none
for (const r of rows) {
  const ratio = ceiling ? `${(ceiling.cpu / r.cpu).toFixed(2)}x` : ''
  console.log(
    `${pad(LABELS[r.mode], 38)}${lpad(Math.round(r.rps).toLocaleString('en-US'), 9)}${lpad(r.cpu.toFixed(1), 19)}${lpad(ratio, 12)}`,
  )
}
const ratio = (a, b) => (by[a] && by[b] ? `${(by[b].cpu / by[a].cpu).toFixed(2)}x` : 'n/a')
console.log('\nthroughput ratios from CPU per request (higher is better for the first row):')
console.log(`  plugin cache off vs raw fast-jwt:  ${ratio('plugin', 'raw')}`)
console.log(`  plugin cache off vs core alone:    ${ratio('plugin', 'core')}`)
console.log(`  plugin cache off vs jose:          ${ratio('plugin', 'jose')}  (target >= 1.0x)`)
console.log(`  plugin cache off vs ceiling:       ${ratio('plugin', 'none')}`)
console.log(`  plugin cache on vs ceiling:        ${ratio('plugin-cache', 'none')}  (target >= 0.85x)`)
console.log(`  unguarded route vs ceiling:        ${ratio('plugin-unused', 'none')}`)
if (baselineDir) {
  console.log(`  baseline cache off vs raw:         ${ratio('baseline:plugin', 'raw')}`)
  console.log(`  baseline cache off vs jose:        ${ratio('baseline:plugin', 'jose')}`)
  console.log(`  baseline cache on vs ceiling:      ${ratio('baseline:plugin-cache', 'none')}`)
  console.log(`  this build vs baseline, cache off: ${ratio('plugin', 'baseline:plugin')}`)
  console.log(`  this build vs baseline, cache on:  ${ratio('plugin-cache', 'baseline:plugin-cache')}`)
}
