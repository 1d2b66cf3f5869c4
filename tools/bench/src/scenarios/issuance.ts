import { join } from 'node:path'
import { authorize, CookieJar, tokenRequest } from '@stateless-auth/experiments'
import { backends } from '@stateless-auth/sql/testing'
import { BenchError } from '../errors.js'
import { type LoadRequest, runLoadWithCpu } from '../load.js'
import type { Child } from '../processes.js'
import type { TableRow, ThroughputTable } from '../report/model.js'
import { type Contender, interleave } from '../rounds.js'
import { basicAuth, postForm, type ScenarioContext, startAuthServerChild, tempDir } from './common.js'
import { SERVICE_CLIENT } from './resource-cost.js'

const ISSUANCE_ALGS = ['RS256', 'ES256', 'EdDSA'] as const
// The demo's confidential web client may refresh (apps/auth-server/clients.json): its local default secret and
// redirect URI (never visited: the code is read from the redirect), and the demo users' local password.
const WEB_CLIENT = {
  id: 'web',
  secret: 'web-secret',
  redirectUri: 'http://localhost:3000/auth/callback',
} as const
const DEMO_PASSWORD = 'demo-password'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

function clientCredentialsContender(label: string, auth: Child, connections: number): Contender {
  const requests: LoadRequest[] = [
    {
      method: 'POST',
      path: '/token',
      headers: { ...FORM, authorization: basicAuth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret) },
      body: 'grant_type=client_credentials',
    },
  ]
  return {
    label,
    measure: (seconds) => runLoadWithCpu({ url: auth.url, connections, duration: seconds, requests }, [auth]),
  }
}

/**
 * Refresh-token families for alice, each from a real authorization-code sign-in of the confidential web client
 * over HTTP (PKCE). The login form is filled in once; the auth-server's login session then lets every further
 * authorization request answer with a code straight away, as it would for a browser that is signed in.
 */
async function seedRefreshTokens(issuer: string, count: number): Promise<string[]> {
  const jar = new CookieJar()
  const tokens: string[] = []
  for (let i = 0; i < count; i++) {
    const flow = await authorize({
      issuer,
      clientId: WEB_CLIENT.id,
      redirectUri: WEB_CLIENT.redirectUri,
      username: 'alice',
      password: DEMO_PASSWORD,
      scope: 'offline_access orders:read',
      resources: ['urn:stateless-auth:orders-api'],
      jar,
    })
    const code = flow.callback.searchParams.get('code')
    if (!code) throw new BenchError('BENCH_ERR_PREFLIGHT', `sign-in refused: ${flow.callback}`)
    const answer = await tokenRequest(
      issuer,
      {
        grant_type: 'authorization_code',
        code,
        redirect_uri: WEB_CLIENT.redirectUri,
        code_verifier: flow.verifier,
      },
      WEB_CLIENT,
    )
    if (typeof answer.body.refresh_token !== 'string') {
      throw new BenchError(
        'BENCH_ERR_PREFLIGHT',
        `token endpoint answered ${answer.status} ${JSON.stringify(answer.body)}`,
      )
    }
    tokens.push(answer.body.refresh_token)
  }
  return tokens
}

/**
 * Each connection takes a refresh token from the pool, rotates it and puts the new one back: families keep
 * rotating across rounds, and no token is ever presented twice (which would revoke its family).
 */
function rotationContender(label: string, auth: Child, pool: string[], connections: number): Contender {
  const authorization = basicAuth(WEB_CLIENT.id, WEB_CLIENT.secret)
  const requests: LoadRequest[] = [
    {
      method: 'POST',
      path: '/token',
      headers: { ...FORM, authorization },
      setupRequest: (request) => {
        // An empty pool sends a token the server refuses, so the run stops with a clear failure.
        const token = pool.pop() ?? 'refresh-token-pool-exhausted'
        return { ...request, body: `grant_type=refresh_token&refresh_token=${token}` }
      },
      onResponse: (status, body) => {
        if (status === 200) pool.push((JSON.parse(body) as { refresh_token: string }).refresh_token)
      },
    },
  ]
  return {
    label,
    measure: (seconds) => runLoadWithCpu({ url: auth.url, connections, duration: seconds, requests }, [auth]),
  }
}

/** Scenario 3: tokens/s at the auth-server — client credentials per algorithm, refresh rotation per database. */
export async function issuance(ctx: ScenarioContext): Promise<ThroughputTable[]> {
  const { profile, log } = ctx
  const dir = tempDir(ctx, 'issuance')
  const stores: Array<{ label: string; url?: string; notRun?: string }> = [
    { label: 'SQLite (file)', url: join(dir, 'rotation.sqlite') },
  ]
  if (process.env.TEST_DATABASE_URL) {
    const postgres = backends().find((b) => b.name === 'postgres')
    const store = await postgres!.createStore()
    ctx.defer(() => store.drop())
    stores.push({ label: 'PostgreSQL', url: store.url })
  } else stores.push({ label: 'PostgreSQL', notRun: 'not run: TEST_DATABASE_URL unset' })
  const runnable = stores.filter((store): store is { label: string; url: string } => store.url !== undefined)

  // Every server starts at once (idle ones cost nothing); each rotation server migrates its store and seeds
  // the demo users that the refresh-token families belong to.
  const [servers, rotationServers] = await Promise.all([
    Promise.all(
      ISSUANCE_ALGS.map((alg) =>
        startAuthServerChild(ctx, { SIGNING_ALG: alg, DATABASE_URL: join(dir, `${alg}.sqlite`) }),
      ),
    ),
    Promise.all(
      runnable.map((store) => startAuthServerChild(ctx, { SIGNING_ALG: 'RS256', DATABASE_URL: store.url })),
    ),
  ])
  const service = basicAuth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret)
  for (const server of servers)
    await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, service)
  log('scenario 3: client-credentials issuance')
  const issued = await interleave(
    ISSUANCE_ALGS.map((alg, i) => clientCredentialsContender(alg, servers[i]!, profile.connections)),
    { ...profile, log },
  )

  const contenders: Contender[] = []
  for (const [i, store] of runnable.entries()) {
    const auth = rotationServers[i]!
    // A run ends with up to one request per connection in flight whose answer is never read: the token it
    // rotated is lost. Two spare tokens per connection and run keep the families going through every round.
    const pool = await seedRefreshTokens(auth.url, profile.connections * (profile.rounds + 1) * 3)
    const check = await postForm(
      `${auth.url}/token`,
      { grant_type: 'refresh_token', refresh_token: pool.pop()! },
      basicAuth(WEB_CLIENT.id, WEB_CLIENT.secret),
    )
    pool.push(check.refresh_token as string)
    contenders.push(rotationContender(store.label, auth, pool, profile.connections))
  }
  log('scenario 3: refresh-token rotation')
  const measured = await interleave(contenders, { ...profile, log })
  const rotationRows: TableRow[] = stores.map(
    (store) =>
      measured.find((row) => row.label === store.label) ?? {
        label: store.label,
        notRun: store.notRun ?? 'not run',
      },
  )
  return [
    {
      kind: 'throughput',
      id: 'issuance',
      title: 'Scenario 3a — client-credentials issuance at the auth-server (SQLite file)',
      unit: 'tokens/s',
      rows: issued,
    },
    {
      kind: 'throughput',
      id: 'rotation',
      title: 'Scenario 3b — refresh-token rotation (RS256 access token + new refresh token)',
      unit: 'rotations/s',
      rows: rotationRows,
    },
  ]
}
