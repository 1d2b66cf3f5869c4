// Verifications per second: this package's core (cache off / on) and the Fastify plugin's `authenticate` hook
// against raw fast-jwt with the key in hand and jose's jwtVerify + createRemoteJWKSet, for RS256, ES256 and EdDSA,
// side by side in one run. The plugin rows call the hook as Fastify does (request, reply, done) on a real Fastify
// request captured once, with its Authorization header swapped per call: the plugin's own cost without HTTP or
// inject (bench/fastify.bench.mjs measures it over real HTTP). `--baseline DIR` adds the plugin rows of another
// build (a dist directory), to compare a change with what it replaces in the same run.
// Rounds are interleaved (every contender runs once per round, in rotating order) and the median is reported,
// so machine noise hits all contenders alike. A DPoP section compares Bearer and DPoP requests with one bare ES256
// signature check. Run: pnpm --filter @stateless-auth/verifier bench [--quick]
import { createHash, generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto'
import { createServer } from 'node:http'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createVerifier as fastJwtVerifier } from 'fast-jwt'
import Fastify from 'fastify'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import verifierPlugin from '../dist/adapters/fastify.js'
import { createVerifier } from '../dist/index.js'
import { AUDIENCE, b64, makeKey, signToken } from './tokens.mjs'

const quick = process.argv.includes('--quick')
// --dpop: only the DPoP section (Bearer vs DPoP vs one ES256 signature check).
const dpopOnly = process.argv.includes('--dpop')
const baselineAt = process.argv.indexOf('--baseline')
const baselinePlugin =
  baselineAt === -1
    ? undefined
    : (await import(pathToFileURL(resolve(process.argv[baselineAt + 1], 'adapters/fastify.js')).href)).default
const ROUNDS = quick ? 5 : 15
const BATCH_MS = quick ? 60 : 150
const TOKENS = 2000

// Verifications per second with CONCURRENCY of them in flight, as a server under load has: a verifier that hands the
// signature check to the thread pool (this package's core, jose's WebCrypto) is measured by its throughput, not by
// the latency of one check at a time; a synchronous one (raw fast-jwt) runs exactly as before.
const CONCURRENCY = 32

async function measure(fn, tokens) {
  let ops = 0
  let i = 0
  const start = performance.now()
  let elapsed = 0
  const lane = async () => {
    while (elapsed < BATCH_MS) {
      for (let k = 0; k < 8; k++) {
        const token = tokens[i]
        i = (i + 1) % tokens.length
        await fn(token)
      }
      ops += 8
      elapsed = performance.now() - start
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  return (ops / elapsed) * 1000
}

// The plugin's `authenticate`, called the way Fastify calls a hook, on one captured request whose Authorization
// header (raw and parsed forms, prepared per token) is swapped before each call.
async function pluginAuthenticate(plugin, options, tokens) {
  const app = Fastify()
  await app.register(plugin, options)
  // Captured in onRequest and never answered: a hook continues with `done` only while its reply is unsent.
  let captured
  const arrived = new Promise((resolve) => {
    app.get('/', {
      onRequest(request, reply) {
        captured = { request, reply }
        resolve()
      },
      handler: async () => ({}),
    })
  })
  app.inject({ url: '/' }).catch(() => {})
  await arrived
  await app.verifier.ready()
  const { request, reply } = captured
  const headers = new Map(
    tokens.map((t) => [
      t,
      { authorization: `Bearer ${t}`, raw: ['Host', 'localhost', 'Authorization', `Bearer ${t}`] },
    ]),
  )
  // The header is read synchronously when the hook starts, so requests in flight can share the captured one.
  const fn = (t) => {
    const h = headers.get(t)
    request.raw.headers.authorization = h.authorization
    request.raw.rawHeaders = h.raw
    let finished
    let failed
    let sync = true
    let settle
    app.authenticate(request, reply, (err) => {
      if (!sync) return settle(err)
      finished = true
      failed = err
    })
    sync = false
    if (finished) {
      if (failed) throw failed
      return undefined
    }
    return new Promise((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve())
    })
  }
  await fn(tokens[0])
  if (request.auth?.sub !== 'alice') throw new Error('the plugin row did not authenticate')
  return { fn, close: () => app.close() }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const keys = ['RS256', 'ES256', 'EdDSA'].map(makeKey)
const server = createServer((_req, res) => {
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ keys: keys.map((k) => k.jwk) }))
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`
const issuer = origin
const jwksUri = `${origin}/jwks.json`

const rows = []
for (const key of dpopOnly ? [] : keys) {
  const tokens = Array.from({ length: TOKENS }, () => signToken(key, issuer))
  // A generous fetch deadline: the bench may share a loaded machine, and measures the steady state.
  const base = { issuer, audience: AUDIENCE, jwksUri, algorithms: [key.alg], fetchTimeout: 30_000 }
  const coreOff = createVerifier(base)
  const coreOn = createVerifier({ ...base, cache: { max: TOKENS * 2 } })
  const raw = fastJwtVerifier({
    key: key.publicKey.export({ type: 'spki', format: 'pem' }),
    algorithms: [key.alg],
  })
  const remote = createRemoteJWKSet(new URL(jwksUri))
  const joseOptions = { issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: [key.alg] }
  const plugins = {
    'plugin authenticate, cache off': [verifierPlugin, base],
    'plugin authenticate, cache on': [verifierPlugin, { ...base, cache: { max: TOKENS * 2 } }],
    ...(baselinePlugin && {
      'baseline plugin, cache off': [baselinePlugin, base],
      'baseline plugin, cache on': [baselinePlugin, { ...base, cache: { max: TOKENS * 2 } }],
    }),
  }
  const apps = []
  const contenders = {
    'raw fast-jwt (key in hand)': (t) => raw(t),
    'core, cache off': (t) => coreOff.verify(t),
    'core, cache on': (t) => coreOn.verify(t),
    'jose jwtVerify + remote JWKS': (t) => jwtVerify(t, remote, joseOptions),
  }
  for (const [name, [plugin, options]] of Object.entries(plugins)) {
    const row = await pluginAuthenticate(plugin, options, tokens)
    apps.push(row)
    contenders[name] = row.fn
  }
  // Warm up: load keys, fill the cache, let the JIT settle.
  for (const fn of Object.values(contenders)) for (const t of tokens) await fn(t)
  const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]))
  const names = Object.keys(contenders)
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]
      samples[name].push(await measure(contenders[name], tokens))
    }
  }
  const rawOps = median(samples['raw fast-jwt (key in hand)'])
  for (const name of names) {
    rows.push({
      alg: key.alg,
      contender: name,
      ops: median(samples[name]),
      ratio: median(samples[name]) / rawOps,
    })
  }
  const off = median(samples['core, cache off'])
  const on = median(samples['core, cache on'])
  const pluginOff = median(samples['plugin authenticate, cache off'])
  const pluginOn = median(samples['plugin authenticate, cache on'])
  rows.push({
    alg: key.alg,
    contender: 'targets',
    note: `plugin cache off = ${((pluginOff / off) * 100).toFixed(1)}% of the core; plugin cache on = ${((pluginOn / on) * 100).toFixed(1)}% of the core`,
  })
  rows.push({
    alg: key.alg,
    contender: 'targets',
    note: `cache off = ${((off / rawOps) * 100).toFixed(1)}% of raw (target >= 85%: ${off / rawOps >= 0.85 ? 'met' : 'MISSED'}); cache on = ${(on / off).toFixed(1)}x cache off (target >= 10x: ${on / off >= 10 ? 'met' : 'MISSED'})`,
  })
  await coreOff.close()
  await coreOn.close()
  for (const app of apps) await app.close()
}
// DPoP (RFC 9449): what checking a proof adds to a request, beside one bare ES256 signature check on the thread pool
// (the floor: what the proof's own signature costs at least). The proofs are made up front, one per token, so the
// replay store is a no-op here (a real one refuses a proof's second use; its Map insert is not what is measured).
{
  const key = keys.find((k) => k.alg === 'ES256')
  const client = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = client.publicKey.export({ format: 'jwk' })
  const jkt = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url')
  const htu = 'http://api.example/orders'
  const proofHeader = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk })
  const proofFor = (token) => {
    const input = `${proofHeader}.${b64({
      jti: randomUUID(),
      htm: 'GET',
      htu,
      iat: Math.floor(Date.now() / 1000),
      ath: createHash('sha256').update(token).digest('base64url'),
    })}`
    const sig = sign('sha256', Buffer.from(input), { key: client.privateKey, dsaEncoding: 'ieee-p1363' })
    return { input, sig, proof: `${input}.${sig.toString('base64url')}` }
  }
  const bearer = Array.from({ length: TOKENS }, () => signToken(key, issuer))
  const bound = Array.from({ length: TOKENS }, () => signToken(key, issuer, { cnf: { jkt } }))
  const proofs = new Map(bound.map((t) => [t, proofFor(t)]))
  const floorInputs = new Map(bound.map((t) => [t, proofs.get(t)]))
  const base = { issuer, audience: AUDIENCE, jwksUri, algorithms: ['ES256'], fetchTimeout: 30_000 }
  // maxAge: the proofs are made before the warm-up and reused every round.
  const dpop = { mode: 'allowed', maxAge: 3600, replayStore: { add: () => true } }
  const off = createVerifier({ ...base, dpop })
  const on = createVerifier({ ...base, dpop, cache: { max: TOKENS * 2 } })
  const request = (t) => ({ method: 'GET', url: htu, dpop: proofs.get(t).proof })
  const verifyKey = { key: client.publicKey, dsaEncoding: 'ieee-p1363' }
  const contenders = {
    'ES256 signature check (floor)': (t) => {
      const { input, sig } = floorInputs.get(t)
      return new Promise((resolve, reject) =>
        verify('sha256', Buffer.from(input), verifyKey, sig, (err, ok) =>
          err || !ok ? reject(err) : resolve(),
        ),
      )
    },
    'core Bearer, cache off': (t) => off.authenticate(`Bearer ${t}`),
    'core DPoP, cache off': (t) => off.authenticate(`DPoP ${t}`, request(t)),
    'core Bearer, cache on': (t) => on.authenticate(`Bearer ${t}`),
    'core DPoP, cache on': (t) => on.authenticate(`DPoP ${t}`, request(t)),
  }
  const tokensOf = (name) => (name.includes('Bearer') ? bearer : bound)
  await off.ready()
  await on.ready()
  for (const [name, fn] of Object.entries(contenders)) for (const t of tokensOf(name)) await fn(t)
  const names = Object.keys(contenders)
  const samples = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(round + j) % names.length]
      samples[name].push(await measure(contenders[name], tokensOf(name)))
    }
  }
  const ops = Object.fromEntries(names.map((name) => [name, median(samples[name])]))
  const floor = ops['ES256 signature check (floor)']
  for (const name of names)
    rows.push({ alg: 'DPoP', contender: name, ops: ops[name], ratio: ops[name] / floor })
  // Cost per request is 1/throughput: what the proof adds, over what one signature check costs.
  for (const cache of ['off', 'on']) {
    const added = 1 / ops[`core DPoP, cache ${cache}`] - 1 / ops[`core Bearer, cache ${cache}`]
    const ratio = added / (1 / floor)
    rows.push({
      alg: 'DPoP',
      contender: 'targets',
      note: `cache ${cache}: the proof check costs ${ratio.toFixed(2)}x one ES256 signature check (target <= 1.10: ${ratio <= 1.1 ? 'met' : 'MISSED'})`,
    })
  }
  await off.close()
  await on.close()
}
server.close()

const pad = (s, n) => String(s).padEnd(n)
const lpad = (s, n) => String(s).padStart(n)
console.log(
  `\nverifier benchmark — node ${process.version}, ${CONCURRENCY} in flight, ${ROUNDS} interleaved rounds × ${BATCH_MS} ms, median\n`,
)
console.log(
  `${pad('alg', 7)}${pad('contender', 34)}${lpad('verifications/s', 16)}${lpad('vs raw (DPoP: floor)', 22)}`,
)
console.log('-'.repeat(74))
for (const row of rows) {
  if (row.note) {
    console.log(`${pad(row.alg, 7)}  → ${row.note}`)
    continue
  }
  console.log(
    `${pad(row.alg, 7)}${pad(row.contender, 34)}${lpad(Math.round(row.ops).toLocaleString('en-US'), 16)}${lpad(`${row.ratio.toFixed(2)}x`, 22)}`,
  )
}
