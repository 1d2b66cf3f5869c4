import { generateKeyPairSync, randomInt, sign } from 'node:crypto'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { StatusList } from '@stateless-auth/status-list'
import { createVerifier } from '@stateless-auth/verifier'
import type { RequestCounts } from '../children/probe.js'
import type { MemoryReport } from '../children/resource-server.js'
import { bearerRequests, runLoad } from '../load.js'
import type { Child } from '../processes.js'
import { count, ms } from '../report/format.js'
import type { FiguresTable, ThroughputTable } from '../report/model.js'
import { interleave } from '../rounds.js'
import { median } from '../stats.js'
import { RESOURCE_PATH, type TargetMode } from '../targets.js'
import {
  preflight,
  type ScenarioContext,
  startAuthServerChild,
  startResourceServer,
  tempDir,
} from './common.js'
import { authServerTarget, clientCredentialsTokens, countingContenders } from './resource-cost.js'

/** The rows: our verifier with the status check off and on, with the verified-token cache off and on. */
const ROWS: ReadonlyArray<{ mode: TargetMode; status: boolean; label: string }> = [
  { mode: 'verifier', status: false, label: 'our verifier, cache off, status off' },
  { mode: 'verifier', status: true, label: 'our verifier, cache off, status on' },
  { mode: 'verifier-cache', status: false, label: 'our verifier, cache on, status off' },
  { mode: 'verifier-cache', status: true, label: 'our verifier, cache on, status on' },
]

// The auth-server's status lists carry 2 bits per entry (VALID, INVALID, SUSPENDED).
const BITS = 2
const REVOKED_SHARE = 0.01

const isList = (path: string) => path.startsWith('/status-lists/')
const listRequests = (counts: RequestCounts) =>
  Object.entries(counts).reduce((sum, [path, n]) => sum + (isList(path) ? n : 0), 0)

/**
 * The status check's own cost, without HTTP: two verifiers in this process, the check off and on, verify the same
 * tokens of the real auth-server in alternating rounds, and each round's CPU time (every thread of the process, so
 * the signature checks on the thread pool too) is compared. The HTTP rows above move by ±15 % from round to round on
 * a 2-core machine even when it is idle (the load generator shares it), far more than the check can cost; paired
 * rounds in one process take the server, the sockets and the scheduler out and leave what the option adds. Returns
 * the medians over the rounds of the CPU per verification with the check off and of what turning it on adds (µs).
 */
async function pairedCheckCost(
  auth: Child,
  tokens: readonly string[],
  cache: boolean,
): Promise<{ offUs: number; addedUs: number }> {
  const { issuer, audience, jwksUri, algorithms, cacheMax } = authServerTarget(auth)
  const make = (status: boolean) =>
    createVerifier({
      issuer,
      audience,
      jwksUri,
      algorithms,
      cache: cache ? { max: cacheMax } : false,
      status,
    })
  const off = make(false)
  const on = make(true)
  try {
    for (const token of tokens) await Promise.all([off.verify(token), on.verify(token)])
    const perRound = cache ? 100_000 : 4_000
    const cpuPerVerification = async (verifier: typeof off) => {
      const before = process.cpuUsage()
      for (let i = 0; i < perRound; i += 32) {
        await Promise.all(
          Array.from({ length: 32 }, (_, j) => verifier.verify(tokens[(i + j) % tokens.length]!)),
        )
      }
      const used = process.cpuUsage(before)
      return (used.user + used.system) / perRound
    }
    const offUs: number[] = []
    const addedUs: number[] = []
    for (let round = 0; round < 9; round++) {
      // Alternating which goes first, so that neither always runs on a warmer (or busier) machine.
      const first = round % 2 === 0 ? off : on
      const a = await cpuPerVerification(first)
      const b = await cpuPerVerification(first === off ? on : off)
      const [without, withStatus] = first === off ? [a, b] : [b, a]
      offUs.push(without)
      addedUs.push(withStatus - without)
    }
    return { offUs: median(offUs), addedUs: median(addedUs) }
  } finally {
    await Promise.all([off.close(), on.close()])
  }
}

/**
 * Scenario 6 (issue 14): what checking the Token Status List costs an API. (1) Throughput with the check on and off,
 * with the verified-token cache on and off, against the real auth-server and its tokens; the counted column is the
 * status-list requests the auth-server received. (2) Status-list fetches of one API under sustained load, per ttl.
 * (3) A list for 1,000,000 live tokens (1 % revoked): its size before and after compression, the time to build and
 * sign it, the time for an API to fetch, verify and decode it, and what the API holds.
 */
export async function statusCost(ctx: ScenarioContext): Promise<Array<ThroughputTable | FiguresTable>> {
  const { profile, log } = ctx
  // Full: a 10 s ttl, so that a few windows fit in the run (the auth-server's default is 30 s); quick: 1 s, the
  // smallest ttl, to stay short.
  const ttl = profile.name === 'quick' ? 1 : 10
  const dir = tempDir(ctx, 'status')
  const auth = await startAuthServerChild(ctx, {
    SIGNING_ALG: 'RS256',
    DATABASE_URL: join(dir, 'auth.sqlite'),
    STATUS_LIST_TTL: String(ttl),
  })
  log(`auth-server at ${auth.url} (status lists ttl ${ttl} s); fetching ${profile.tokenPool} tokens`)
  const tokens = await clientCredentialsTokens(auth, profile.tokenPool)
  const base = authServerTarget(auth)
  const servers = await Promise.all(
    ROWS.map((row) => startResourceServer(ctx, { ...base, mode: row.mode, status: row.status })),
  )
  for (const [i, row] of ROWS.entries()) await preflight(row.label, servers[i]!.url, tokens[0]!, true)

  // The resource server's CPU only: the auth-server serves nothing per request here.
  const contenders = countingContenders(
    ctx,
    auth,
    tokens,
    ROWS.map((row, i) => ({ label: row.label, server: servers[i]! })),
    { counted: listRequests, cpuOfAuthServer: false },
  )
  const requests = bearerRequests(RESOURCE_PATH, tokens)
  log('scenario 6: status list check on vs off')
  const rows = await interleave(contenders, { ...profile, log })

  // Sustained load on one API (cache on, status on, as the APIs run): how often it fetched the list.
  const api = servers[3]!
  const windows = 3
  const fetchesBefore = (await api.ask<MemoryReport>('memory')).statusListFetches ?? 0
  const sustained = await runLoad({
    url: api.url,
    connections: profile.connections,
    duration: windows * ttl,
    requests,
  })
  const fetches = ((await api.ask<MemoryReport>('memory')).statusListFetches ?? 0) - fetchesBefore
  const perTtl = fetches / (sustained.seconds / ttl)
  // The verifier refetches a list when its ttl ends, answering from the held list while the refetch runs: one fetch
  // per ttl exactly, never one per request.
  const windowsRun = sustained.seconds / ttl
  log(`sustained: ${fetches} list fetches in ${sustained.seconds.toFixed(1)} s at ttl ${ttl} s`)

  log('scenario 6: the status check paired in-process, cache off and on')
  const paired = {
    off: await pairedCheckCost(auth, tokens, false),
    on: await pairedCheckCost(auth, tokens, true),
  }
  // What the check does to an API's capacity: a request's server CPU with the check off (its HTTP row) against the
  // same plus what the check adds, as measured paired. The HTTP rows' own ratio is shown beside it.
  const capacity = (cache: 'off' | 'on') => {
    const without = rows.find((r) => r.label === `our verifier, cache ${cache}, status off`)!
    const withStatus = rows.find((r) => r.label === `our verifier, cache ${cache}, status on`)!
    const perRequest = without.cpu ?? Number.NaN
    return {
      ratio: perRequest / (perRequest + Math.max(0, paired[cache].addedUs)),
      http: `HTTP rows alone: ${(perRequest / (withStatus.cpu ?? Number.NaN)).toFixed(2)}× by server CPU, ${(withStatus.rps / without.rps).toFixed(2)}× by throughput`,
      perRequest,
    }
  }

  const big = await bigList(profile.name === 'quick' ? 100_000 : 1_000_000, log)
  return [
    {
      kind: 'throughput',
      id: 'status',
      title: `Scenario 6 — status list check on vs off (RS256, list ttl ${ttl} s)`,
      unit: 'req/s',
      rows,
      counted: 'status-list requests at the auth-server',
    },
    {
      kind: 'figures',
      id: 'status-figures',
      title: 'Scenario 6 — status list fetches and size',
      rows: [
        {
          label: `list fetches by one API under ${count(sustained.ok)} requests in ${sustained.seconds.toFixed(1)} s (${profile.connections} connections), ttl ${ttl} s`,
          value: `${fetches} (${perTtl.toFixed(2)} per ttl, ${(fetches / sustained.ok).toExponential(1)} per request)`,
        },
        ...(['off', 'on'] as const).map((cache) => ({
          label: `the check's own CPU, cache ${cache} (one process, verifiers with it off and on, 9 paired rounds, medians)`,
          value: `+${paired[cache].addedUs.toFixed(2)} µs on ${paired[cache].offUs.toFixed(2)} µs per verification`,
        })),
        ...big,
      ],
      checks: [
        ...(['off', 'on'] as const).map((cache) => {
          const { ratio, http, perRequest } = capacity(cache)
          return {
            target: `status check on ≥ 0.97 × off (cache ${cache})`,
            measured: `${ratio.toFixed(3)}× (+${Math.max(0, paired[cache].addedUs).toFixed(2)} µs on ${perRequest.toFixed(0)} µs of server CPU per request); ${http}`,
            met: ratio >= 0.97,
          }
        }),
        {
          target: 'status-list fetches per API per ttl under load: exactly one, none per request',
          measured: `${fetches} fetches in ${windowsRun.toFixed(2)} ttls (${perTtl.toFixed(2)} per ttl)`,
          // The load starts and ends at arbitrary points of the fetch cycle: n ttls hold n boundaries, or one less
          // or more when the run is a little shorter or longer than n ttls.
          met: Math.abs(fetches - windowsRun) < 1,
        },
      ],
    },
  ]
}

/** A full garbage collection on demand (this process was not started with --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

function retained(gc: () => void): number {
  gc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

/**
 * A list the size of `entries` live tokens with 1 % of them revoked at random: built and signed as the auth-server
 * does (`rle` deflate, ES256 here), served over HTTP, and loaded by a verifier with the status check on.
 */
async function bigList(entries: number, log: (line: string) => void) {
  const list = new StatusList(entries, BITS)
  for (let i = 0; i < entries * REVOKED_SHARE; i++) list.set(randomInt(entries), 1)
  // The token the API checks below names index 0: keep it valid.
  list.set(0, 0)
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'list', alg: 'ES256', use: 'sig' }
  let origin = ''
  const signList = () => {
    // As the auth-server builds it (apps/auth-server/src/status/status-lists.ts): `rle` deflate.
    const claims = {
      sub: `${origin}/status-lists/1`,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 3600,
      ttl: 60,
      status_list: { bits: list.bits, lst: list.encode({ strategy: 'rle' }) },
    }
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const input = `${b64({ alg: 'ES256', typ: 'statuslist+jwt', kid: 'list' })}.${b64(claims)}`
    return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
  }
  let listToken = ''
  const server = createServer((request, response) => {
    if (request.url === '/jwks') response.end(JSON.stringify({ keys: [jwk] }))
    else if (request.url === '/status-lists/1') {
      response.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end(listToken)
    } else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  try {
    // Build: encode and sign, median of 5 (the auth-server also reads the set bits from its database first).
    const builds: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      listToken = signList()
      builds.push(performance.now() - started)
    }
    builds.sort((a, b) => a - b)
    const lst = (
      JSON.parse(Buffer.from(listToken.split('.')[1]!, 'base64url').toString()) as {
        status_list: { lst: string }
      }
    ).status_list.lst
    // An API loading it: the first check of a token with a status reference fetches, verifies and decodes the list.
    const verifier = createVerifier({
      issuer: origin,
      audience: 'urn:bench',
      jwksUri: `${origin}/jwks`,
      status: { maxStale: 0 },
    })
    await verifier.ready()
    const claims = {
      iss: origin,
      sub: 'bench',
      aud: 'urn:bench',
      client_id: 'bench',
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 600,
      jti: 'bench-1',
      status: { status_list: { idx: 0, uri: `${origin}/status-lists/1` } },
    }
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const input = `${b64({ alg: 'ES256', typ: 'at+jwt', kid: 'list' })}.${b64(claims)}`
    const token = `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`
    const gc = collector()
    const heapBefore = retained(gc)
    const loadStarted = performance.now()
    await verifier.verify(token)
    const loadMs = performance.now() - loadStarted
    const heapAfter = retained(gc)
    // Once held, a check is a bit lookup: time many of them.
    const checks = 20_000
    const checkStarted = performance.now()
    for (let i = 0; i < checks; i++) await verifier.verify(token).catch(() => undefined)
    const perCheckUs = ((performance.now() - checkStarted) * 1000) / checks
    await verifier.close()
    log(`list of ${count(entries)}: lst ${count(lst.length)} chars, built in ${ms(builds[2]!)} ms`)
    const raw = (entries * BITS) / 8
    return [
      {
        label: `list for ${count(entries)} live tokens, ${BITS} bits each, 1 % revoked: uncompressed byte array`,
        value: `${count(raw)} bytes`,
      },
      {
        label: '… as `lst` (ZLIB `rle` deflate, base64url) / the whole signed list token',
        value: `${count(lst.length)} / ${count(listToken.length)} chars (${((lst.length / raw) * 100).toFixed(1)} % of raw)`,
      },
      {
        label: '… build time: encode + sign (median of 5, in the bench process)',
        value: `${ms(builds[2]!)} ms`,
      },
      {
        label:
          '… time for an API to fetch, verify and decode it (first check of a token naming it, 127.0.0.1)',
        value: `${ms(loadMs)} ms`,
      },
      {
        label: '… memory the API holds for it (heap + array buffers retained after a full GC)',
        // The bench process has just driven minutes of load: when what it frees meanwhile outweighs the list, the
        // difference says nothing, and the decoded array is the floor.
        value:
          heapAfter - heapBefore >= raw
            ? `${count(heapAfter - heapBefore)} bytes (decoded array: ${count(raw)})`
            : `below this process's heap noise (decoded array: ${count(raw)})`,
      },
      {
        label: '… a verification with the list held (ES256 signature + bit lookup, one at a time)',
        value: `${perCheckUs.toFixed(1)} µs`,
      },
    ]
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
