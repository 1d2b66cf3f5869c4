import { createHash, randomUUID } from 'node:crypto'
import { signature, type TestKey } from './keys.js'

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** RFC 7638 SHA-256 thumbprint of a public JWK. */
export function thumbprint(key: TestKey): string {
  const jwk = key.jwk as Record<string, string>
  const members =
    jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x']
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, jwk[m]])))
  return createHash('sha256').update(canonical).digest('base64url')
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url')

/** The public JWK a client puts in its proof header (no kid, alg or use needed). */
export function publicJwk(key: TestKey): Record<string, unknown> {
  const { kid: _kid, alg: _alg, use: _use, ...jwk } = key.jwk
  return jwk
}

export interface ProofOptions {
  htm?: string
  htu: string
  /** The access token the proof goes with (its `ath`). */
  token?: string
  /** Payload fields added or replaced; `undefined` removes one. */
  claims?: Record<string, unknown>
  /** Header fields added or replaced; `undefined` removes one. */
  header?: Record<string, unknown>
  alg?: string
  signWith?: Parameters<typeof signature>[2]
}

/** A DPoP proof (RFC 9449 §4.2) by `key`, as a client makes one. */
export function makeProof(key: TestKey, options: ProofOptions): string {
  const alg = options.alg ?? key.alg
  const header = Object.fromEntries(
    Object.entries({ typ: 'dpop+jwt', alg, jwk: publicJwk(key), ...options.header }).filter(
      ([, v]) => v !== undefined,
    ),
  )
  const payload = Object.fromEntries(
    Object.entries({
      jti: randomUUID(),
      htm: options.htm ?? 'GET',
      htu: options.htu,
      iat: Math.floor(Date.now() / 1000),
      ...(options.token === undefined ? {} : { ath: ath(options.token) }),
      ...options.claims,
    }).filter(([, v]) => v !== undefined),
  )
  const input = `${b64(header)}.${b64(payload)}`
  return alg === 'none'
    ? `${input}.`
    : `${input}.${signature(alg, input, options.signWith ?? key.privateKey)}`
}
