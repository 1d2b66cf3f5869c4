import { setTimeout as sleep } from 'node:timers/promises'
import type { OAuth2Namespace, Token } from '@fastify/oauth2'
import { AuthServerUnreachable } from '../errors.js'
import type { Api, HeldToken, SessionData, SessionStore } from '../session/store.js'

/** What the token endpoint said when it refused: RFC 6749 §5.2 `{ error, error_description }` plus the status. */
export interface TokenEndpointRefusal {
  status: number
  error: string
  error_description?: string
}

export class RefreshRefused extends Error {
  readonly code = 'WEB_ERR_REFRESH_REFUSED'
  readonly statusCode = 401
  constructor(readonly refusal: TokenEndpointRefusal) {
    super(
      `refresh refused: ${refusal.error}${refusal.error_description ? ` (${refusal.error_description})` : ''}`,
    )
  }
}

/** Turns a simple-oauth2 (wreck/Boom) error into the token endpoint's own answer, when there was one. */
export function refusalOf(err: unknown): TokenEndpointRefusal | undefined {
  const e = err as { data?: { payload?: unknown }; output?: { statusCode?: number } }
  let payload = e?.data?.payload
  if (Buffer.isBuffer(payload)) {
    try {
      payload = JSON.parse(payload.toString('utf8'))
    } catch {
      payload = undefined
    }
  }
  const body = payload as { error?: unknown; error_description?: unknown } | undefined
  if (typeof body?.error !== 'string') return undefined
  return {
    status: e.output?.statusCode ?? 400,
    error: body.error,
    ...(typeof body.error_description === 'string' ? { error_description: body.error_description } : {}),
  }
}

export interface TokenServiceOptions {
  oauth: OAuth2Namespace
  store: SessionStore
  audiences: Record<Api, string>
  refreshMargin: number
  now?: () => number
}

export interface TokenResult {
  token: HeldToken
  /** True when this call had to refresh (rotating the refresh token) to get it. */
  refreshed: boolean
}

/** How long a replica may hold a session's refresh lease; a crashed holder's lease lapses after it. */
const LEASE_MS = 15_000
const LEASE_POLL_MS = 50

/**
 * Hands out a session's access token for one API, refreshing it shortly before expiry. A refresh rotates the
 * refresh token (RFC 9700 §4.14.2), so two refreshes of one session racing would present the same token twice
 * and trip the server's reuse detection, revoking the whole family: refreshes of one session are serialised,
 * in this process by a queue and across replicas on one session database by a row lease (issue 12, item 8).
 * A call that waited while another (here or on a replica) refreshed uses the token that one stored.
 */
export function createTokenService(options: TokenServiceOptions) {
  const { oauth, store, audiences, refreshMargin } = options
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const queues = new Map<string, Promise<unknown>>()

  function serialise<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    const previous = queues.get(sessionId) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const tail = run.catch(() => undefined)
    queues.set(sessionId, tail)
    void tail.then(() => {
      if (queues.get(sessionId) === tail) queues.delete(sessionId)
    })
    return run
  }

  /** Runs `fn` holding the session's lease in the database, waiting while another replica holds it. */
  async function leased<T>(sessionId: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + LEASE_MS
    while (!(await store.lease(sessionId, LEASE_MS))) {
      // Gone (signed out, expired, refused): `fn` finds no session and says so.
      if (!(await store.get(sessionId))) return fn()
      if (Date.now() > deadline)
        throw new AuthServerUnreachable('another replica is still refreshing this session')
      await sleep(LEASE_POLL_MS)
    }
    try {
      return await fn()
    } finally {
      await store.release(sessionId)
    }
  }

  /**
   * Under the queue and the lease: the token for `api` someone else refreshed while this call waited (the
   * refresh token is no longer the one this call saw before waiting), if it is still valid; else a refresh.
   */
  function refreshUnlessDone(
    sessionId: string,
    api: Api,
    seen: string | undefined,
    due: (t: HeldToken) => boolean,
  ) {
    return serialise(sessionId, () =>
      leased(sessionId, async (): Promise<TokenResult> => {
        const session = await store.get(sessionId)
        const held = session?.tokens[api]
        if (held && !due(held)) return { token: held, refreshed: false }
        if (held && session?.refreshToken !== seen && held.expiresAt > now()) {
          return { token: held, refreshed: false }
        }
        return { token: (await refreshNow(sessionId, api)).token, refreshed: true }
      }),
    )
  }

  /** Exchanges the refresh token for an access token for `api` (RFC 8707 §2.2: `resource` on refresh). */
  async function refreshNow(
    sessionId: string,
    api: Api,
  ): Promise<{ session: SessionData; token: HeldToken }> {
    const session = await store.get(sessionId)
    if (!session?.refreshToken) throw new RefreshRefused({ status: 400, error: 'no_refresh_token' })
    let fresh: Token
    try {
      const current = { refresh_token: session.refreshToken } as unknown as Token
      fresh = (await oauth.getNewAccessTokenUsingRefreshToken(current, { resource: audiences[api] })).token
    } catch (err) {
      const refusal = refusalOf(err)
      // No answer at all (the auth-server is down): the refresh token is still good, keep it for later.
      if (!refusal) throw new AuthServerUnreachable((err as Error).message)
      // The server has revoked or refused the grant (the user may have been disabled): the refresh token is dead
      // and the web session ends with it (issue 12, item 1), so a disabled user keeps no way in here.
      await store.destroy(sessionId)
      throw new RefreshRefused(refusal)
    }
    const token = { accessToken: fresh.access_token, expiresAt: now() + Number(fresh.expires_in) }
    session.tokens[api] = token
    if (fresh.refresh_token) session.refreshToken = fresh.refresh_token
    await store.save(sessionId, session)
    return { session, token }
  }

  return {
    /** The held token when it has more than `refreshMargin` seconds left, else a freshly refreshed one. */
    async tokenFor(sessionId: string, api: Api): Promise<TokenResult> {
      const session = await store.get(sessionId)
      const held = session?.tokens[api]
      const due = (t: HeldToken) => t.expiresAt - refreshMargin <= now()
      if (held && !due(held)) return { token: held, refreshed: false }
      return refreshUnlessDone(sessionId, api, session?.refreshToken, due)
    },
    /**
     * Refreshes whatever the held token's state: used after a 401 and by the experiments. Only a refresh that
     * another call completed while this one waited stands in for it.
     */
    async refresh(sessionId: string, api: Api): Promise<HeldToken> {
      const seen = (await store.get(sessionId))?.refreshToken
      return (await refreshUnlessDone(sessionId, api, seen, () => true)).token
    },
    /**
     * RFC 7009: revoking the refresh token also ends the access tokens' renewal; the session row goes too.
     * Answers the session's ID token (for the auth-server's end_session_endpoint) and any revocation refusal.
     */
    async logout(sessionId: string): Promise<{ idToken?: string; refusal?: TokenEndpointRefusal }> {
      return serialise(sessionId, async () => {
        const session = await store.get(sessionId)
        await store.destroy(sessionId)
        const idToken = session?.idToken === undefined ? {} : { idToken: session.idToken }
        if (!session?.refreshToken) return idToken
        try {
          const held = { refresh_token: session.refreshToken } as unknown as Token
          await oauth.revokeToken(held, 'refresh_token', undefined)
          return idToken
        } catch (err) {
          const refusal = refusalOf(err) ?? {
            status: 503,
            error: 'revocation_failed',
            error_description: String(err),
          }
          return { ...idToken, refusal }
        }
      })
    },
  }
}

export type TokenService = ReturnType<typeof createTokenService>
