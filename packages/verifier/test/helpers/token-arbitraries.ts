import fc from 'fast-check'
import { AUDIENCE, accessClaims, generateKey, signToken, type TestKey } from './keys.js'

// fast-check arbitraries of tokens that must never verify, built from a valid token or the issuer's own keys.

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
const base64url = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
  maxLength: 400,
})
// Characters a mangled token may pick up: its own alphabet, separators, padding and b64token's extras.
const tokenChar = fc.constantFrom(...'Aa0_-.=+/~ ', '\u00e9', '"')

/** One bit of one segment's decoded bytes flipped, the segment re-encoded. */
function flipBit(token: string, segment: number, bit: number): string {
  const parts = token.split('.')
  const bytes = Buffer.from(parts[segment]!, 'base64url')
  const at = bit % (bytes.length * 8)
  bytes[at >> 3]! ^= 1 << (at & 7)
  parts[segment] = bytes.toString('base64url')
  return parts.join('.')
}

/** `value` at `key` of the decoded header (0) or payload (1), the signature kept: the signing input changed. */
function rewrite(token: string, segment: 0 | 1, key: string, value: unknown): string {
  const parts = token.split('.')
  parts[segment] = b64({ ...decode(parts[segment]!), [key]: value })
  return parts.join('.')
}

/**
 * Tokens derived from `token` (valid, signed by one of `keys`) that differ from it: a bit flipped, a character
 * replaced, cut short or extended, segments swapped or repeated, segments of another key's token spliced in,
 * a header or claim rewritten under the old signature, valid claims signed by a key the issuer does not hold
 * (with the issuer's kid), or plain random base64url.
 */
export function mutatedToken(token: string, keys: readonly TestKey[]): fc.Arbitrary<string> {
  const parts = token.split('.')
  const attacker = generateKey('ES256')
  const other = fc.integer({ min: 0, max: keys.length - 1 }).map((i) => {
    const key = keys[i]!
    return signToken(key, accessClaims(decode(parts[1]!).iss, { sub: 'mallory' }))
  })
  return (
    fc
      .oneof(
        fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat()).map(([s, bit]) => flipBit(token, s, bit)),
        fc
          .tuple(fc.nat(token.length - 1), tokenChar)
          .map(([i, c]) => token.slice(0, i) + c + token.slice(i + 1)),
        fc.nat(token.length - 1).map((n) => token.slice(0, n)),
        fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 }).map((tail) => token + tail),
        fc
          .array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 })
          .map((order) => order.map((i) => parts[i]).join('.')),
        fc
          .tuple(other, fc.integer({ min: 0, max: 2 }))
          .map(([foreign, s]) => parts.map((p, i) => (i === s ? foreign.split('.')[i] : p)).join('.')),
        fc
          .tuple(fc.constantFrom(0 as const, 1 as const), fc.string({ maxLength: 12 }), fc.jsonValue())
          .map(([s, key, value]) => rewrite(token, s, key, value)),
        fc
          .constantFrom(...keys)
          .map((key) =>
            signToken(attacker, accessClaims(decode(parts[1]!).iss), { header: { kid: key.kid } }),
          ),
        fc.array(base64url, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('.')),
      )
      // Whitespace around a header field value is not part of it (RFC 9110 §5.5): `Bearer <token> ` is the token.
      .filter((mutated) => mutated.trim() !== token)
  )
}

const now = () => Math.floor(Date.now() / 1000)
// A JSON value that is not a number: where a NumericDate is required, any of these is refused.
const notNumber = fc.jsonValue().filter((v) => typeof v !== 'number')
const notNonEmptyString = fc.jsonValue().filter((v) => typeof v !== 'string' || v === '')

/**
 * Claims the issuer's own key may sign and that must still be refused: one RFC 9068 claim removed, or given a
 * value no verifier may accept (another issuer, another audience, expired, not yet valid, the wrong type), or a
 * `cnf` (a key-bound token sent as Bearer).
 */
export function badClaims(issuer: string): fc.Arbitrary<Record<string, unknown>> {
  const required = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti']
  const broken: fc.Arbitrary<[string, unknown]>[] = [
    fc.tuple(
      fc.constant('iss'),
      fc.jsonValue().filter((v) => v !== issuer),
    ),
    fc.tuple(
      fc.constant('aud'),
      fc.jsonValue().filter((v) => v !== AUDIENCE && !(Array.isArray(v) && v.includes(AUDIENCE))),
    ),
    fc.tuple(fc.constant('exp'), fc.oneof(notNumber, fc.integer({ max: now() - 3600 }))),
    fc.tuple(fc.constant('iat'), fc.oneof(notNumber, fc.integer({ min: now() + 3600 }))),
    fc.tuple(fc.constant('nbf'), fc.oneof(notNumber, fc.integer({ min: now() + 3600 }))),
    fc.tuple(fc.constantFrom('sub', 'client_id', 'jti'), notNonEmptyString),
    fc.tuple(
      fc.constantFrom('scope', 'auth_time'),
      notNumber.filter((v) => typeof v !== 'string'),
    ),
    fc.tuple(fc.constant('cnf'), fc.jsonValue()),
  ]
  return fc.oneof(
    fc.constantFrom(...required).map((name) => accessClaims(issuer, { [name]: undefined })),
    fc.oneof(...broken).map(([name, value]) => ({ ...accessClaims(issuer), [name]: value })),
  )
}

/**
 * Header fields that must make `key`'s own signature worthless: `typ` not at+jwt, an `alg` other than the
 * key's, a `kid` of no key or of another of `keys`, any `crit`.
 */
export function badHeader(key: TestKey, keys: readonly TestKey[]): fc.Arbitrary<Record<string, unknown>> {
  const isAtJwt = (v: unknown) =>
    typeof v === 'string' && v.toLowerCase().replace(/^application\//, '') === 'at+jwt'
  const algs = ['none', 'HS256', 'RS256', 'RS384', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519']
  return fc.oneof(
    fc.record({ typ: fc.jsonValue().filter((v) => !isAtJwt(v)) }),
    fc.record({ alg: fc.oneof(fc.constantFrom(...algs), fc.jsonValue()).filter((v) => v !== key.alg) }),
    fc.record({
      kid: fc.oneof(fc.constantFrom(...keys.map((k) => k.kid)), fc.jsonValue()).filter((v) => v !== key.kid),
    }),
    fc.record({ crit: fc.jsonValue() }),
  )
}

/** A token signed by `key` with its own algorithm; `header` fields replace the defaults (`alg` only in the header). */
export function signedWith(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
) {
  return signToken(key, claims, { header })
}
