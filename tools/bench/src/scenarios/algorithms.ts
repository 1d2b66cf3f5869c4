import { ALGORITHMS, BenchIssuer } from '../issuer.js'
import { bearerRequests, runLoadWithCpu } from '../load.js'
import type { ThroughputTable } from '../report/model.js'
import { type Contender, interleave } from '../rounds.js'
import { RESOURCE_PATH } from '../targets.js'
import { preflight, type ScenarioContext, startResourceServer } from './common.js'
import { AUDIENCE } from './resource-cost.js'

/**
 * Scenario 2: the signature algorithm's share of the cost. One resource server (our verifier, cache off) trusts
 * a JWKS with one key per algorithm; each row sends tokens of one algorithm.
 */
export async function algorithms(ctx: ScenarioContext): Promise<ThroughputTable[]> {
  const { profile, log } = ctx
  const issuer = await BenchIssuer.start(ALGORITHMS)
  ctx.defer(() => issuer.close())
  const server = await startResourceServer(ctx, {
    mode: 'verifier',
    issuer: issuer.url,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    algorithms: [...ALGORITHMS],
    cacheMax: 0,
  })
  const contenders: Contender[] = []
  for (const alg of ALGORITHMS) {
    const tokens = Array.from({ length: profile.tokenPool }, () => issuer.token(alg, AUDIENCE))
    await preflight(alg, server.url, tokens[0]!, true)
    const requests = bearerRequests(RESOURCE_PATH, tokens)
    contenders.push({
      label: alg,
      measure: (seconds) =>
        runLoadWithCpu({ url: server.url, connections: profile.connections, duration: seconds, requests }, [
          server,
        ]),
    })
  }
  log('scenario 2: algorithms (our verifier, cache off)')
  const rows = await interleave(contenders, { ...profile, log })
  return [
    {
      kind: 'throughput',
      id: 'algorithms',
      title: 'Scenario 2 — algorithms through our verifier (cache off)',
      unit: 'req/s',
      rows,
    },
  ]
}
