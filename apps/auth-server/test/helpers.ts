import type { Backend, TestStore } from '@stateless-auth/sql/testing'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import * as client from 'openid-client'
import { afterEach, expect } from 'vitest'
import type { AuthServerDeps } from '../src/app.js'
import { createStorage, migrations, type Storage } from '../src/storage/index.js'
import { type StartedAuthServer, startAuthServer } from '../src/testing.js'

export const ORDERS = 'urn:stateless-auth:orders-api'
export const INVENTORY = 'urn:stateless-auth:inventory-api'
export const WEB_REDIRECT = 'http://localhost:3000/auth/callback'
export const PASSWORD = 'demo-password'

const running = new Set<StartedAuthServer>()
afterEach(async () => {
  await Promise.all([...running].map((server) => server.close()))
  running.clear()
})

/** A server on 127.0.0.1:<free port>, closed after the test. */
export async function start(overrides: Record<string, string> = {}, deps: AuthServerDeps = {}) {
  const server = await startAuthServer(
    {
      RATE_LIMIT_TOKEN_MAX: '10000',
      RATE_LIMIT_LOGIN_MAX: '10000',
      RATE_LIMIT_AUTHORIZE_MAX: '10000',
      ...overrides,
    },
    deps,
  )
  running.add(server)
  return server
}

/**
 * For a `describe.each(backends())` body: each call gives a fresh empty database on `backend`, dropped after the
 * test.
 */
export function freshStores(backend: Backend): () => Promise<TestStore> {
  const stores: TestStore[] = []
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.drop()))
  })
  return async () => {
    const store = await backend.createStore()
    stores.push(store)
    return store
  }
}

/** Storage on a fresh, migrated database of `backend`; closing it drops the database. */
export async function freshStorage(backend: Backend): Promise<Storage> {
  const db = await backend.open()
  await db.migrate(migrations)
  return createStorage(db)
}

/** A clock the test moves by hand (milliseconds, like Date.now), starting at the real time. */
export function fakeClock() {
  let ms = Date.now()
  return {
    now: () => ms,
    advance(seconds: number) {
      ms += seconds * 1000
    },
  }
}

/** openid-client configured by discovery, as the demo apps use it. */
export async function discover(url: string, clientId = 'web', secret: string | null = 'web-secret') {
  const auth = secret === null ? client.None() : client.ClientSecretBasic(secret)
  return client.discovery(new URL(url), clientId, undefined, auth, {
    execute: [client.allowInsecureRequests],
  })
}

/** A minimal browser: a cookie jar, manual redirects, and forms parsed from the HTML and submitted. */
export class Browser {
  private readonly cookies = new Map<string, string>()

  cookie(name: string): string | undefined {
    return this.cookies.get(name)
  }

  /** Plants a cookie, as an attacker with cookie-injection power could. */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value)
  }

  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = pair!.indexOf('=')
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1))
    }
    return response
  }

  /** Submits the page's form with its hidden fields plus `fields`; `submit` picks a named button value. */
  async submit(pageUrl: string, page: string, fields: Record<string, string>): Promise<Response> {
    const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page)
    if (!form) throw new Error(`no form on the page:\n${page}`)
    const body = new URLSearchParams()
    for (const input of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      body.set(input[1]!, decodeEntities(input[2]!))
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value)
    return this.request(new URL(form[1]!, pageUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
  }

  /**
   * Walks an authorization URL like a user would: signs in when asked, answers the consent page, and returns
   * the redirect back to the client.
   */
  async authorize(
    authorizationUrl: URL | string,
    options: { username?: string; password?: string; consent?: 'allow' | 'deny' } = {},
  ): Promise<URL> {
    let url = authorizationUrl.toString()
    for (let step = 0; step < 6; step++) {
      const response = await this.request(url)
      if (response.status === 302 || response.status === 303) {
        const location = new URL(response.headers.get('location')!, url)
        if (!location.pathname.startsWith('/authorize')) return location
        url = location.toString()
        continue
      }
      const page = await response.text()
      if (response.status !== 200) throw new Error(`authorize answered ${response.status}: ${page}`)
      const answer = page.includes('action="/login"')
        ? await this.submit(url, page, {
            username: options.username ?? 'alice',
            password: options.password ?? PASSWORD,
          })
        : await this.submit(url, page, { decision: options.consent ?? 'allow' })
      if (answer.status !== 303) throw new Error(`form answered ${answer.status}: ${await answer.text()}`)
      const location = new URL(answer.headers.get('location')!, url)
      if (!location.pathname.startsWith('/authorize')) return location
      url = location.toString()
    }
    throw new Error('too many steps')
  }
}

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/** The code flow end to end with openid-client: PKCE, state, nonce, the login form filled in. */
export async function signIn(
  config: client.Configuration,
  options: {
    scope?: string
    resource?: string
    username?: string
    redirectUri?: string
    browser?: Browser
  } = {},
) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const scope = options.scope ?? 'openid profile offline_access orders:read'
  const oidc = scope.split(' ').includes('openid')
  const params: Record<string, string> = {
    redirect_uri: options.redirectUri ?? WEB_REDIRECT,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(oidc ? { nonce } : {}),
  }
  if (options.resource) params.resource = options.resource
  const browser = options.browser ?? new Browser()
  const callback = await browser.authorize(client.buildAuthorizationUrl(config, params), options)
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    ...(oidc ? { expectedNonce: nonce } : {}),
  })
  return { tokens, verifier, callback, browser }
}

/** Verifies an access token the way a resource server would, against the published JWKS. */
export async function verifyAccessToken(url: string, token: string, audience: string, currentDate?: Date) {
  const jwks = createRemoteJWKSet(new URL(`${url}/jwks`))
  const { payload, protectedHeader } = await jwtVerify<JWTPayload & { scope: string; client_id: string }>(
    token,
    jwks,
    {
      issuer: url,
      audience,
      typ: 'at+jwt',
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      ...(currentDate ? { currentDate } : {}),
    },
  )
  return { payload, protectedHeader }
}

/** A raw form POST, for the requests a certified client library would refuse to send. */
export function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  })
}

export const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
})

/**
 * An authorization request (`/authorize`) for the web client with a fresh PKCE challenge (S256) for `verifier`;
 * `params` add to or override the defaults, and a `null` leaves a parameter out.
 */
export async function authorizeUrl(
  url: string,
  params: Record<string, string | null> = {},
  verifier = client.randomPKCECodeVerifier(),
) {
  const all: Record<string, string | null> = {
    response_type: 'code',
    client_id: 'web',
    redirect_uri: WEB_REDIRECT,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  }
  const authorize = new URL(`${url}/authorize`)
  for (const [name, value] of Object.entries(all)) if (value !== null) authorize.searchParams.set(name, value)
  return authorize
}

/** Runs the browser part of the code flow by hand and returns the code with the verifier that redeems it. */
export async function obtainCode(
  url: string,
  options: {
    clientId?: string
    redirectUri?: string
    scope?: string
    resources?: string[]
    username?: string
    browser?: Browser
  } = {},
) {
  const verifier = client.randomPKCECodeVerifier()
  const redirectUri = options.redirectUri ?? WEB_REDIRECT
  const authorize = await authorizeUrl(
    url,
    {
      client_id: options.clientId ?? 'web',
      redirect_uri: redirectUri,
      scope: options.scope ?? 'openid offline_access orders:read',
      state: 'state-1',
    },
    verifier,
  )
  for (const resource of options.resources ?? []) authorize.searchParams.append('resource', resource)
  const browser = options.browser ?? new Browser()
  const callback = await browser.authorize(authorize, options)
  const code = callback.searchParams.get('code')
  if (!code) throw new Error(`no code in ${callback}`)
  return { code, verifier, redirectUri, browser }
}

/** Redeems a code at the token endpoint as the web client (client_secret_basic), with extra headers (DPoP). */
export function redeem(
  url: string,
  code: { code: string; verifier: string; redirectUri: string },
  extra = {},
  headers: Record<string, string> = {},
) {
  return post(
    `${url}/token`,
    {
      grant_type: 'authorization_code',
      code: code.code,
      code_verifier: code.verifier,
      redirect_uri: code.redirectUri,
      ...extra,
    },
    { ...basic('web', 'web-secret'), ...headers },
  )
}

export function refresh(url: string, refreshToken: string, extra: Record<string, string> = {}) {
  return post(
    `${url}/token`,
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    basic('web', 'web-secret'),
  )
}

export function admin(url: string, path: string, token = 'admin-token') {
  return fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
}

/**
 * Checks an OAuth error answer (RFC 6749 §5.2): `status`, a JSON body of exactly `error` and an
 * `error_description` (matching `description` when given), and `Cache-Control: no-store`. Returns the body.
 */
export async function expectOAuthError(
  response: Response,
  status: number,
  error: string,
  description?: RegExp,
) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(response.headers.get('cache-control')).toBe('no-store')
  const body = await response.json()
  expect(body).toEqual({
    error,
    error_description: description ? expect.stringMatching(description) : expect.any(String),
  })
  return body as { error: string; error_description: string }
}

/** A server, a code for the web client, and the tokens of the code's one successful redemption. */
export async function redeemedCode() {
  const server = await start()
  const code = await obtainCode(server.url)
  const first = await redeem(server.url, code)
  expect(first.status).toBe(200)
  return { server, code, tokens: (await first.json()) as { access_token: string; refresh_token: string } }
}

/** Obtains a code with `options` and redeems it (with `extra` token-request parameters): the tokens of its 200. */
export async function codeTokens(url: string, options: Parameters<typeof obtainCode>[1] = {}, extra = {}) {
  const response = await redeem(url, await obtainCode(url, options), extra)
  expect(response.status).toBe(200)
  return (await response.json()) as {
    access_token: string
    refresh_token: string
    scope: string
    id_token?: string
  }
}
