import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { openDatabase } from '@stateless-auth/sql'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { SESSION_COOKIE } from '../src/session/plugin.js'
import type { SessionData } from '../src/session/store.js'

/** What the stand-in token endpoint answers next: a token response, a refusal, or a 5xx. */
type TokenAnswer = 'tokens' | 'invalid_grant' | 'invalid_client' | 'server_error'

interface TokenRequest {
  form: URLSearchParams
  dpop: boolean
}

/**
 * A stand-in for the auth-server (metadata and token endpoint) and for orders-api (GET /orders), on 127.0.0.1:0:
 * enough for the web app's refresh, with the token endpoint's answer chosen by the test.
 */
function standIn() {
  const state = { answer: 'tokens' as TokenAnswer, issued: 0, requests: [] as TokenRequest[], base: '' }
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    if (req.url === '/.well-known/oauth-authorization-server') {
      return json(res, 200, {
        issuer: state.base,
        authorization_endpoint: `${state.base}/authorize`,
        token_endpoint: `${state.base}/token`,
      })
    }
    if (req.url === '/token' && req.method === 'POST') {
      state.requests.push({ form: new URLSearchParams(body), dpop: req.headers.dpop !== undefined })
      switch (state.answer) {
        case 'tokens':
          state.issued += 1
          return json(res, 200, {
            access_token: `access-${state.issued}`,
            token_type: req.headers.dpop ? 'DPoP' : 'Bearer',
            expires_in: 300,
            refresh_token: `refresh-${state.issued}`,
          })
        case 'server_error':
          return json(res, 500, { error: 'server_error' })
        default:
          return json(res, 400, { error: state.answer, error_description: 'refused by the stand-in' })
      }
    }
    if (req.url === '/orders') return json(res, 200, { orders: [] })
    return json(res, 404, { error: 'not_found' })
  })
  return { server, state }
}

const { server, state } = standIn()
let app: FastifyInstance

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const config = loadConfig({
    PUBLIC_URL: 'http://localhost:3000',
    PUBLIC_ISSUER: state.base,
    ORDERS_API_URL: state.base,
    INVENTORY_API_URL: state.base,
    DATABASE_URL: ':memory:',
    DISCOVERY_TIMEOUT: '1',
    // Every call refreshes first, whatever the held token's lifetime.
    REFRESH_MARGIN: '3600',
  })
  app = await buildApp(config, { db: await openDatabase(':memory:') })
})
afterAll(async () => {
  await app?.close()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  state.answer = 'tokens'
  state.issued = 0
  state.requests = []
})

/** A signed-in session as the callback leaves it: a refresh token and an orders token about to expire. */
async function signedIn() {
  const data: SessionData = {
    sub: 'alice',
    username: 'alice',
    scope: 'openid offline_access orders:read',
    refreshToken: 'refresh-0',
    tokens: { orders: { accessToken: 'access-0', expiresAt: Math.floor(Date.now() / 1000) + 10 } },
  }
  const id = await app.sessions.create(data)
  return { id, cookie: `${SESSION_COOKIE}=${app.signCookie(id)}` }
}

const post = (url: string, cookie: string) =>
  app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/json' }, payload: '{}' })

// The two paths that refresh: an API call (a DPoP-bound token kept in the session) and the steal experiment (an
// unbound token for the thief, never kept). One exchange behind both, so one behaviour on failure.
const paths = [
  { name: 'an API call (DPoP refresh)', url: '/api/call/orders', dpop: true },
  { name: 'the steal experiment (Bearer refresh)', url: '/api/experiments/steal', dpop: false },
]

describe.each(paths)('refreshing for $name', ({ url, dpop }) => {
  it('ends the session when the auth-server refuses the refresh token (invalid_grant): 401, sign in again', async () => {
    const { id, cookie } = await signedIn()
    state.answer = 'invalid_grant'
    const refused = await post(url, cookie)
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toEqual({
      error: 'session_expired',
      error_description: expect.stringMatching(/^signed out: .*invalid_grant.*; sign in again$/),
    })
    expect(state.requests).toHaveLength(1)
    expect(state.requests[0]!.form.get('grant_type')).toBe('refresh_token')
    expect(state.requests[0]!.form.get('refresh_token')).toBe('refresh-0')
    expect(state.requests[0]!.dpop).toBe(dpop)
    expect(await app.sessions.get(id)).toBeUndefined()
    // The page shows the signed-out state, and nothing else works without a new sign-in.
    const page = await app.inject({ method: 'GET', url: '/', headers: { cookie } })
    expect(page.body).toContain('Sign in to start')
    state.answer = 'tokens'
    const after = await post(url, cookie)
    expect(after.statusCode).toBe(401)
    expect(after.json()).toMatchObject({ error: 'WEB_ERR_NOT_SIGNED_IN' })
    expect(state.requests).toHaveLength(1)
  })

  it('keeps the session and its refresh token when the auth-server fails (5xx), and refreshes once it is back', async () => {
    const { id, cookie } = await signedIn()
    state.answer = 'server_error'
    const failed = await post(url, cookie)
    expect(failed.statusCode).toBe(503)
    expect(failed.json()).toMatchObject({ error: 'WEB_ERR_AUTH_SERVER_UNREACHABLE' })
    expect((await app.sessions.get(id))?.refreshToken).toBe('refresh-0')

    state.answer = 'tokens'
    const back = await post(url, cookie)
    expect(back.statusCode).toBe(200)
    expect(state.requests[1]!.form.get('refresh_token')).toBe('refresh-0')
    // The rotated refresh token is saved whichever path refreshed.
    const session = await app.sessions.get(id)
    expect(session?.refreshToken).toBe(`refresh-${state.issued}`)
    // Only a DPoP-bound token is kept as the session's token; the thief's Bearer token never is.
    expect(session?.tokens.orders?.accessToken).toBe(`access-${state.issued}`)
    expect(state.requests.at(-1)!.dpop).toBe(true)
  })

  it('keeps the session when the auth-server refuses this app rather than the token: 502', async () => {
    const { id, cookie } = await signedIn()
    state.answer = 'invalid_client'
    const failed = await post(url, cookie)
    expect(failed.statusCode).toBe(502)
    expect(failed.json()).toMatchObject({
      error: 'WEB_ERR_REFRESH_FAILED',
      error_description: expect.stringContaining('invalid_client'),
    })
    expect((await app.sessions.get(id))?.refreshToken).toBe('refresh-0')
  })
})

describe('the bearer refresh of the steal experiment', () => {
  it('saves the rotated refresh token but keeps the unbound access token out of the session', async () => {
    const { id, cookie } = await signedIn()
    const run = await post('/api/experiments/steal', cookie)
    expect(run.statusCode).toBe(200)
    // First the thief's Bearer token, then the session's own (DPoP) token from the rotated refresh token.
    expect(state.requests.map((r) => [r.dpop, r.form.get('refresh_token')])).toEqual([
      [false, 'refresh-0'],
      [true, 'refresh-1'],
    ])
    const session = await app.sessions.get(id)
    expect(session?.refreshToken).toBe('refresh-2')
    expect(session?.tokens.orders?.accessToken).toBe('access-2')
    expect(Object.values(session?.tokens ?? {}).map((t) => t.accessToken)).not.toContain('access-1')
  })
})

describe('DPoP keys held in memory', () => {
  it("forgets a replaced token's key a minute after the refresh and keeps the current one's", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'], shouldAdvanceTime: true })
    try {
      const { id, cookie } = await signedIn()
      expect((await post('/api/call/orders', cookie)).statusCode).toBe(200)
      const first = (await app.sessions.get(id))!.tokens.orders!.accessToken
      expect(app.tokens.keyFor(first)).toBeDefined()
      const second = (await app.tokens.refresh(id, 'orders')).accessToken
      expect(second).not.toBe(first)
      // A call that took the first token just before the refresh still finds its key…
      expect(app.tokens.keyFor(first)).toBeDefined()
      vi.advanceTimersByTime(60_000)
      // …but not a minute later: the map holds the session's tokens, not every token ever handed out.
      expect(app.tokens.keyFor(first)).toBeUndefined()
      expect(app.tokens.keyFor(second)).toBeDefined()
    } finally {
      vi.useRealTimers()
    }
  })
})
