// Keys and RFC 9068 access tokens for the benches, signed with node:crypto alone so that no library under test
// takes part in making them.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto'

export const AUDIENCE = 'urn:stateless-auth:orders-api'

export const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url')

/** An RS256, ES256 or EdDSA key pair with its public JWK as a JWKS publishes it. */
export function makeKey(alg) {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  const kid = `bench-${alg}`
  return { alg, kid, ...pair, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } }
}

/** A fresh access token (new `jti`, valid for an hour) for `issuer`; `extra` adds or replaces claims. */
export function signToken(key, issuer, extra = {}) {
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64({ alg: key.alg, typ: 'at+jwt', kid: key.kid })}.${b64({
    iss: issuer,
    sub: 'alice',
    aud: AUDIENCE,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    client_id: 'web',
    scope: 'orders:read',
    ...extra,
  })}`
  const data = Buffer.from(input)
  const sig =
    key.alg === 'EdDSA'
      ? sign(null, data, key.privateKey)
      : sign(
          'sha256',
          data,
          key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey,
        )
  return `${input}.${sig.toString('base64url')}`
}
