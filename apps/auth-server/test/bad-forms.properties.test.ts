import { test } from '@fast-check/vitest'
import { backends, type TestStore } from '@stateless-auth/sql/testing'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { type StartedAuthServer, startAuthServer } from '../src/testing.js'

// Issue 15, scenario 6: whatever a client or a browser posts to the OAuth endpoints, the answer is never a 5xx, and
// failures come in the endpoint's own format: RFC 6749 §5.2 JSON at /token, /revoke and /introspect; a page or a
// redirect to a registered redirect URI at /authorize and /login. PROPERTY_RUNS=10000 for the full run.
const numRuns = Number(process.env.PROPERTY_RUNS) || 200
// A safety net, not a speed check: a loaded machine may take far longer than usual per case.
const timeout = 60_000 + numRuns * 500

const WEB_REDIRECT = 'http://localhost:3000/auth/callback'
const LOOPBACK_CALLBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(:\d+)?\/callback$/

const NAMES = [
  'grant_type',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'client_id',
  'client_secret',
  'scope',
  'resource',
  'token',
  'token_type_hint',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'max_age',
  'dpop_jkt',
  'username',
  'password',
  'return_to',
  'decision',
]
const VALUES = [
  'web',
  'demo-cli',
  'orders-api',
  'web-secret',
  'orders-api-secret',
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'access_token',
  'code',
  'S256',
  'plain',
  'openid',
  'openid profile offline_access orders:read',
  'inventory:read inventory:write',
  'urn:stateless-auth:orders-api',
  'urn:stateless-auth:inventory-api',
  WEB_REDIRECT,
  'http://127.0.0.1:5000/callback',
  'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  'alice',
  'demo-password',
  'none',
  'login',
  'consent',
  'allow',
  'deny',
  '0',
  '-1',
  '1e309',
]

const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, fc.string({ maxLength: 10 }))
const value = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u001f', '\u007f', '\u2028', '\ufeff', '%', '&', '='),
    maxLength: 8,
  }),
  fc.constant('x'.repeat(3000)),
)
/** Parameters, repeated names included (URLSearchParams keeps every pair). */
const pairs = fc.array(fc.tuple(name, value), { maxLength: 10 })
const form = pairs.map((list) => new URLSearchParams(list).toString())
// Hand-made encodings: stray `%`, invalid UTF-8 escapes, `+`, empty names.
const rawForm = fc.string({
  unit: fc.constantFrom(
    'a',
    'b',
    '=',
    '&',
    '+',
    '%',
    '%00',
    '%zz',
    '%ED%A0%80',
    '%C3',
    ';',
    'grant_type=',
    'client_id=',
  ),
  maxLength: 30,
})

interface Body {
  contentType: string | undefined
  payload: string
}
/** A request body as a client might get it wrong: a form, a hand-made form, JSON, text or nothing at all. */
const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 4,
    arbitrary: form.map((payload) => ({ contentType: 'application/x-www-form-urlencoded', payload })),
  },
  rawForm.map((payload) => ({ contentType: 'application/x-www-form-urlencoded', payload })),
  fc.jsonValue().map((v) => ({ contentType: 'application/json', payload: JSON.stringify(v) })),
  fc
    .tuple(
      fc.constantFrom(
        'text/plain',
        'multipart/form-data',
        'application/x-www-form-urlencoded; charset=latin1',
        'x/y',
      ),
      form,
    )
    .map(([contentType, payload]) => ({ contentType, payload })),
  fc.constant({ contentType: undefined, payload: '' }),
)

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`
/** No client authentication, the right one, a wrong one, or a malformed header. */
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(basic('orders-api', 'orders-api-secret'), basic('web', 'web-secret'), 'Basic', 'Bearer x'),
  fc
    .tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }))
    .map(([id, secret]) => basic(id, secret)),
  fc.string({ maxLength: 30 }).map((raw) => `Basic ${raw}`),
)

// PostgreSQL refuses text holding NUL where SQLite stores it: a value reaching a query unchecked fails on one only.
describe.each(backends())(
  'arbitrary form bodies on %s never get a 5xx, in the endpoint’s format',
  (backend) => {
    let store: TestStore | undefined
    let server: StartedAuthServer
    let login: { cookie: string; csrf: string; returnTo: string }

    beforeAll(async () => {
      store = await backend.createStore()
      server = await startAuthServer({
        DATABASE_URL: store.url,
        LOG_LEVEL: 'silent',
        RATE_LIMIT_TOKEN_MAX: '1000000',
        RATE_LIMIT_LOGIN_MAX: '1000000',
        RATE_LIMIT_AUTHORIZE_MAX: '1000000',
      })
      // A real login form: its cookie and CSRF token let generated posts get past the CSRF check to the form logic.
      const page = await server.app.inject({
        url: `/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: 'web',
          redirect_uri: WEB_REDIRECT,
          scope: 'openid orders:read',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })}`,
      })
      expect(page.statusCode).toBe(200)
      const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page.body)?.[1] ?? ''
      login = {
        cookie: page.cookies.map((c) => `${c.name}=${c.value}`).join('; '),
        csrf: hidden('_csrf'),
        returnTo: hidden('return_to').replace(/&amp;/g, '&'),
      }
      expect(login.csrf).not.toBe('')
    })

    afterAll(async () => {
      await server?.close()
      await store?.drop()
    })

    function send(
      url: string,
      { contentType, payload }: Body,
      headers: Record<string, string | undefined> = {},
    ) {
      const all = { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...headers }
      return server.app.inject({
        method: 'POST',
        url,
        headers: Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >,
        payload,
      })
    }

    /** RFC 6749 §5.2: an error is JSON `{ error, error_description }`, not cached; a success is JSON too. */
    function expectOAuthAnswer(res: LightMyRequestResponse) {
      expect(res.statusCode, res.body).toBeLessThan(500)
      if (res.statusCode === 200 && res.body === '') return // RFC 7009 §2.2: revocation answers 200 without a body.
      expect(res.headers['content-type'], res.body).toMatch(/^application\/json/)
      if (res.statusCode < 400) return
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.json()).toEqual({
        error: expect.stringMatching(/^[a-z_]+$/),
        error_description: expect.any(String),
      })
    }

    /** A browser-facing answer: a page (HTML, errors included) or a redirect that stays on a registered URI. */
    function expectBrowserAnswer(res: LightMyRequestResponse) {
      expect(res.statusCode, res.body).toBeLessThan(500)
      const location = res.headers.location
      if (res.statusCode >= 300 && res.statusCode < 400) {
        expect(typeof location).toBe('string')
        const target = new URL(String(location), server.url)
        const base = `${target.origin}${target.pathname}`
        // Back into the flow, or out to a redirect URI a client registered: never anywhere else (no open redirect).
        const registered = base === WEB_REDIRECT || LOOPBACK_CALLBACK.test(base)
        expect(registered || (target.origin === server.url && target.pathname === '/authorize'), base).toBe(
          true,
        )
        return
      }
      expect(res.headers['content-type'], res.body).toMatch(/^text\/html/)
    }

    test.prop([fc.constantFrom('/token', '/revoke', '/introspect'), body, authorization], { numRuns })(
      'POST /token, /revoke, /introspect: OAuth JSON',
      async (url, form, auth) => {
        expectOAuthAnswer(await send(url, form, { authorization: auth }))
      },
      timeout,
    )

    test.prop([body], { numRuns })(
      'POST /authorize: a page or a redirect to a registered URI',
      async (form) => {
        expectBrowserAnswer(await send('/authorize', form))
      },
      timeout,
    )

    const query = fc.oneof(
      form,
      rawForm,
      pairs.map((list) => new URLSearchParams([...list, ['client_id', 'web']]).toString()),
    )
    test.prop([query], { numRuns })(
      'GET /authorize with an arbitrary query string: a page or a redirect to a registered URI',
      async (search) => {
        expectBrowserAnswer(await server.app.inject({ url: `/authorize?${search}` }))
      },
      timeout,
    )

    // Half the posts carry the session's cookie and CSRF token (and often its return_to), so they reach the form logic.
    const loginForm = fc.oneof(
      body.map((b) => ({ body: b, cookie: undefined })),
      fc.tuple(pairs, fc.boolean()).map(([list, keepReturnTo]) => ({
        body: {
          contentType: 'application/x-www-form-urlencoded',
          payload: new URLSearchParams([
            ['_csrf', login.csrf],
            ...(keepReturnTo ? [['return_to', login.returnTo] as [string, string]] : []),
            ...list,
          ]).toString(),
        },
        cookie: login.cookie,
      })),
    )
    test.prop([loginForm], { numRuns })(
      'POST /login: a page or a redirect to a registered URI',
      async ({ body: form, cookie }) => {
        expectBrowserAnswer(await send('/login', form, { cookie }))
      },
      timeout,
    )
  },
)
