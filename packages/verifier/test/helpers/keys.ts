import {
  constants,
  createHmac,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto'

export type TestAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** A signing key generated for the test run; never written to disk. */
export interface TestKey {
  kid: string
  alg: TestAlg
  privateKey: KeyObject
  publicKey: KeyObject
  /** The public JWK as an authorization server would publish it. */
  jwk: JsonWebKey & { kid: string; alg?: string; use?: string }
}

export function generateKey(alg: TestAlg, kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): TestKey {
  const pair =
    alg === 'RS256' || alg === 'PS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' }
  return { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk }
}

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** Signs `signingInput` the way JWS (RFC 7515/7518/8037) does for the given algorithm. */
export function signature(alg: string, input: string, key: KeyObject | string | Buffer): string {
  const data = Buffer.from(input)
  if (alg.startsWith('HS'))
    return createHmac(`sha${alg.slice(2)}`, key as string)
      .update(data)
      .digest('base64url')
  if (alg === 'EdDSA') return sign(null, data, key as KeyObject).toString('base64url')
  const hash = `sha${alg.slice(2)}`
  if (alg.startsWith('PS')) {
    return sign(hash, data, {
      key: key as KeyObject,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    }).toString('base64url')
  }
  if (alg.startsWith('ES'))
    return sign(hash, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  return sign(hash, data, key as KeyObject).toString('base64url')
}

export interface SignOptions {
  /** Header fields added to or replacing `{ alg, typ: 'at+jwt', kid }`; `undefined` removes a field. */
  header?: Record<string, unknown>
  /** Sign with this algorithm instead of the key's own (for confusion attacks). */
  alg?: string
  /** Sign with this secret or key instead of the key's private key. */
  signWith?: KeyObject | string | Buffer
}

/** Builds a compact JWS from a header and payload, signed with `key` unless told otherwise. */
export function signToken(key: TestKey, payload: unknown, options: SignOptions = {}): string {
  const alg = options.alg ?? key.alg
  const header = Object.fromEntries(
    Object.entries({ alg, typ: 'at+jwt', kid: key.kid, ...options.header }).filter(
      ([, v]) => v !== undefined,
    ),
  )
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${signature(alg, input, options.signWith ?? key.privateKey)}`
}

/** Encodes raw segments without signing (for malformed tokens). */
export function rawToken(header: unknown, payload: unknown, sig = ''): string {
  return `${b64(header)}.${b64(payload)}.${sig}`
}

export const AUDIENCE = 'urn:stateless-auth:orders-api'

/** RFC 9068 §2.2 claims with sensible defaults; pass `undefined` to drop one. */
export function accessClaims(
  issuer: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: issuer,
    sub: 'alice',
    aud: AUDIENCE,
    exp: now + 300,
    iat: now,
    jti: randomUUID(),
    client_id: 'web',
    scope: 'orders:read openid',
    ...overrides,
  }
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined))
}
