/**
 * Test helpers for resource servers: a stand-in authorization server that publishes a JWKS and RFC 8414
 * metadata on 127.0.0.1, counts every request it serves, and signs RFC 9068 access tokens. It lets most tests
 * run without the real auth-server, and proves statelessness by counting what reaches it.
 */
import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from '@fast-check/vitest'
import type { Backend } from '@stateless-auth/sql/testing'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'

export interface TestKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: CryptoKey
  publicJwk: JWK
}

/** Claims of a test token; anything left out gets an RFC 9068 default. `undefined` removes a claim. */
export interface TestTokenClaims {
  sub?: string | undefined
  aud?: string | string[] | undefined
  scope?: string | undefined
  client_id?: string | undefined
  iss?: string | undefined
  iat?: number | undefined
  exp?: number | undefined
  nbf?: number | undefined
  jti?: string | undefined
  [claim: string]: unknown
}

export interface TestTokenOptions {
  /** `typ` header; RFC 9068 §2.1 requires `at+jwt`. */
  typ?: string
  /** Sign with this key instead of the current one (e.g. one never published). */
  key?: TestKey
  /** Lifetime in seconds when `exp` is not given. Default 300. */
  expiresIn?: number
}

export interface RequestCounts {
  metadata: number
  jwks: number
  /** Client-credentials token requests (`POST /token`), granted or not. */
  token: number
  /** Every request, including paths that answered 404. */
  total: number
}

export interface TestIssuer {
  /** The issuer identifier (`iss`), e.g. `http://127.0.0.1:54321`. */
  readonly url: string
  readonly jwksUri: string
  readonly metadataUri: string
  /** Requests served since start or the last `resetCounts()`. */
  readonly requests: Readonly<RequestCounts>
  resetCounts(): void
  /** The key that signs new tokens. */
  readonly currentKey: TestKey
  /** Signs an access token: `typ: at+jwt`, with iss, sub, aud, client_id, iat, exp, jti, scope. */
  token(claims?: TestTokenClaims, options?: TestTokenOptions): Promise<string>
  /** A key pair that is not published, for forged-signature tests. */
  createKey(alg?: 'RS256' | 'ES256'): Promise<TestKey>
  /** Publishes a new key and signs with it from now on; earlier keys stay published. Returns the new kid. */
  rotate(): Promise<string>
  /** Stops answering (the port is released); keys are kept. */
  stop(): Promise<void>
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>
  close(): Promise<void>
}

export interface TestIssuerOptions {
  /** Default `aud` of tokens. */
  audience?: string
  alg?: 'RS256' | 'ES256'
  /** Default `client_id` of tokens. */
  clientId?: string
  /** Confidential clients allowed the client-credentials grant at `POST /token`. */
  clients?: Record<string, { secret: string; scope: string; tokenTtl?: number }>
  /**
   * With a `DPoP` header at `POST /token`, proofs must carry this nonce: without it, 400 `use_dpop_nonce` and a
   * `DPoP-Nonce` header (RFC 9449 §8).
   */
  dpopNonce?: string
}

async function newKey(alg: 'RS256' | 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const kid = randomUUID()
  // RFC 8725 §3.1: one algorithm per key, stated in the JWK.
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'max-age=300', ...headers })
  res.end(JSON.stringify(body))
}

/**
 * Starts a test issuer on `127.0.0.1:0`.
 *
 * @example
 * ```ts
 * const issuer = await startTestIssuer({ audience: 'urn:stateless-auth:orders-api' })
 * const token = await issuer.token({ sub: 'alice', scope: 'orders:read' })
 * ```
 */
export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const alg = options.alg ?? 'RS256'
  const keys: TestKey[] = [await newKey(alg)]
  const counts: RequestCounts = { metadata: 0, jwks: 0, token: 0, total: 0 }
  let port = 0
  let server: Server | undefined
  const base = () => `http://127.0.0.1:${port}`

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    counts.total++
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/.well-known/oauth-authorization-server') {
      counts.metadata++
      return json(res, 200, {
        issuer: base(),
        jwks_uri: `${base()}/jwks`,
        token_endpoint: `${base()}/token`,
        response_types_supported: ['code'],
      })
    }
    if (req.method === 'GET' && path === '/jwks') {
      counts.jwks++
      return json(res, 200, { keys: keys.map((key) => key.publicJwk) })
    }
    if (req.method === 'POST' && path === '/token') {
      counts.token++
      return void clientCredentials(req).then(
        ([status, body, headers]) => json(res, status, body, headers),
        () => json(res, 400, { error: 'invalid_request' }),
      )
    }
    json(res, 404, { error: 'not_found' })
  }

  // RFC 9449 §4.3, the parts a stand-in needs: an ES256 proof for this POST, signed by its own `jwk`, with the
  // nonce when one is configured. Resolves with the key's RFC 7638 thumbprint, or an OAuth error.
  function dpopProof(header: string): string | [number, object, Record<string, string>?] {
    const invalid: [number, object] = [400, { error: 'invalid_dpop_proof' }]
    const [h, p, sig] = header.split('.')
    try {
      const protectedHeader = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8'))
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'))
      const { jwk } = protectedHeader
      if (protectedHeader.typ !== 'dpop+jwt' || protectedHeader.alg !== 'ES256' || jwk?.kty !== 'EC')
        return invalid
      const key = createPublicKey({ key: jwk, format: 'jwk' })
      const signed = verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(sig ?? '', 'base64url'),
      )
      if (!signed || claims.htm !== 'POST' || claims.htu !== `${base()}/token`) return invalid
      if (options.dpopNonce !== undefined && claims.nonce !== options.dpopNonce) {
        return [400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': options.dpopNonce }]
      }
      const { crv, kty, x, y } = jwk
      return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url')
    } catch {
      return invalid
    }
  }

  // RFC 6749 §4.4 with client_secret_basic (§2.3.1) only; enough for a resource server's own tokens.
  async function clientCredentials(req: IncomingMessage): Promise<[number, object, Record<string, string>?]> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const [id, secret] = Buffer.from(basic ?? '', 'base64')
      .toString('utf8')
      .split(':')
      .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
    const client = id === undefined ? undefined : options.clients?.[id]
    if (!client || client.secret !== secret) return [401, { error: 'invalid_client' }]
    if (form.get('grant_type') !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }]
    const proof = typeof req.headers.dpop === 'string' ? dpopProof(req.headers.dpop) : undefined
    if (Array.isArray(proof)) return proof
    const resource = form.get('resource') ?? undefined
    const access = await issuer.token(
      {
        sub: id,
        client_id: id,
        aud: resource,
        scope: form.get('scope') ?? client.scope,
        ...(proof !== undefined ? { cnf: { jkt: proof } } : {}),
      },
      { expiresIn: client.tokenTtl ?? 300 },
    )
    const type = proof !== undefined ? 'DPoP' : 'Bearer'
    return [200, { access_token: access, token_type: type, expires_in: client.tokenTtl ?? 300 }]
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer(handle)
      next.once('error', reject)
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as AddressInfo).port
        server = next
        resolve()
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve()
      const current = server
      server = undefined
      current.close(() => resolve())
      // Keep-alive sockets from the verifier's fetch would otherwise keep answering.
      current.closeAllConnections()
    })

  await listen()
  const issuer: TestIssuer = {
    get url() {
      return base()
    },
    get jwksUri() {
      return `${base()}/jwks`
    },
    get metadataUri() {
      return `${base()}/.well-known/oauth-authorization-server`
    },
    get requests() {
      return { ...counts }
    },
    resetCounts() {
      counts.metadata = 0
      counts.jwks = 0
      counts.token = 0
      counts.total = 0
    },
    get currentKey() {
      return keys[keys.length - 1]!
    },
    async token(claims = {}, tokenOptions = {}) {
      const key = tokenOptions.key ?? issuer.currentKey
      const now = Math.floor(Date.now() / 1000)
      const payload: Record<string, unknown> = {
        iss: base(),
        sub: 'alice',
        aud: options.audience,
        client_id: options.clientId ?? 'web',
        iat: now,
        exp: now + (tokenOptions.expiresIn ?? 300),
        jti: randomUUID(),
        ...claims,
      }
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name]
      return new SignJWT(payload)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: tokenOptions.typ ?? 'at+jwt' })
        .sign(key.privateKey)
    },
    createKey: (keyAlg = alg) => newKey(keyAlg),
    async rotate() {
      const key = await newKey(alg)
      keys.push(key)
      return key.kid
    },
    stop,
    start: () => (server ? Promise.resolve() : listen()),
    close: stop,
  }
  return issuer
}

/** What a resource server answered (an `inject` response): enough to check an RFC 6750 challenge. */
interface ChallengedResponse {
  statusCode: number
  headers: Record<string, unknown>
  json(): { error?: unknown }
}

/**
 * Checks an RFC 6750 §3 refusal: without `error`, a request that carried no token (401 with a bare
 * `Bearer realm="…"` challenge, §3.1, and `invalid_request` in the body); with `invalid_token`, 401; with
 * `insufficient_scope`, 403 naming the `scope` the token lacks.
 */
export function expectBearerChallenge(
  response: ChallengedResponse,
  realm: string,
  error?: 'invalid_token' | 'insufficient_scope',
  scope?: string,
): void {
  const challenge = response.headers['www-authenticate']
  expect(response.statusCode).toBe(error === 'insufficient_scope' ? 403 : 401)
  expect(response.json().error).toBe(error ?? 'invalid_request')
  if (error === undefined) {
    // DPOP=allowed (the APIs' default): both schemes are offered (RFC 6750 §3.1, RFC 9449 §7.1), no error attribute.
    expect(challenge).toBe(`Bearer realm="${realm}", DPoP realm="${realm}", algs="ES256 EdDSA PS256 RS256"`)
    return
  }
  expect(challenge).toMatch(new RegExp(`^Bearer realm="${realm}", error="${error}"`))
  if (scope !== undefined) expect(challenge).toContain(`scope="${scope}"`)
}

/**
 * The answer of a database-backed route while the database is down (issue 15, scenario 2): 503
 * `temporarily_unavailable` with a `Retry-After` in whole seconds and the OAuth-style JSON body, never a 500.
 */
export function expectDatabaseUnavailable(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBe(503)
  expect(res.headers['retry-after']).toMatch(/^[1-9][0-9]?$/)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  expect(res.json()).toEqual({
    error: 'temporarily_unavailable',
    error_description: expect.stringMatching(/database/i),
  })
}

/** `/ready` while the database is down: 503 naming the `database` check, with `Retry-After`. */
export async function expectNotReady(app: FastifyInstance): Promise<void> {
  const ready = await app.inject({ url: '/ready' })
  expect(ready.statusCode, ready.body).toBe(503)
  expect(ready.headers['retry-after']).toMatch(/^[0-9]+$/)
  expect(ready.json()).toMatchObject({ error: 'temporarily_unavailable', checks: { database: 'failed' } })
}

/** A throwaway SQLite database for one test: `url` is its file, in a directory of its own that `remove()` deletes. */
export interface TempDatabase {
  url: string
  remove(): void
}

/**
 * A fresh SQLite database file in its own temporary directory, so an app under test starts empty.
 *
 * @example
 * const db = tempDatabase()
 * const app = await buildApp(loadConfig({ ISSUER: issuer.url, DATABASE_URL: db.url }))
 * await app.close()
 * db.remove()
 */
export function tempDatabase(): TempDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'resource-server-test-'))
  return { url: join(dir, 'db.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * A fresh app harness for every test of the enclosing suite: `open` runs before each test, on a fresh store of
 * `backend` when one is given (else on whatever database `open` picks), and the harness is closed (and the store
 * dropped) after it. Returns a getter for the current test's harness.
 *
 * @example
 * describe.each(backends())('orders on %s', (backend) => {
 *   const h = harnessPerTest(harness, backend)
 *   it('lists nothing at first', async () => expect((await h().app.inject({ url: '/orders' })).statusCode).toBe(200))
 * })
 */
export function harnessPerTest<H extends { close(): Promise<void> }>(
  open: (databaseUrl?: string) => Promise<H>,
  backend?: Pick<Backend, 'createStore'>,
): () => H {
  let current: { harness: H; drop(): Promise<void> } | undefined
  beforeEach(async () => {
    const store = await backend?.createStore()
    current = { harness: await open(store?.url), drop: async () => store?.drop() }
  })
  afterEach(async () => {
    const done = current
    current = undefined
    await done?.harness.close()
    await done?.drop()
  })
  return () => {
    if (!current) throw new Error('harnessPerTest: the harness exists only while a test runs')
    return current.harness
  }
}

// Issue 15, scenario 6: the bad-input property suites of the resource servers share their setup, their rule and
// their generators of request bodies, methods and paths; each API adds what is its own (SKUs, queries, headers).

/** Cases per property: PROPERTY_RUNS=10000 for the full run (docs/properties.md). */
const propertyRuns = Number(process.env.PROPERTY_RUNS) || 200
/** A safety net, not a speed check: a loaded machine may take far longer than usual per case. */
const propertyTimeout = 60_000 + propertyRuns * 500

/** The rule of the bad-input properties: a 2xx or 3xx, or a 4xx with an OAuth-style JSON body; never a 5xx. */
function expectAnswered(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body).toBeLessThan(500)
  if (res.statusCode < 400) return
  expect(res.headers['content-type'], res.body).toMatch(/^application\/json/)
  expect(res.json()).toMatchObject({ error: expect.any(String), error_description: expect.any(String) })
}

/** An app under a property suite, with the test issuer that signs its tokens. */
interface PropertyHarness {
  issuer: TestIssuer
  app: FastifyInstance
  close(): Promise<void>
}

/** A request of a property case; `headers` come on top of the suite's valid `authorization`. */
type PropertyRequest = InjectOptions & { headers?: Record<string, string> }

/** What a property suite runs against, usable once `beforeAll` has run. */
export interface PropertySubject {
  /** `test.prop` parameters: `propertyRuns` cases. */
  readonly runs: { numRuns: number }
  /** The timeout of one property, `propertyTimeout`. */
  readonly timeout: number
  /** Sends `request` with the suite's valid token and checks the answer with `expectAnswered`. */
  answers(request: PropertyRequest): Promise<void>
}

/**
 * Opens one harness for the whole file and signs one token with `claims`, valid for a day: a full run outlasts the
 * default five minutes, and an expired token would turn every case into the same 401. After the last case, `probe`
 * (a GET the token opens) must still answer 200, so no case was refused merely for want of a valid token.
 */
export function propertySubject(
  open: () => Promise<PropertyHarness>,
  claims: TestTokenClaims,
  probe: string,
): PropertySubject {
  let h: PropertyHarness | undefined
  let authorization = ''
  beforeAll(async () => {
    h = await open()
    authorization = `Bearer ${await h.issuer.token(claims, { expiresIn: 86_400 })}`
  })
  afterAll(async () => {
    if (!h) return
    expect((await h.app.inject({ url: probe, headers: { authorization } })).statusCode).toBe(200)
    await h.close()
  })
  return {
    runs: { numRuns: propertyRuns },
    timeout: propertyTimeout,
    async answers(request) {
      if (!h) throw new Error('propertySubject: the harness exists only while the suite runs')
      expectAnswered(await h.app.inject({ ...request, headers: { ...request.headers, authorization } }))
    },
  }
}

/** A request body as sent. */
export interface SentBody {
  type: string
  payload: string
}

/** A body as sent: `json` serialised, `json` cut short (broken JSON), or any text under any of a few content types. */
export function sentBodies(json: fc.Arbitrary<unknown>): fc.Arbitrary<SentBody> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: json.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) ?? '' })),
    },
    fc.tuple(json, fc.nat()).map(([v, cut]) => {
      const text = JSON.stringify(v) ?? ''
      return { type: 'application/json', payload: text.slice(0, cut % (text.length + 1)) }
    }),
    fc
      .tuple(
        fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'x/y'),
        fc.string(),
      )
      .map(([type, payload]) => ({ type, payload })),
  )
}

/**
 * The property 'any method on any path': any method, on one of `paths` (near misses of the API's routes) or any
 * string as a path, with any of `bodies` (none for GET), is answered by the rule of `expectAnswered`.
 */
export function anyMethodOnAnyPath(
  subject: PropertySubject,
  paths: string[],
  bodies: fc.Arbitrary<SentBody>,
): void {
  test.prop(
    [
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      fc.oneof(fc.constantFrom(...paths), fc.string()),
      bodies,
    ],
    subject.runs,
  )(
    'any method on any path',
    (method, path, { type, payload }) =>
      subject.answers({
        method: method as 'GET',
        url: path.startsWith('/') ? path : `/${encodeURIComponent(path)}`,
        headers: { 'content-type': type },
        ...(method === 'GET' ? {} : { payload }),
      }),
    subject.timeout,
  )
}
