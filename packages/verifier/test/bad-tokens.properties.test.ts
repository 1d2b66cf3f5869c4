import { test } from '@fast-check/vitest'
import { createVerifier, type Verifier, VerifierError } from '@stateless-auth/verifier'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import fc from 'fast-check'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { AUDIENCE, accessClaims, generateKey, type TestKey } from './helpers/keys.js'
import { badClaims, badHeader, mutatedToken, signedWith } from './helpers/token-arbitraries.js'

// Issue 15, scenario 6: whatever a client sends, the verifier refuses it with one of its own errors (400/401),
// never accepts it, never throws anything else. PROPERTY_RUNS=10000 for the full run (docs/properties.md).
const numRuns = Number(process.env.PROPERTY_RUNS) || 300
// A safety net, not a speed check: a loaded machine may take far longer than usual per case.
const timeout = 60_000 + numRuns * 500

const ISSUER = 'https://as.example'
// mapError's fallback: a throw that was not a VerifierError (a bug of ours, or of the runtime) ends up as this.
const FALLBACK = 'The access token could not be verified'

// Made at load time: the arbitraries below are built from them when the tests are collected.
const keys: TestKey[] = [generateKey('ES256'), generateKey('EdDSA'), generateKey('RS256')]
// Valid for a day: a full run lasts longer than the default five minutes, and mutations of an expired token would be
// refused for the wrong reason.
const valid = keys.map((key) =>
  signedWith(key, accessClaims(ISSUER, { exp: Math.floor(Date.now() / 1000) + 86_400 })),
)
let verifier: Verifier
let app: FastifyInstance

beforeAll(async () => {
  const jwks = { keys: keys.map((k) => k.jwk) }
  verifier = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${ISSUER}/jwks`,
    // No network: the JWKS comes from memory. Cooldown 0 so every unknown kid really reaches the key cache.
    fetch: async () => Response.json(jwks),
    cooldown: 0,
  })
  app = Fastify()
  await app.register(verifierPlugin, { verifier, realm: 'orders' })
  app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async (request) => ({
    sub: request.auth?.sub,
  }))
  await app.ready()
  // The harness can accept: otherwise "never accepted" below would hold for the wrong reason.
  for (const token of valid) {
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
    expect(
      (await app.inject({ url: '/orders', headers: { authorization: `Bearer ${token}` } })).statusCode,
    ).toBe(200)
  }
})

afterAll(async () => {
  // The valid tokens still pass at the end, so no mutation was refused merely because its original had expired.
  for (const token of valid) await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'alice' })
  await app?.close()
  await verifier?.close()
})

/** Refused with a VerifierError of a client-error status, and not one that hides a stray exception. */
async function expectRefused(attempt: Promise<unknown>) {
  const outcome = await attempt.then(
    (claims) => ({ accepted: claims }),
    (err: unknown) => ({ err }),
  )
  expect(outcome).not.toHaveProperty('accepted')
  const { err } = outcome as { err: unknown }
  expect(err).toBeInstanceOf(VerifierError)
  const error = err as VerifierError
  expect([400, 401], `${error.code}: ${error.description}`).toContain(error.statusCode)
  expect(error.description, String(error.cause)).not.toBe(FALLBACK)
}

async function expectHttpRefusal(authorization: string) {
  const res = await app.inject({ url: '/orders', headers: { authorization } })
  expect([400, 401], res.body).toContain(res.statusCode)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="orders"/)
  const body = res.json()
  expect(body).toEqual({ error: expect.any(String), error_description: expect.any(String) })
  expect(body).not.toHaveProperty('sub')
}

// Header values an HTTP client can send: visible ASCII, space, tab and obs-text (RFC 9110 §5.5).
const headerText = fc.string({
  unit: fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    fc.constantFrom('\t', ' ', '.', '=', '\u00e9', '\u00ff'),
  ),
  maxLength: 200,
})
const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer\t', 'DPoP ', 'Basic ', 'Bearer', '')

const mutations = () => fc.oneof(...valid.map((token) => mutatedToken(token, keys)))
const resigned = () =>
  fc.oneof(
    ...keys.map((key) => badClaims(ISSUER).map((claims) => signedWith(key, claims))),
    ...keys.map((key) => badHeader(key, keys).map((header) => signedWith(key, accessClaims(ISSUER), header))),
  )

describe('mutated tokens are never accepted, at the core', () => {
  test.prop([mutations()], { numRuns })(
    'bit flips, truncations, segment swaps, splices and random base64url: a VerifierError',
    async (token) => {
      await expectRefused(verifier.verify(token))
      await expectRefused(verifier.authenticate(`Bearer ${token}`))
    },
    timeout,
  )

  test.prop([resigned()], { numRuns })(
    'signed by the issuer’s own key with a broken header or claim: a VerifierError',
    async (token) => {
      await expectRefused(verifier.verify(token))
    },
    timeout,
  )

  test.prop([scheme, headerText], { numRuns })(
    'arbitrary Authorization headers: a VerifierError',
    async (prefix, rest) => {
      await expectRefused(verifier.authenticate(prefix + rest))
    },
    timeout,
  )
})

describe('mutated tokens are never accepted, over HTTP through the Fastify adapter', () => {
  test.prop([scheme, fc.oneof(mutations(), resigned())], { numRuns })(
    'a mutated token: 400/401 with WWW-Authenticate and an OAuth body',
    async (prefix, token) => {
      await expectHttpRefusal(prefix + token)
    },
    timeout,
  )

  test.prop([scheme, headerText], { numRuns })(
    'an arbitrary Authorization header: 400/401 with WWW-Authenticate and an OAuth body',
    async (prefix, rest) => {
      await expectHttpRefusal(prefix + rest)
    },
    timeout,
  )
})
