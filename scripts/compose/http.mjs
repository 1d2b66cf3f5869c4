// HTTP helpers for the compose smoke test: a browser's cookie jar and redirects, the sign-in forms, tokens.
// Every request goes to 127.0.0.1: the public URLs the stack hands out name `localhost`, which we map.
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto'

export const PUBLIC_ISSUER = 'http://localhost:4000'
export const ORDERS = 'urn:stateless-auth:orders-api'
export const INVENTORY = 'urn:stateless-auth:inventory-api'

/** The same URL on 127.0.0.1 (the ports are published there only). */
export const loopback = (url) => String(url).replace(/^http:\/\/localhost(?=[:/])/, 'http://127.0.0.1')

/** One cookie jar per origin, as a browser keeps them; enough for session, CSRF and OAuth state cookies. */
export class Browser {
  #jars = new Map()

  #jar(url) {
    const origin = new URL(loopback(url)).origin
    if (!this.#jars.has(origin)) this.#jars.set(origin, new Map())
    return this.#jars.get(origin)
  }

  /** One request without following redirects; cookies sent and stored. */
  async request(url, init = {}) {
    const jar = this.#jar(url)
    const headers = new Headers(init.headers)
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await fetch(loopback(url), {
      ...init,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq <= 0) continue
      const name = pair.slice(0, eq).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))
      if (expired) jar.delete(name)
      else jar.set(name, pair.slice(eq + 1).trim())
    }
    return res
  }

  /**
   * Follows redirects like a browser until one leaves for `stopAt` (returned unfollowed, as a URL) or a page
   * answers; a sign-in page on the way is filled in as `username` and a consent page allowed.
   */
  async navigate(url, { username, password, stopAt }) {
    let res = await this.request(url)
    let at = new URL(loopback(url))
    for (let hop = 0; hop < 12; hop++) {
      if (res.status >= 300 && res.status < 400) {
        const location = new URL(res.headers.get('location') ?? '', at)
        if (stopAt && location.href.startsWith(stopAt)) return { redirect: location }
        at = new URL(loopback(location))
        res = await this.request(at)
        continue
      }
      const page = await res.text()
      const signIn = /name="password"/.test(page)
      const consent = /name="decision"/.test(page)
      const form = parseForm(page)
      // Any other page (the app's own, with its sign-out form) is where the navigation ends.
      if (res.status !== 200 || !form || !(signIn || consent)) return { status: res.status, page, url: at }
      const body = new URLSearchParams(form.fields)
      if (signIn) {
        body.set('username', username)
        body.set('password', password)
      } else body.set('decision', 'allow')
      at = new URL(form.action, at)
      res = await this.request(at, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      })
    }
    throw new Error(`too many redirects from ${url}`)
  }
}

const decodeEntities = (s) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** The first POST form of a page: its action and hidden fields (CSRF token, the authorization request). */
function parseForm(page) {
  const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page)
  if (!form) return undefined
  const fields = {}
  for (const [tag] of form[2].matchAll(/<input[^>]*>/gi)) {
    if (!/type="hidden"/i.test(tag)) continue
    const name = /name="([^"]*)"/.exec(tag)?.[1]
    if (name) fields[decodeEntities(name)] = decodeEntities(/value="([^"]*)"/.exec(tag)?.[1] ?? '')
  }
  return { action: decodeEntities(form[1]), fields }
}

/**
 * Signs in with the public `demo-cli` client (authorization code + PKCE S256, RFC 7636; loopback redirect on any
 * port, RFC 8252) at the auth-server reached on `authBase`, and returns its token response for `resource`. With
 * `dpop` (a {@link dpopKey}) the code is redeemed with a proof, for a token bound to that key (RFC 9449 §5).
 */
export async function signInCli(authBase, { username, password, resources, dpop }) {
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(16).toString('base64url')
  // Nothing listens there: the redirect carrying the code is read, not followed.
  const redirectUri = 'http://127.0.0.1:53682/callback'
  const authorize = new URL('/authorize', authBase)
  authorize.search = new URLSearchParams([
    ['response_type', 'code'],
    ['client_id', 'demo-cli'],
    ['redirect_uri', redirectUri],
    ['scope', 'openid profile offline_access orders:read orders:write inventory:read'],
    ['state', state],
    ['code_challenge', createHash('sha256').update(verifier).digest('base64url')],
    ['code_challenge_method', 'S256'],
    ...resources.map((r) => ['resource', r]),
  ]).toString()
  const result = await new Browser().navigate(authorize, { username, password, stopAt: redirectUri })
  if (!result.redirect) throw new Error(`sign-in at ${authBase} ended on a ${result.status} page`)
  const params = result.redirect.searchParams
  // RFC 9207 §2.4 and RFC 6749 §10.12: the response names our issuer and carries our state.
  if (params.get('iss') !== PUBLIC_ISSUER) throw new Error(`iss is ${params.get('iss')}`)
  if (params.get('state') !== state) throw new Error('state does not match')
  const code = params.get('code')
  if (!code) throw new Error(`no code: ${params.get('error')} ${params.get('error_description') ?? ''}`)
  return tokenRequest(
    authBase,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: 'demo-cli',
      code_verifier: verifier,
      resource: resources[0],
    },
    dpop ? { dpop: dpopProof(dpop, 'POST', `${PUBLIC_ISSUER}/token`) } : {},
  )
}

/** A token request; throws on a refusal (RFC 6749 §5.2) with its error. `headers`: client auth, a DPoP proof. */
export async function tokenRequest(authBase, params, headers = {}) {
  const res = await fetch(new URL('/token', authBase), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(params),
    signal: AbortSignal.timeout(10_000),
  })
  const body = await res.json()
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status} ${JSON.stringify(body)}`)
  return body
}

export const refresh = (authBase, refreshToken, resource) =>
  tokenRequest(authBase, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: 'demo-cli',
    resource,
  })

/** RFC 7009 revocation of a demo-cli token (a public client names itself). */
export async function revoke(authBase, token) {
  const res = await fetch(new URL('/revoke', authBase), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: 'demo-cli' }),
    signal: AbortSignal.timeout(10_000),
  })
  if (res.status !== 200) throw new Error(`/revoke answered ${res.status} ${await res.text()}`)
}

/** A client's DPoP key (RFC 9449), an ES256 pair; `jwk` is the public half a proof carries. */
export function dpopKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
  return { privateKey, jwk: { kty, crv, x, y } }
}

/** A DPoP proof JWT (RFC 9449 §4.2) for one request, as a client writes it; `accessToken` adds `ath`. */
export function dpopProof(key, htm, htu, accessToken) {
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const claims = { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000) }
  if (accessToken) claims.ath = createHash('sha256').update(accessToken).digest('base64url')
  const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk })}.${b64(claims)}`
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/**
 * GET with a token: status, WWW-Authenticate and parsed body. With `dpop` (a {@link dpopKey}) the token goes under
 * the DPoP scheme with a fresh proof for this URL, otherwise as Bearer.
 */
export async function callApi(url, token, dpop) {
  const headers = {}
  if (token && dpop) {
    headers.authorization = `DPoP ${token}`
    headers.dpop = dpopProof(dpop, 'GET', String(url), token)
  } else if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(url, {
    headers,
    signal: AbortSignal.timeout(10_000),
  })
  const text = await res.text()
  let body = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), body }
}

/** The sum of one Prometheus counter's series, optionally only those whose labels contain `match`. */
export async function counter(baseUrl, name, match = '') {
  const res = await fetch(new URL('/metrics', baseUrl), { signal: AbortSignal.timeout(10_000) })
  let total = 0
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (m?.[1] === name && (m[2] ?? '').includes(match)) total += Number(m[3])
  }
  return total
}

export function jwtHeader(token) {
  return JSON.parse(Buffer.from(String(token).split('.')[0] ?? '', 'base64url').toString('utf8'))
}

export function jwtPayload(token) {
  return JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString('utf8'))
}
