import { type Api, listTtl, revocationExperiment, statusListOf } from '@stateless-auth/experiments'
import { API_PATHS, type ApiClient, type ObservedCall, parseCounters } from './apis.js'
import type { TokenService } from './oauth/tokens.js'

/**
 * The page's "revoke now" experiment (issue 14): the BFF revokes the session's two access tokens at the
 * auth-server, then calls both APIs until each refuses them, and answers with a timeline — the revocation, each
 * API's next status-list fetch (its own `status_list_fetches_total`), the first refusal. The experiment itself is
 * `revocationExperiment` of `@stateless-auth/experiments`, shared with the walkthrough.
 */

/** What the experiment needs from the auth-server and the APIs, beyond the session's tokens. */
export interface RevocationAccess {
  /** RFC 7009 revocation of one access token by this client; true when the auth-server answered 200. */
  revoke(accessToken: string): Promise<boolean>
  /** The status list token at `uri` (a public URI, fetched at the internal issuer address). */
  listToken(uri: string): Promise<string | undefined>
  /** An API's `status_list_fetches_total`; undefined when its /metrics cannot be read. */
  listFetches(api: Api): Promise<number | undefined>
}

export function createRevocationAccess(options: {
  /** The auth-server's revocation endpoint as this server reaches it, and this client's credentials. */
  revocationEndpoint: string
  client: { id: string; secret: string }
  publicIssuer: string
  internalIssuer: string
  apiUrls: Record<Api, string>
  timeoutMs?: number
}): RevocationAccess {
  const timeout = () => AbortSignal.timeout(options.timeoutMs ?? 5000)
  return {
    async revoke(accessToken) {
      // RFC 7009 §2.1 with client_secret_basic (RFC 6749 §2.3.1: id and secret form-encoded first).
      const basic = Buffer.from(
        `${encodeURIComponent(options.client.id)}:${encodeURIComponent(options.client.secret)}`,
      ).toString('base64')
      try {
        const res = await fetch(options.revocationEndpoint, {
          method: 'POST',
          headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: accessToken, token_type_hint: 'access_token' }),
          signal: timeout(),
        })
        await res.arrayBuffer()
        return res.status === 200
      } catch {
        return false
      }
    },
    async listToken(uri) {
      // Lists are named at the public issuer; this server reaches the same issuer at its internal address.
      const url = uri.startsWith(`${options.publicIssuer}/`)
        ? `${options.internalIssuer}${uri.slice(options.publicIssuer.length)}`
        : undefined
      if (url === undefined) return undefined
      try {
        const res = await fetch(url, { signal: timeout() })
        return res.ok ? await res.text() : undefined
      } catch {
        return undefined
      }
    },
    async listFetches(api) {
      try {
        const res = await fetch(`${options.apiUrls[api]}/metrics`, { signal: timeout() })
        if (!res.ok) return undefined
        return parseCounters(await res.text()).get('status_list_fetches_total')?.total ?? 0
      } catch {
        return undefined
      }
    },
  }
}

interface RevokeContext {
  sessionId: string
  tokens: TokenService
  apis: ApiClient
  revocation: RevocationAccess | undefined
}

/** The result in the page's experiment format (name, outcome, explanation, steps). */
export async function revokeNow({ sessionId, tokens, apis, revocation }: RevokeContext) {
  const name = 'revoke'
  if (!revocation) {
    return {
      name,
      outcome: 'not-run' as const,
      explanation: 'The auth-server advertises no revocation endpoint, so this app cannot revoke a token.',
      steps: [],
    }
  }
  const orders = (await tokens.tokenFor(sessionId, 'orders')).token.accessToken
  const inventory = (await tokens.tokenFor(sessionId, 'inventory')).token.accessToken
  const uri = statusListOf(orders)
  const list = uri === undefined ? undefined : await revocation.listToken(uri)
  const ttl = list === undefined ? undefined : listTtl(list)
  if (ttl === undefined) {
    return {
      name,
      outcome: 'not-run' as const,
      explanation:
        'The access token names no status list this app could read (the auth-server publishes none?), so nothing would tell the APIs of a revocation before exp.',
      steps: [],
    }
  }
  const startedAt = Date.now()
  const run = await revocationExperiment<ObservedCall>({
    tokens: { orders, inventory },
    call: (api, token) => apis.call(api, 'GET', API_PATHS[api], token),
    revoke: async (held) =>
      (await Promise.all([revocation.revoke(held.orders), revocation.revoke(held.inventory)])).every(Boolean),
    listFetches: (api) => revocation.listFetches(api),
    ttl,
  })
  // The session keeps working: its refresh token was not revoked, so both access tokens are replaced now.
  await tokens.refresh(sessionId, 'orders').catch(() => undefined)
  await tokens.refresh(sessionId, 'inventory').catch(() => undefined)
  const revokedAt = new Date(startedAt).toISOString()
  return {
    name,
    outcome: run.ok ? ('as-explained' as const) : ('unexpected' as const),
    explanation: run.explanation,
    steps: [
      { label: 'GET /orders before the revocation', call: run.before.orders },
      { label: 'GET /inventory before the revocation', call: run.before.inventory },
      {
        label: `Timeline after POST /revoke (list ${uri}, ttl ${ttl} s)`,
        detail: {
          revokedAt,
          ttl,
          events: run.timeline,
          fetches: run.fetches,
          requests: run.requests,
        },
      },
      ...(['orders', 'inventory'] as const).flatMap((api) => {
        const refused = run.refusal[api]
        return refused ? [{ label: `First refusal by ${api}-api`, call: refused }] : []
      }),
    ],
  }
}
