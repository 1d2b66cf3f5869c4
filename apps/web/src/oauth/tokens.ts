import { setTimeout as sleep } from 'node:timers/promises'
import type { OAuth2Namespace, Token } from '@fastify/oauth2'
import { DpopClient, DpopKey } from '@stateless-auth/dpop-client'
import { AuthServerUnreachable, RefreshFailed } from '../errors.js'
import type { Api, HeldToken, SessionData, SessionStore } from '../session/store.js'

/** What the token endpoint said when it refused: RFC 6749 §5.2 `{ error, error_description }` plus the status. */
export interface TokenEndpointRefusal {
  status: number
  error: string
  error_description?: string
}

/**
 * The session's refresh token is dead (refused with `invalid_grant`, or there is none): the session has ended, and
 * the page says so ("signed out … sign in again", 401).
 */
export class RefreshRefused extends Error {
  readonly code = 'WEB_ERR_REFRESH_REFUSED'
  readonly statusCode = 401
  constructor(readonly refusal: TokenEndpointRefusal) {
    super(
      `signed out: the auth-server refused this session's refresh token: ${refusal.error}${refusal.error_description ? ` (${refusal.error_description})` : ''}`,
    )
  }
}

/** Turns a simple-oauth2 (wreck/Boom) error into the token endpoint's own answer, when there was one. */
function refusalOf(err: unknown): TokenEndpointRefusal | undefined {
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

/** Where and as whom this app redeems codes and refresh tokens (RFC 6749 §3.2, `client_secret_basic`). */
export interface TokenEndpoint {
  url: string
  /** The endpoint's public URL (`htu` of the proofs), which `url` may be an internal address of. */
  htu: string
  clientId: string
  clientSecret: string
}

/** The session's DPoP key, made (and stored with the session by the caller) when the session has none yet. */
export function sessionKey(session: Pick<SessionData, 'dpopKey'>): DpopKey {
  if (session.dpopKey) return DpopKey.fromPrivateJwk(session.dpopKey)
  const key = DpopKey.generate()
  session.dpopKey = key.toPrivateJwk()
  return key
}

/**
 * A token request with a DPoP proof of the session's key (RFC 9449 §5), retried once when the auth-server asks
 * for a nonce. Resolves with the token response, or rejects with the refusal (RFC 6749 §5.2) or, when no answer
 * came, `AuthServerUnreachable`.
 */
export async function dpopTokenRequest(
  endpoint: TokenEndpoint,
  key: DpopKey | undefined,
  params: Record<string, string>,
): Promise<Record<string, unknown>> {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  const basic = Buffer.from(`${encode(endpoint.clientId)}:${encode(endpoint.clientSecret)}`).toString(
    'base64',
  )
  let response: Response
  try {
    // @fastify/oauth2 (simple-oauth2) can neither add a `DPoP` header nor show the `DPoP-Nonce` answer: made here.
    const init = {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
      body: new URLSearchParams(params),
      signal: AbortSignal.timeout(10_000),
    }
    // Without a key (the steal experiment's Bearer token only): a plain request, an unbound token.
    response = key
      ? await new DpopClient(key).fetch(endpoint.url, { ...init, htu: endpoint.htu })
      : await fetch(endpoint.url, init)
  } catch (err) {
    throw new AuthServerUnreachable((err as Error).message)
  }
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined
  if (response.ok && typeof body?.access_token === 'string') return body
  if (response.status >= 500 || typeof body?.error !== 'string') {
    throw new AuthServerUnreachable(`the token endpoint answered ${response.status}`)
  }
  throw new TokenRequestRefused({
    status: response.status,
    error: body.error,
    ...(typeof body.error_description === 'string' ? { error_description: body.error_description } : {}),
  })
}

/** The token endpoint refused a request (RFC 6749 §5.2). */
export class TokenRequestRefused extends Error {
  constructor(readonly refusal: TokenEndpointRefusal) {
    super(`${refusal.error} ${refusal.error_description ?? ''}`.trim())
  }
}

export interface TokenServiceOptions {
  oauth: OAuth2Namespace
  endpoint: TokenEndpoint
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
/** Access tokens whose DPoP key is remembered in memory (oldest forgotten first; a miss re-reads the session). */
const MAX_KEYS = 10_000
/** How long a replaced token's key stays known: longer than any call that took the token can still be running. */
const FORGET_AFTER_MS = 60_000

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
  // Which session key each handed-out access token is bound to, so the API client can sign its proofs.
  const keys = new Map<string, DpopKey>()
  function handOut(session: SessionData | undefined, token: HeldToken): HeldToken {
    if (session?.dpopKey && !keys.has(token.accessToken)) {
      if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value as string)
      keys.set(token.accessToken, DpopKey.fromPrivateJwk(session.dpopKey))
    }
    return token
  }

  // A key is held while its token is the session's: once a refresh replaces the token or the session ends, it goes
  // (after a grace, so that a call that took the token just before still signs with its key). The map then holds
  // about two entries per live session, not every token ever handed out (MAX_KEYS is only the bound).
  function forget(...tokens: Array<HeldToken | undefined>): void {
    const gone = tokens.flatMap((token) => (token ? [token.accessToken] : []))
    if (gone.length === 0) return
    setTimeout(() => {
      for (const accessToken of gone) keys.delete(accessToken)
    }, FORGET_AFTER_MS).unref()
  }

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
        if (held && !due(held)) return { token: handOut(session, held), refreshed: false }
        if (held && session?.refreshToken !== seen && held.expiresAt > now()) {
          return { token: handOut(session, held), refreshed: false }
        }
        return { token: await exchangeRefresh(sessionId, session, api, 'dpop'), refreshed: true }
      }),
    )
  }

  /**
   * The one refresh exchange of `session` (RFC 6749 §6, `resource` per RFC 8707 §2.2): `dpop` with a proof of the
   * session's key (RFC 9449 §5), `bearer` without, for the steal experiment's unbound token only. The rotated
   * refresh token (RFC 9700 §4.14.2) is saved with the session at once; a bound access token is kept as the
   * session's token for `api`, an unbound one never.
   *
   * One rule for a failure, whoever asked: when the auth-server refuses the grant (`invalid_grant`: revoked,
   * expired, reused, or the user was disabled) or there is no refresh token, the session's tokens are dead and the
   * session ends with them (issue 12, item 1), so a disabled user keeps no way in here: `RefreshRefused`, 401.
   * Anything else leaves the session and its refresh token as they were, good for a later try: no answer or a 5xx
   * (`AuthServerUnreachable`, 503), or a refusal of this app rather than of the token (`RefreshFailed`, 502).
   */
  async function exchangeRefresh(
    sessionId: string,
    session: SessionData | undefined,
    api: Api,
    binding: 'dpop' | 'bearer',
  ): Promise<HeldToken> {
    if (!session?.refreshToken) {
      await store.destroy(sessionId)
      if (session) forget(...Object.values(session.tokens))
      throw new RefreshRefused({ status: 400, error: 'no_refresh_token' })
    }
    const key = binding === 'dpop' ? sessionKey(session) : undefined
    let fresh: Record<string, unknown>
    try {
      fresh = await dpopTokenRequest(options.endpoint, key, {
        grant_type: 'refresh_token',
        refresh_token: session.refreshToken,
        resource: audiences[api],
      })
    } catch (err) {
      if (!(err instanceof TokenRequestRefused)) throw err
      if (err.refusal.error !== 'invalid_grant') throw new RefreshFailed(err.message)
      await store.destroy(sessionId)
      forget(...Object.values(session.tokens))
      throw new RefreshRefused(err.refusal)
    }
    const token = { accessToken: String(fresh.access_token), expiresAt: now() + Number(fresh.expires_in) }
    if (typeof fresh.refresh_token === 'string') session.refreshToken = fresh.refresh_token
    if (key) {
      forget(session.tokens[api])
      session.tokens[api] = token
    }
    await store.save(sessionId, session)
    return key ? handOut(session, token) : token
  }

  return {
    /** Where and as whom codes and refresh tokens are redeemed. */
    endpoint: options.endpoint,
    /** The DPoP key a token handed out by this service is bound to; undefined for a token it did not hand out. */
    keyFor: (accessToken: string) => keys.get(accessToken),
    /** The held token when it has more than `refreshMargin` seconds left, else a freshly refreshed one. */
    async tokenFor(sessionId: string, api: Api): Promise<TokenResult> {
      const session = await store.get(sessionId)
      const held = session?.tokens[api]
      const due = (t: HeldToken) => t.expiresAt - refreshMargin <= now()
      if (held && !due(held)) return { token: handOut(session, held), refreshed: false }
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
     * An unbound (Bearer) token for `api`, from a refresh without a proof: for the steal experiment only, which
     * shows what a thief does with one. Not kept in the session; the rotated refresh token is.
     */
    async bearerToken(sessionId: string, api: Api): Promise<string> {
      return serialise(sessionId, () =>
        leased(sessionId, async () => {
          const session = await store.get(sessionId)
          return (await exchangeRefresh(sessionId, session, api, 'bearer')).accessToken
        }),
      )
    },
    /**
     * RFC 7009: revoking the refresh token also ends the access tokens' renewal; the session row goes too.
     * Answers the session's ID token (for the auth-server's end_session_endpoint) and any revocation refusal.
     */
    async logout(sessionId: string): Promise<{ idToken?: string; refusal?: TokenEndpointRefusal }> {
      return serialise(sessionId, async () => {
        const session = await store.get(sessionId)
        await store.destroy(sessionId)
        if (session) forget(...Object.values(session.tokens))
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
