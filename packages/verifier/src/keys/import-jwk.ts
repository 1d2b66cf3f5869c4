import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import type { SupportedAlgorithm } from '../options.js'

/** A JWKS entry turned into something a signature check can use without further parsing. */
export interface ImportedKey {
  kid: string
  /** The one algorithm this key may verify (RFC 8725 §3.1). */
  alg: SupportedAlgorithm
  /** The public key, imported once. */
  keyObject: KeyObject
  /** Canonical JSON of the JWK, to reuse an already imported key when a refetch returns it unchanged. */
  fingerprint: string
}

const RSA: SupportedAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const EC_CURVES: Record<string, SupportedAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }

function family(jwk: Record<string, unknown>): SupportedAlgorithm[] {
  if (jwk.kty === 'RSA') return RSA
  if (jwk.kty === 'EC' && typeof jwk.crv === 'string' && EC_CURVES[jwk.crv]) return [EC_CURVES[jwk.crv]!]
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA']
  return []
}

/**
 * Imports one JWK for signature verification, or says why it is skipped. Skipped: keys not meant for signatures
 * (`use` other than `sig`, `key_ops` without `verify`, RFC 7517 §4.2–4.3), keys carrying private members, keys
 * whose `alg` is not allowlisted or does not fit their `kty`/`crv`, and RSA keys under 2048 bits (RFC 7518 §3.3).
 * Without `alg`, a key verifies with the first allowlisted algorithm its `kty`/`crv` fits.
 */
export function importJwk(
  raw: unknown,
  allowlist: readonly SupportedAlgorithm[],
): { key: ImportedKey } | { skipped: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { skipped: 'not an object' }
  const jwk = raw as Record<string, unknown>
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) return { skipped: 'no kid' }
  if (jwk.use !== undefined && jwk.use !== 'sig') return { skipped: `use is ${String(jwk.use)}` }
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
    return { skipped: 'key_ops lacks verify' }
  }
  if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in jwk)) return { skipped: 'has private members' }
  const fits = family(jwk)
  let alg: SupportedAlgorithm | undefined
  if (jwk.alg !== undefined) {
    alg = jwk.alg as SupportedAlgorithm
    if (!fits.includes(alg) || !allowlist.includes(alg))
      return { skipped: `alg ${String(jwk.alg)} not usable` }
  } else {
    // RFC 8725 §3.1: one algorithm per key. An RSA key without `alg` fits RS* and PS* alike; it gets the first of
    // them the allowlist names (RS256 by default), never several. EC and OKP keys fit one algorithm anyway.
    alg = allowlist.find((a) => fits.includes(a))
  }
  if (alg === undefined) return { skipped: 'no allowed algorithm fits this key' }
  try {
    const { kty, crv, n, e, x, y } = jwk as Record<string, string | undefined>
    const publicJwk = Object.fromEntries(
      Object.entries({ kty, crv, n, e, x, y }).filter(([, v]) => v !== undefined),
    ) as JsonWebKey
    const keyObject = createPublicKey({ key: publicJwk, format: 'jwk' })
    const bits = keyObject.asymmetricKeyDetails?.modulusLength
    if (kty === 'RSA' && (bits === undefined || bits < 2048))
      return { skipped: 'RSA key shorter than 2048 bits' }
    const spki = keyObject.export({ type: 'spki', format: 'der' }).toString('base64')
    return { key: { kid: jwk.kid, alg, keyObject, fingerprint: `${alg}|${spki}` } }
  } catch (err) {
    return { skipped: `cannot import: ${err instanceof Error ? err.message : String(err)}` }
  }
}
