import { createHash } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { createVerifier, type DpopOptions } from '@stateless-auth/verifier'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NonceIssuer } from '../src/dpop/nonce.js'
import { REALM, serveMiddleware } from './helpers/adapters.js'
import { ath, makeProof, publicJwk, thumbprint } from './helpers/dpop.js'
import { type JwksServer, startJwksServer } from './helpers/jwks-server.js'
import { AUDIENCE, accessClaims, generateKey, signToken, type TestKey } from './helpers/keys.js'

// RFC 9449 at the resource server, attacked over HTTP through both adapters: each case asserts the exact status,
// body and WWW-Authenticate challenge (§7.1), and none may pass or 500.

const ALGS = 'ES256 EdDSA PS256 RS256'
const NONCE_SECRET = 'n'.repeat(32)
const NONCE_LIFETIME = 300
type Mode = 'allowed' | 'required' | 'disabled' | 'nonce'

interface Call {
  authorization?: string
  dpop?: string | string[]
  method?: string
  path?: string
}
interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
}
interface Harness {
  origin: string
  call(call: Call): Promise<Answer>
  close(): Promise<void>
}

function send(
  origin: string,
  { authorization, dpop, method = 'GET', path = '/orders' }: Call,
): Promise<Answer> {
  const headers: Record<string, string | string[]> = {}
  if (authorization !== undefined) headers.authorization = authorization
  if (dpop !== undefined) headers.dpop = dpop
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

function dpopOptions(mode: Mode): DpopOptions {
  if (mode === 'nonce') return { mode: 'allowed', nonce: { secret: NONCE_SECRET, lifetime: NONCE_LIFETIME } }
  return { mode }
}

async function build(adapter: 'fastify' | 'node:http', mode: Mode, as: JwksServer): Promise<Harness> {
  const options = { issuer: as.issuer, audience: AUDIENCE, jwksUri: as.jwksUri, dpop: dpopOptions(mode) }
  if (adapter === 'fastify') {
    const app = Fastify()
    await app.register(verifierPlugin, { ...options, realm: REALM })
    const handler = async (request: { auth: { sub: string } | null }) => ({ sub: request.auth?.sub })
    app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, handler)
    app.post('/orders', { config: { auth: { scopes: ['orders:read'] } } }, handler)
    const origin = await app.listen({ port: 0, host: '127.0.0.1' })
    return { origin, call: (c) => send(origin, c), close: () => app.close() }
  }
  const { origin, close } = await serveMiddleware(createVerifier(options), 'node:http')
  return { origin, call: (c) => send(origin, c), close }
}

interface Ctx {
  as: JwksServer
  signer: TestKey
  client: TestKey
  thief: TestKey
  /** A token bound to the client's key, and one bound to nothing. */
  bound: string
  unbound: string
  htu: (path?: string) => string
  proof: (overrides?: Partial<Parameters<typeof makeProof>[1]>, key?: TestKey) => string
  harness: Harness
}

interface Case {
  name: string
  mode: Mode
  call: (c: Ctx) => Call | Promise<Call>
  status: number
  error?: string
  description?: string
  /** Which challenge carries the error; `undefined` when none does. */
  on?: 'Bearer' | 'DPoP'
}

function challenge(
  mode: Mode,
  on: 'Bearer' | 'DPoP' | undefined,
  error?: string,
  description?: string,
): string {
  const attrs = error === undefined ? '' : `, error="${error}", error_description="${description}"`
  const bearer = `Bearer realm="${REALM}"${on === 'Bearer' ? attrs : ''}`
  const dpop = `DPoP realm="${REALM}", algs="${ALGS}"${on === 'DPoP' ? attrs : ''}`
  if (mode === 'disabled') return bearer
  if (mode === 'required') return dpop
  return `${bearer}, ${dpop}`
}

const now = () => Math.floor(Date.now() / 1000)
const flip = (s: string) => s.slice(0, -4) + (s.endsWith('AAAA') ? 'BBBB' : 'AAAA')
const dpopAuth = (token: string) => `DPoP ${token}`
const proofInvalid = (description: string) => ({
  status: 401,
  error: 'invalid_dpop_proof',
  description,
  on: 'DPoP' as const,
})
/** The bound token with the proof `dpop` makes, in 'allowed' mode: refused as an invalid proof with `description`. */
const badProof = (name: string, dpop: (c: Ctx) => Call['dpop'], description: string): Case => ({
  name,
  mode: 'allowed',
  call: (c) => ({ authorization: dpopAuth(c.bound), dpop: dpop(c) }),
  ...proofInvalid(description),
})
const oldNonce = () => {
  const key = createHash('sha256').update('stateless-auth dpop nonce\0').update(NONCE_SECRET).digest()
  return new NonceIssuer(key, NONCE_LIFETIME).current(Date.now() - 2 * NONCE_LIFETIME * 1000)
}

const CASES: Case[] = [
  // Downgrades and scheme confusion
  {
    name: 'DPoP-bound token sent as Bearer',
    mode: 'allowed',
    call: (c) => ({ authorization: `Bearer ${c.bound}` }),
    status: 401,
    error: 'invalid_token',
    description: 'A DPoP-bound token must be sent with the DPoP scheme',
    on: 'Bearer',
  },
  {
    name: 'DPoP-bound token sent as Bearer, with a valid proof beside it',
    mode: 'allowed',
    call: (c) => ({ authorization: `Bearer ${c.bound}`, dpop: c.proof() }),
    status: 401,
    error: 'invalid_token',
    description: 'A DPoP-bound token must be sent with the DPoP scheme',
    on: 'Bearer',
  },
  {
    name: 'DPoP-bound token sent as Bearer where DPoP is disabled',
    mode: 'disabled',
    call: (c) => ({ authorization: `Bearer ${c.bound}` }),
    status: 401,
    error: 'invalid_token',
    description: 'A DPoP-bound token must be sent with the DPoP scheme',
    on: 'Bearer',
  },
  {
    name: 'DPoP scheme where DPoP is disabled',
    mode: 'disabled',
    call: (c) => ({ authorization: dpopAuth(c.bound), dpop: c.proof() }),
    status: 401,
    error: 'invalid_request',
    description: 'No bearer access token was sent',
  },
  {
    name: 'unbound token with the DPoP scheme and a valid proof',
    mode: 'allowed',
    call: (c) => ({ authorization: dpopAuth(c.unbound), dpop: c.proof({ token: c.unbound }) }),
    status: 401,
    error: 'invalid_token',
    description: 'The access token is not DPoP-bound',
    on: 'DPoP',
  },
  {
    name: 'plain Bearer token where DPoP is required',
    mode: 'required',
    call: (c) => ({ authorization: `Bearer ${c.unbound}` }),
    status: 401,
    error: 'invalid_token',
    description: 'This resource accepts only DPoP-bound access tokens',
    on: 'DPoP',
  },
  {
    name: 'no credentials where DPoP is required',
    mode: 'required',
    call: () => ({}),
    status: 401,
    error: 'invalid_request',
    description: 'No access token was sent',
  },
  {
    name: 'stolen bound token with the thief’s own proof (key mismatch)',
    mode: 'allowed',
    call: (c) => ({ authorization: dpopAuth(c.bound), dpop: c.proof({}, c.thief) }),
    status: 401,
    error: 'invalid_token',
    description: 'Invalid DPoP key binding',
    on: 'DPoP',
  },
  {
    name: 'expired access token with a valid proof',
    mode: 'allowed',
    call: (c) => {
      const expired = signToken(
        c.signer,
        accessClaims(c.as.issuer, { exp: now() - 60, iat: now() - 400, cnf: { jkt: thumbprint(c.client) } }),
      )
      return { authorization: dpopAuth(expired), dpop: c.proof({ token: expired }) }
    },
    status: 401,
    error: 'invalid_token',
    description: 'The access token has expired',
    on: 'DPoP',
  },
  // The proof header itself
  {
    name: 'DPoP scheme without a DPoP header',
    mode: 'allowed',
    call: (c) => ({ authorization: dpopAuth(c.bound) }),
    ...proofInvalid('A DPoP proof is required with the DPoP scheme'),
  },
  badProof('two DPoP headers', (c) => [c.proof(), c.proof()], 'Only one DPoP header may be sent'),
  badProof(
    'oversize proof',
    (c) => c.proof({ claims: { pad: 'x'.repeat(5000) } }),
    'The DPoP proof is too large',
  ),
  badProof('proof that is not a JWS', () => 'not-a-jws', 'The DPoP proof is not a JWS compact token'),
  badProof(
    'typ JWT instead of dpop+jwt',
    (c) => c.proof({ header: { typ: 'JWT' } }),
    'The DPoP proof type (typ) must be dpop+jwt',
  ),
  badProof(
    'no typ',
    (c) => c.proof({ header: { typ: undefined } }),
    'The DPoP proof type (typ) must be dpop+jwt',
  ),
  badProof('alg none, unsigned', (c) => c.proof({ alg: 'none' }), 'The DPoP proof algorithm is not allowed'),
  badProof(
    'HS256 with the public key as the MAC secret',
    (c) => c.proof({ alg: 'HS256', signWith: JSON.stringify(publicJwk(c.client)) }),
    'The DPoP proof algorithm is not allowed',
  ),
  badProof(
    'private key in the jwk',
    (c) => c.proof({ header: { jwk: c.client.privateKey.export({ format: 'jwk' }) } }),
    'The DPoP proof jwk must be a public key',
  ),
  badProof(
    'symmetric jwk (kty oct)',
    (c) => c.proof({ header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }),
    'The DPoP proof jwk must be a public key',
  ),
  badProof(
    'no jwk',
    (c) => c.proof({ header: { jwk: undefined } }),
    'The DPoP proof header must carry the public key (jwk)',
  ),
  badProof(
    'jwk of an unknown key type',
    (c) => c.proof({ header: { jwk: { kty: 'XYZ', x: 'AA' } } }),
    'The DPoP proof jwk is not a usable public key',
  ),
  badProof(
    'crit header',
    (c) => c.proof({ header: { crit: ['exp'] } }),
    'The DPoP proof has an unsupported critical header',
  ),
  badProof('signature altered', (c) => flip(c.proof()), 'The DPoP proof signature is invalid'),
  badProof(
    'jwk of the client, signed by the thief',
    (c) => c.proof({ signWith: c.thief.privateKey }),
    'The DPoP proof signature is invalid',
  ),
  badProof(
    'alg that does not fit the jwk (EdDSA header, P-256 key)',
    (c) => c.proof({ header: { alg: 'EdDSA' } }),
    'The DPoP proof signature is invalid',
  ),
  // The proof's claims
  badProof('wrong htm', (c) => c.proof({ htm: 'POST' }), 'The DPoP proof is for another HTTP method (htm)'),
  badProof(
    'htm in lower case',
    (c) => c.proof({ htm: 'get' }),
    'The DPoP proof is for another HTTP method (htm)',
  ),
  badProof(
    'wrong htu path',
    (c) => c.proof({ htu: c.htu('/admin') }),
    'The DPoP proof is for another URL (htu)',
  ),
  badProof(
    'wrong htu host',
    (c) => c.proof({ htu: 'http://api.example.com/orders' }),
    'The DPoP proof is for another URL (htu)',
  ),
  badProof(
    'wrong htu scheme',
    (c) => c.proof({ htu: c.htu().replace('http:', 'https:') }),
    'The DPoP proof is for another URL (htu)',
  ),
  badProof(
    'htu that is not a URL',
    (c) => c.proof({ htu: '/orders' }),
    'The DPoP proof is for another URL (htu)',
  ),
  badProof('stale iat', (c) => c.proof({ claims: { iat: now() - 120 } }), 'The DPoP proof is too old'),
  badProof(
    'future iat',
    (c) => c.proof({ claims: { iat: now() + 60 } }),
    'The DPoP proof was issued in the future',
  ),
  badProof('no iat', (c) => c.proof({ claims: { iat: undefined } }), 'The DPoP proof needs an iat'),
  badProof('no jti', (c) => c.proof({ claims: { jti: undefined } }), 'The DPoP proof needs a jti'),
  {
    name: 'replayed jti',
    mode: 'allowed',
    call: async (c) => {
      const call = { authorization: dpopAuth(c.bound), dpop: c.proof() }
      expect((await c.harness.call(call)).status).toBe(200)
      return call
    },
    ...proofInvalid('The DPoP proof has already been used'),
  },
  badProof(
    'no ath',
    (c) => c.proof({ claims: { ath: undefined } }),
    'The DPoP proof is for another access token (ath)',
  ),
  badProof(
    'proof made for another token',
    (c) => c.proof({ token: c.unbound }),
    'The DPoP proof is for another access token (ath)',
  ),
  badProof(
    'ath that is the token itself, not its hash',
    (c) => c.proof({ claims: { ath: c.bound } }),
    'The DPoP proof is for another access token (ath)',
  ),
  // Server nonces
  {
    name: 'nonce missing',
    mode: 'nonce',
    call: (c) => ({ authorization: dpopAuth(c.bound), dpop: c.proof() }),
    status: 401,
    error: 'use_dpop_nonce',
    description: 'The DPoP proof must carry a current server nonce',
    on: 'DPoP',
  },
  {
    name: 'nonce forged',
    mode: 'nonce',
    call: (c) => ({
      authorization: dpopAuth(c.bound),
      dpop: c.proof({ claims: { nonce: `${Date.now().toString(36)}.forged` } }),
    }),
    status: 401,
    error: 'use_dpop_nonce',
    description: 'The DPoP proof must carry a current server nonce',
    on: 'DPoP',
  },
  {
    name: 'nonce expired (two steps old)',
    mode: 'nonce',
    call: (c) => ({ authorization: dpopAuth(c.bound), dpop: c.proof({ claims: { nonce: oldNonce() } }) }),
    status: 401,
    error: 'use_dpop_nonce',
    description: 'The DPoP proof must carry a current server nonce',
    on: 'DPoP',
  },
  {
    name: 'nonce signed with another secret',
    mode: 'nonce',
    call: (c) => ({
      authorization: dpopAuth(c.bound),
      dpop: c.proof({
        claims: { nonce: new NonceIssuer(Buffer.alloc(32, 7), NONCE_LIFETIME).current(Date.now()) },
      }),
    }),
    status: 401,
    error: 'use_dpop_nonce',
    description: 'The DPoP proof must carry a current server nonce',
    on: 'DPoP',
  },
]

describe.each(['fastify', 'node:http'] as const)('DPoP attack matrix through the %s adapter', (adapter) => {
  const ctx = {} as Ctx
  const harnesses = new Map<Mode, Harness>()

  beforeAll(async () => {
    ctx.signer = generateKey('ES256', 'as-key')
    ctx.client = generateKey('ES256', 'client')
    ctx.thief = generateKey('ES256', 'thief')
    ctx.as = await startJwksServer([ctx.signer])
    ctx.bound = signToken(ctx.signer, accessClaims(ctx.as.issuer, { cnf: { jkt: thumbprint(ctx.client) } }))
    ctx.unbound = signToken(ctx.signer, accessClaims(ctx.as.issuer))
    for (const mode of ['allowed', 'required', 'disabled', 'nonce'] as const) {
      harnesses.set(mode, await build(adapter, mode, ctx.as))
    }
  })
  afterAll(async () => {
    for (const harness of harnesses.values()) await harness.close()
    await ctx.as.close()
  })

  const use = (mode: Mode) => {
    const harness = harnesses.get(mode)!
    ctx.harness = harness
    ctx.htu = (path = '/orders') => `${harness.origin}${path}`
    ctx.proof = (overrides = {}, key = ctx.client) =>
      makeProof(key, { htu: ctx.htu(), token: ctx.bound, ...overrides })
    return harness
  }

  it.each(CASES)('$name → $status $error', async (c) => {
    const harness = use(c.mode)
    const answer = await harness.call(await c.call(ctx))
    expect(answer.status).toBe(c.status)
    expect(answer.body).toEqual({ error: c.error, error_description: c.description })
    expect(answer.headers['www-authenticate']).toBe(
      challenge(c.mode, c.on, c.error === 'invalid_request' ? undefined : c.error, c.description),
    )
    if (c.error === 'use_dpop_nonce') expect(answer.headers['dpop-nonce']).toMatch(/^[0-9a-z]+\.[\w-]{43}$/)
    else expect(answer.headers['dpop-nonce']).toBeUndefined()
  })

  it('accepts the rightful client: a bound token with its proof, in allowed and required modes', async () => {
    for (const mode of ['allowed', 'required'] as const) {
      const harness = use(mode)
      const answer = await harness.call({ authorization: dpopAuth(ctx.bound), dpop: ctx.proof() })
      expect(answer).toMatchObject({ status: 200, body: { sub: 'alice' } })
    }
  })

  it('compares htu without query or fragment, scheme and host case-insensitively, default port implied', async () => {
    const harness = use('allowed')
    const port = new URL(harness.origin).port
    const htu = `HTTP://127.0.0.1:${port}/orders?page=2#top`
    const answer = await harness.call({
      authorization: dpopAuth(ctx.bound),
      dpop: ctx.proof({ htu }),
      path: '/orders?page=1',
    })
    expect(answer.status).toBe(200)
  })

  it('checks htm against the request method (POST)', async () => {
    const harness = use('allowed')
    const answer = await harness.call({
      authorization: dpopAuth(ctx.bound),
      dpop: ctx.proof({ htm: 'POST' }),
      method: 'POST',
    })
    expect(answer.status).toBe(200)
  })

  it('still accepts plain Bearer tokens where DPoP is allowed, and answers both challenges when none is sent', async () => {
    const harness = use('allowed')
    expect((await harness.call({ authorization: `Bearer ${ctx.unbound}` })).status).toBe(200)
    const anonymous = await harness.call({})
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers['www-authenticate']).toBe(
      `Bearer realm="${REALM}", DPoP realm="${REALM}", algs="${ALGS}"`,
    )
  })

  it('hands out a nonce with use_dpop_nonce, and accepts the retry that carries it', async () => {
    const harness = use('nonce')
    const first = await harness.call({ authorization: dpopAuth(ctx.bound), dpop: ctx.proof() })
    expect(first.status).toBe(401)
    const nonce = first.headers['dpop-nonce'] as string
    const retry = await harness.call({
      authorization: dpopAuth(ctx.bound),
      dpop: ctx.proof({ claims: { nonce } }),
    })
    expect(retry).toMatchObject({ status: 200, body: { sub: 'alice' } })
  })

  it('ath is base64url(SHA-256(token)) (RFC 9449 §4.2)', () => {
    expect(ath('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })
})
