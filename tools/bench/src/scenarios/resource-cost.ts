import { join } from 'node:path'
import type { RequestCounts } from '../children/probe.js'
import { bearerRequests, runLoadWithCpu } from '../load.js'
import type { Child } from '../processes.js'
import type { ThroughputTable } from '../report/model.js'
import { type Contender, interleave } from '../rounds.js'
import { RESOURCE_PATH, type TargetConfig, type TargetMode } from '../targets.js'
import {
  basicAuth,
  postForm,
  preflight,
  type ScenarioContext,
  startAuthServerChild,
  startResourceServer,
  tempDir,
} from './common.js'

// The auth-server's service account: client credentials for inventory-api tokens (apps/auth-server/clients.json).
export const SERVICE_CLIENT = { id: 'orders-api', secret: 'orders-api-secret' } as const
export const AUDIENCE = 'urn:stateless-auth:inventory-api'

const ROWS: ReadonlyArray<{ mode: TargetMode; label: string }> = [
  { mode: 'none', label: 'no authentication (ceiling)' },
  { mode: 'verifier', label: 'our verifier, cache off' },
  { mode: 'verifier-cache', label: 'our verifier, cache on' },
  { mode: 'introspection', label: 'RFC 7662 introspection per request' },
  { mode: 'jose', label: 'jose jwtVerify + createRemoteJWKSet' },
  { mode: 'fastify-jwt', label: '@fastify/jwt + get-jwks (README recipe)' },
  { mode: 'signature-only', label: 'floor: one RS256 signature check, key in hand, nothing else' },
]

const sum = (counts: RequestCounts) => Object.values(counts).reduce((a, b) => a + b, 0)

/** Distinct access tokens from the real token endpoint (client credentials), as a service would hold them. */
export async function clientCredentialsTokens(auth: Child, count: number): Promise<string[]> {
  const tokens: string[] = []
  const authorization = basicAuth(SERVICE_CLIENT.id, SERVICE_CLIENT.secret)
  for (let i = 0; i < count; i++) {
    const body = await postForm(`${auth.url}/token`, { grant_type: 'client_credentials' }, authorization)
    tokens.push(body.access_token as string)
  }
  return tokens
}

/**
 * One contender per resource server, each loaded with bearer requests cycling through `tokens`; `counted` is what
 * `count` makes of the auth-server's request counts (by path) over the run. The IPC questions are not HTTP requests,
 * so everything counted came from the resource server under load.
 */
export function countingContenders(
  ctx: ScenarioContext,
  auth: Child,
  tokens: readonly string[],
  rows: ReadonlyArray<{ label: string; server: Child }>,
  options: { counted: (counts: RequestCounts) => number; cpuOfAuthServer: boolean },
): Contender[] {
  const requests = bearerRequests(RESOURCE_PATH, tokens)
  return rows.map(({ label, server }) => ({
    label,
    async measure(seconds) {
      const before = options.counted(await auth.ask<RequestCounts>('counts'))
      const result = await runLoadWithCpu(
        { url: server.url, connections: ctx.profile.connections, duration: seconds, requests },
        options.cpuOfAuthServer ? [server, auth] : [server],
      )
      return { ...result, counted: options.counted(await auth.ask<RequestCounts>('counts')) - before }
    },
  }))
}

/** A resource server's settings for the real auth-server `auth` and its inventory-api tokens; the row adds its mode. */
export function authServerTarget(auth: Child): Omit<TargetConfig, 'mode'> {
  return {
    issuer: auth.url,
    audience: AUDIENCE,
    jwksUri: `${auth.url}/jwks`,
    algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    cacheMax: 1000,
    introspection: {
      url: `${auth.url}/introspect`,
      clientId: SERVICE_CLIENT.id,
      clientSecret: SERVICE_CLIENT.secret,
    },
  }
}

/**
 * Scenario 1: what authenticating a request costs, on the same route and JSON, against the real auth-server
 * (RS256). Every row cycles through the same pool of distinct tokens; the auth-server counts what it receives.
 */
export async function resourceCost(ctx: ScenarioContext): Promise<ThroughputTable[]> {
  const { profile, log } = ctx
  const dir = tempDir(ctx, 'resource')
  const auth = await startAuthServerChild(ctx, {
    SIGNING_ALG: 'RS256',
    DATABASE_URL: join(dir, 'auth.sqlite'),
  })
  log(`auth-server at ${auth.url}; fetching ${profile.tokenPool} client-credentials tokens`)
  const tokens = await clientCredentialsTokens(auth, profile.tokenPool)

  const base = authServerTarget(auth)
  const servers = await Promise.all(ROWS.map((row) => startResourceServer(ctx, { ...base, mode: row.mode })))
  for (const [i, row] of ROWS.entries())
    await preflight(row.label, servers[i]!.url, tokens[0]!, row.mode !== 'none')

  // CPU of the resource server and of the auth-server together: introspection spends it in both.
  const contenders = countingContenders(
    ctx,
    auth,
    tokens,
    ROWS.map((row, i) => ({ label: row.label, server: servers[i]! })),
    {
      counted: sum,
      cpuOfAuthServer: true,
    },
  )
  log('scenario 1: resource request cost')
  const rows = await interleave(contenders, { ...profile, log })
  return [
    {
      kind: 'throughput',
      id: 'resource',
      title: 'Scenario 1 — resource request cost (RS256, same route and JSON)',
      unit: 'req/s',
      rows,
      counted: 'auth-server requests',
    },
  ]
}
