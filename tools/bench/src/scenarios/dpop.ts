import { DpopKey } from '@stateless-auth/dpop-client'
import { BenchError } from '../errors.js'
import { BenchIssuer } from '../issuer.js'
import { bearerRequests, type LoadRequest, runLoadWithCpu } from '../load.js'
import type { ThroughputTable } from '../report/model.js'
import { type Contender, interleave } from '../rounds.js'
import { RESOURCE_PATH, type TargetMode } from '../targets.js'
import { preflight, type ScenarioContext, startResourceServer } from './common.js'
import { AUDIENCE } from './resource-cost.js'

const ROWS: ReadonlyArray<{ mode: TargetMode; label: string; dpop: boolean }> = [
  { mode: 'verifier', label: 'Bearer, cache off', dpop: false },
  { mode: 'verifier-dpop', label: 'DPoP-bound + proof, cache off', dpop: true },
  { mode: 'verifier-cache', label: 'Bearer, cache on', dpop: false },
  { mode: 'verifier-dpop-cache', label: 'DPoP-bound + proof, cache on', dpop: true },
  {
    mode: 'signature-es256',
    label: 'floor: one ES256 signature check, key in hand, nothing else',
    dpop: false,
  },
]

/**
 * Scenario 5: what a DPoP proof (RFC 9449) adds to a request. ES256 access tokens from a stand-in issuer; the DPoP
 * rows send tokens bound to one P-256 key (`cnf.jkt`) with an ES256 proof each (`htm`, `htu`, `ath`), made
 * before the run and reused (the rows' replay store is a no-op). The floor row is one ES256 signature check.
 */
export async function dpop(ctx: ScenarioContext): Promise<ThroughputTable[]> {
  const { profile, log } = ctx
  const issuer = await BenchIssuer.start(['ES256'])
  ctx.defer(() => issuer.close())
  const key = DpopKey.generate()
  const servers = await Promise.all(
    ROWS.map((row) =>
      startResourceServer(ctx, {
        mode: row.mode,
        issuer: issuer.url,
        audience: AUDIENCE,
        jwksUri: issuer.jwksUri,
        algorithms: ['ES256'],
        cacheMax: 1000,
      }),
    ),
  )
  const plain = Array.from({ length: profile.tokenPool }, () => issuer.token('ES256', AUDIENCE))
  const bound = Array.from({ length: profile.tokenPool }, () =>
    issuer.token('ES256', AUDIENCE, 3600, { cnf: { jkt: key.jkt } }),
  )
  const contenders: Contender[] = []
  for (const [i, row] of ROWS.entries()) {
    const url = servers[i]!.url
    let requests: LoadRequest[]
    if (row.dpop) {
      requests = bound.map((token) => ({
        method: 'GET',
        path: RESOURCE_PATH,
        headers: {
          authorization: `DPoP ${token}`,
          dpop: key.proof({ method: 'GET', url: `${url}${RESOURCE_PATH}`, accessToken: token }),
        },
      }))
      await dpopPreflight(row.label, url, requests[0]!, plain[0]!)
    } else {
      await preflight(row.label, url, plain[0]!, true)
      requests = bearerRequests(RESOURCE_PATH, plain)
    }
    contenders.push({
      label: row.label,
      measure: (seconds) =>
        runLoadWithCpu({ url, connections: profile.connections, duration: seconds, requests }, [servers[i]!]),
    })
  }
  log('scenario 5: DPoP (ES256 tokens and proofs)')
  const rows = await interleave(contenders, { ...profile, log })
  return [
    { kind: 'throughput', id: 'dpop', title: 'Scenario 5 — DPoP proof cost (ES256)', unit: 'req/s', rows },
  ]
}

// A DPoP row must accept its request and refuse the same bound token sent as Bearer (a row that skipped the
// proof check would otherwise look fast), and still accept an unbound Bearer token.
async function dpopPreflight(label: string, url: string, request: LoadRequest, plain: string): Promise<void> {
  const headers = request.headers as Record<string, string>
  const ok = await fetch(`${url}${RESOURCE_PATH}`, { headers })
  await ok.arrayBuffer()
  const token = headers.authorization!.slice('DPoP '.length)
  const asBearer = await fetch(`${url}${RESOURCE_PATH}`, { headers: { authorization: `Bearer ${token}` } })
  await asBearer.arrayBuffer()
  if (ok.status !== 200 || asBearer.status !== 401) {
    throw new BenchError(
      'BENCH_ERR_PREFLIGHT',
      `${label}: proof ${ok.status}, bound token as Bearer ${asBearer.status}`,
    )
  }
  await preflight(label, url, plain, true)
}
