import { test } from '@fast-check/vitest'
import { createVerifier, VerifierError } from '@stateless-auth/verifier'
import fc from 'fast-check'
import { describe, expect } from 'vitest'
import { AUDIENCE, accessClaims, generateKey, type TestKey } from './helpers/keys.js'
import { signedWith } from './helpers/token-arbitraries.js'

// Issue 15, scenario 6: whatever the JWKS endpoint answers, the key cache reports it as a verifier error, keeps
// the process alive, and picks up the keys once a good JWKS is back. PROPERTY_RUNS=10000 for the full run.
const numRuns = Number(process.env.PROPERTY_RUNS) || 300
// A safety net, not a speed check: a loaded machine may take far longer than usual per case.
const timeout = 60_000 + numRuns * 500

const ISSUER = 'https://as.example'
const keys: TestKey[] = [generateKey('ES256'), generateKey('EdDSA'), generateKey('RS256')]
const [signer] = keys as [TestKey, ...TestKey[]]
// Valid for a day: a full run lasts longer than the default five minutes, and an expired token proves nothing.
const token = signedWith(signer, accessClaims(ISSUER, { exp: Math.floor(Date.now() / 1000) + 86_400 }))
const goodJwks = { keys: keys.map((k) => k.jwk) }

const jwkMember = fc.constantFrom(
  'kty',
  'crv',
  'alg',
  'use',
  'key_ops',
  'kid',
  'n',
  'e',
  'x',
  'y',
  'd',
  'exp',
  'iat',
)
/** A real public JWK with members replaced, removed or added (private ones included). */
const mangledJwk = fc
  .tuple(
    fc.constantFrom(...keys.map((k) => k.jwk as Record<string, unknown>)),
    fc.dictionary(jwkMember, fc.oneof(fc.jsonValue(), fc.constant(undefined)), { maxKeys: 3 }),
  )
  .map(([jwk, changes]) => JSON.parse(JSON.stringify({ ...jwk, ...changes })) as unknown)
const jwk = fc.oneof(
  mangledJwk,
  fc.constantFrom(...keys.map((k) => k.jwk as unknown)),
  fc.dictionary(fc.oneof(jwkMember, fc.string({ maxLength: 6 })), fc.jsonValue(), { maxKeys: 8 }),
  fc.jsonValue(),
)
/** What a JWKS endpoint may answer: a status, and a body that is a key set, some other JSON or not JSON at all. */
const answer = fc.record({
  status: fc.constantFrom(200, 200, 200, 204, 301, 404, 500, 503),
  body: fc.oneof(
    fc.record({ keys: fc.array(jwk, { maxLength: 6 }) }).map((doc) => JSON.stringify(doc)),
    fc.record({ keys: fc.jsonValue() }).map((doc) => JSON.stringify(doc)),
    fc.jsonValue().map((doc) => JSON.stringify(doc)),
    fc.string({ maxLength: 80 }),
  ),
  contentType: fc.constantFrom('application/json', 'application/jwk-set+json', 'text/html', ''),
})
/** A sequence of answers, some of them a network failure instead. */
const answers = fc.array(fc.option(answer, { freq: 4, nil: undefined }), { minLength: 1, maxLength: 3 })

/** Refused (or accepted, when the answer really held the signing key) only ever with a VerifierError. */
async function settle(attempt: Promise<unknown>): Promise<'accepted' | 'refused'> {
  try {
    await attempt
    return 'accepted'
  } catch (err) {
    expect(err).toBeInstanceOf(VerifierError)
    expect((err as VerifierError).description).not.toBe('The access token could not be verified')
    return 'refused'
  }
}

describe('arbitrary JWKS documents never crash the key cache', () => {
  test.prop([answers], { numRuns })(
    'every answer is a verifier error or usable keys, and a later good JWKS recovers',
    async (sequence) => {
      let serving: (typeof sequence)[number] | 'good' = sequence[0]
      const verifier = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUri: `${ISSUER}/jwks`,
        // No network: each fetch gets the current answer. No cooldown, and a refresh on every use once a key is
        // cached, so every answer of the sequence reaches the cache and the good JWKS replaces a bad key quickly.
        fetch: async () => {
          if (serving === undefined) throw new TypeError('fetch failed')
          if (serving === 'good') return Response.json(goodJwks)
          const { status, body, contentType } = serving
          const nullBody = status === 204 || status === 301
          return new Response(nullBody ? null : body, {
            status,
            headers: contentType ? { 'content-type': contentType } : {},
          })
        },
        cooldown: 0,
        refreshInterval: 1,
      })
      try {
        for (const current of sequence) {
          serving = current
          await settle(verifier.ready())
          await settle(verifier.verify(token))
        }
        serving = 'good'
        // A bad key cached under the signer's kid is replaced by the next refresh, which a use starts: a few
        // uses, each after the pending fetch settled, must get the token through.
        let outcome: 'accepted' | 'refused' = 'refused'
        for (let attempt = 0; attempt < 5 && outcome === 'refused'; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 2))
          outcome = await settle(verifier.verify(token))
        }
        expect(outcome).toBe('accepted')
      } finally {
        await verifier.close()
      }
    },
    timeout,
  )
})
