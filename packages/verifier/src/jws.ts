import { constants, type KeyObject, verify } from 'node:crypto'
import { verifierError } from './errors.js'
import type { SupportedAlgorithm } from './options.js'

/**
 * A JWS in compact serialization (RFC 7515 §7.1), split but not decoded: the header and payload segments stay
 * base64url text until they are needed, the payload only once its signature holds.
 */
export interface CompactJws {
  header: string
  payload: string
  signature: string
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)), what the signature covers (RFC 7515 §5.2). */
  signingInput: string
}

// RFC 7515 §2: base64url without padding. Buffer's decoder skips characters outside the alphabet, so the segments are
// checked first: a token must not verify with bytes it does not show.
const SEGMENT = /^[A-Za-z0-9_-]+$/

/** Splits a compact JWS into its three segments, or throws `VERIFIER_ERR_TOKEN_MALFORMED`. */
export function splitCompact(token: string): CompactJws {
  const first = token.indexOf('.')
  const second = first === -1 ? -1 : token.indexOf('.', first + 1)
  if (first <= 0 || second === -1 || token.indexOf('.', second + 1) !== -1) {
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token is not a JWS compact token')
  }
  const signingInput = token.slice(0, second)
  const header = signingInput.slice(0, first)
  const payload = signingInput.slice(first + 1)
  if (!SEGMENT.test(header) || !SEGMENT.test(payload)) {
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The token segments must be base64url')
  }
  return { header, payload, signature: token.slice(second + 1), signingInput }
}

/** Decodes a base64url JSON object segment (header or payload), or throws `VERIFIER_ERR_TOKEN_MALFORMED`. */
export function decodeSegment(segment: string, what: 'header' | 'payload'): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', `The token ${what} is not valid base64url JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', `The token ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Checks signatures of one algorithm with one key, set up once per key: the digest, the padding, the signature size.
 *
 * @example
 * ```ts
 * const check = signatureCheck('ES256', keyObject)
 * await check.verify(splitCompact(token)) // rejects with VERIFIER_ERR_SIGNATURE_INVALID
 * ```
 */
export interface SignatureCheck {
  readonly alg: SupportedAlgorithm
  /**
   * Resolves once the signature holds; rejects with `VERIFIER_ERR_SIGNATURE_INVALID` otherwise
   * (`VERIFIER_ERR_ALGORITHM_NOT_ALLOWED` for a key that does not fit the algorithm).
   */
  verify(jws: CompactJws): Promise<void>
}

const DIGESTS = { '256': 'sha256', '384': 'sha384', '512': 'sha512' } as const
// RFC 7518 §3.4: an ECDSA signature is R || S, each the size of the curve order (P-521: 66 bytes).
const EC_SIGNATURE_BYTES: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 }

function invalidSignature() {
  return verifierError('VERIFIER_ERR_SIGNATURE_INVALID', 'The token signature is invalid')
}

// libuv's pool (UV_THREADPOOL_SIZE threads, 4 by default) is shared with fs, dns.lookup and zlib, and its queue has no
// bound. Beyond POOL_BACKLOG × its size of checks in flight (all verifiers of the process together), a check runs on
// the event loop instead, so a flood of tokens cannot queue ahead of a JWKS fetch's DNS lookup. How the bound was
// chosen: docs/benchmarks.md.
const POOL_SIZE = Math.max(1, Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10) || 4)
const POOL_BACKLOG = 16
let inPool = 0

// What each algorithm family needs of the key, checked again here although importJwk matched them (RFC 8725 §3.1):
// a key of another type must never get as far as OpenSSL with this algorithm's parameters.
const KEY_TYPES: Record<string, string> = { RS: 'rsa', PS: 'rsa', ES: 'ec', Ed: 'ed25519' }
const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }

function fits(alg: SupportedAlgorithm, key: KeyObject): boolean {
  if (key.asymmetricKeyType !== KEY_TYPES[alg.slice(0, 2)]) return false
  const curve = CURVES[alg]
  return curve === undefined || key.asymmetricKeyDetails?.namedCurve === curve
}

/**
 * The signature check of `alg` for `key`, which `importJwk` has already matched to it (type, curve, RSA size).
 * Verification runs on libuv's thread pool (`crypto.verify` with a callback, as WebCrypto does), so the event loop
 * keeps serving requests while the public-key operation, the bulk of a token's cost, runs beside it.
 */
export function signatureCheck(alg: SupportedAlgorithm, key: KeyObject): SignatureCheck {
  if (!fits(alg, key)) {
    const mismatch = () =>
      Promise.reject(
        verifierError('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED', 'The token algorithm does not fit its key'),
      )
    return { alg, verify: mismatch }
  }
  const family = alg.slice(0, 2)
  const digest = alg === 'EdDSA' ? null : DIGESTS[alg.slice(2) as keyof typeof DIGESTS]
  let bytes: number
  let verifyKey: Parameters<typeof verify>[2]
  if (family === 'RS' || family === 'PS') {
    // RFC 7518 §3.3: the signature has the byte length of the modulus.
    bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8)
    // RFC 7518 §3.5: RSASSA-PSS with MGF1 on the same hash and a salt as long as the hash.
    verifyKey =
      family === 'PS'
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : { key, padding: constants.RSA_PKCS1_PADDING }
  } else if (family === 'ES') {
    bytes = EC_SIGNATURE_BYTES[alg] ?? 0
    verifyKey = { key, dsaEncoding: 'ieee-p1363' }
  } else {
    // RFC 8037 §3.1: Ed25519 signatures are 64 bytes.
    bytes = 64
    verifyKey = key
  }
  // The exact unpadded base64url length of `bytes`: one more character would decode to the same bytes.
  const chars = Math.ceil((bytes * 4) / 3)
  return {
    alg,
    verify(jws) {
      const { signature: segment } = jws
      if (segment.length !== chars || !SEGMENT.test(segment)) return Promise.reject(invalidSignature())
      const signature = Buffer.from(segment, 'base64url')
      // RFC 4648 §3.5: the unused bits of the last character must be zero, so that one signature has one spelling.
      if (signature.toString('base64url') !== segment) return Promise.reject(invalidSignature())
      const data = Buffer.from(jws.signingInput, 'latin1')
      if (inPool >= POOL_SIZE * POOL_BACKLOG) {
        let valid = false
        try {
          valid = verify(digest, data, verifyKey, signature)
        } catch {
          // OpenSSL refusing the input outright (it never should, the sizes were checked): a failed signature too.
        }
        return valid ? Promise.resolve() : Promise.reject(invalidSignature())
      }
      inPool++
      return new Promise<void>((resolve, reject) => {
        try {
          verify(digest, data, verifyKey, signature, (err, valid) => {
            inPool--
            if (err === null && valid) resolve()
            else reject(invalidSignature())
          })
        } catch {
          inPool--
          reject(invalidSignature())
        }
      })
    },
  }
}
