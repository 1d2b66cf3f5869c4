import { join } from 'node:path'
import { type LoadRequest, runLoad } from '../load.js'
import type { ThroughputTable } from '../report/model.js'
import { type Contender, interleave } from '../rounds.js'
import { basicAuth, postForm, type ScenarioContext, startAuthServerChild, tempDir } from './common.js'
import { SERVICE_CLIENT } from './resource-cost.js'

/** A few legitimate callers: the latency they see is the figure, not the server's capacity. */
const LEGITIMATE_CONNECTIONS = 2
/**
 * Shortest run of either row, in seconds: a flooded request may take a while, and a run that ends before any
 * answer has nothing to report (the quick profile's half-second runs are too short for that).
 */
const MIN_SECONDS = 3
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const body = 'grant_type=client_credentials'

/**
 * Scenario 7 (issue 12, item 6): the p99 of a legitimate `client_credentials` token request, alone and while
 * `connections` other connections send the confidential `web` client's id with wrong secrets. Every flood request
 * must be refused (401 `invalid_client`, then 429 once the failures per client and source pass the limit); any
 * other answer aborts the run. The p99 column's ratio to the first row is the row to read.
 */
export async function secretFlood(ctx: ScenarioContext): Promise<ThroughputTable[]> {
  const { profile, log } = ctx
  const auth = await startAuthServerChild(ctx, {
    DATABASE_URL: join(tempDir(ctx, 'flood'), 'auth.sqlite'),
  })
  const legitimate: LoadRequest[] = [
    {
      method: 'POST',
      path: '/token',
      headers: { ...FORM, authorization: basicAuth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret) },
      body,
    },
  ]
  // Distinct wrong secrets, so nothing on the way could answer from a cache of the last attempt.
  const flood: LoadRequest[] = Array.from({ length: 16 }, (_, i) => ({
    method: 'POST',
    path: '/token',
    headers: { ...FORM, authorization: basicAuth('web', `wrong-secret-${i}`) },
    body,
  }))
  await postForm(
    `${auth.url}/token`,
    { grant_type: 'client_credentials' },
    legitimate[0]!.headers!.authorization!,
  )

  const tokens = (seconds: number) =>
    runLoad({
      url: auth.url,
      connections: LEGITIMATE_CONNECTIONS,
      duration: Math.max(seconds, MIN_SECONDS),
      requests: legitimate,
    })
  const contenders: Contender[] = [
    { label: 'legitimate requests alone', measure: tokens },
    {
      label: `during a wrong-secret flood (${profile.connections} connections)`,
      measure: async (seconds) => {
        const [answered, refused] = await Promise.all([
          tokens(seconds),
          runLoad({
            url: auth.url,
            connections: profile.connections,
            duration: Math.max(seconds, MIN_SECONDS),
            requests: flood,
            expect: (status) => status === 401 || status === 429,
          }),
        ])
        return { ...answered, counted: refused.ok }
      },
    },
  ]
  log('scenario 7: client-credentials latency during a wrong-secret flood')
  const rows = await interleave(contenders, { ...profile, log })
  return [
    {
      kind: 'throughput',
      id: 'secret-flood',
      title: `Scenario 7 — legitimate client-credentials requests (${LEGITIMATE_CONNECTIONS} connections) during a wrong-secret flood`,
      unit: 'tokens/s',
      rows,
      counted: 'wrong secrets refused (401/429)',
    },
  ]
}
