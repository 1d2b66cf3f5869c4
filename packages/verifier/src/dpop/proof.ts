import { createHash, createPublicKey, type JsonWebKey } from 'node:crypto'
import { parseHttpUrl } from '@stateless-auth/status-list'
import { verifierError } from '../errors.js'
import { type CompactJws, decodeSegment, type SignatureCheck, signatureCheck, splitCompact } from '../jws.js'
import type { ResolvedDpop, SupportedAlgorithm } from '../options.js'
import { NonceIssuer } from './nonce.js'

/** What the request says, for the proof to be compared with (RFC 9449 §4.3 steps 8–9). */
export interface ProofRequest {
  method: string
  /** The URL the client used; compared without query and fragment. */
  url: string
  /** The time to check `iat` and nonces against, ms since the epoch (default `Date.now()`). */
  now?: number
}

/**
 * What a DPoP proof is checked against: the request as the client made it. The adapters build it; code calling
 * `authenticate` itself passes it for requests that may use the `DPoP` scheme.
 *
 * @example
 * ```ts
 * await verifier.authenticate(req.headers.authorization, {
 *   method: req.method!,
 *   url: `https://api.example.com${req.url}`,
 *   dpop: req.headers.dpop,
 * })
 * ```
 */
export interface DpopRequest extends ProofRequest {
  /** The `DPoP` header value(s): more than one is refused. */
  dpop: string | string[] | undefined
}

/** What a valid proof establishes, for the binding and replay checks that need the token's claims. */
export interface ProofFacts {
  /** RFC 7638 SHA-256 thumbprint of the proof's key, to compare with the token's `cnf.jkt`. */
  jkt: string
  /** The replay-cache key (thumbprint and `jti`) and how long it must be remembered. */
  replayKey: string
  replayUntil: number
  /** The proof's `jti` and `iat` (seconds). */
  jti: string
  iat: number
}

interface ProofKey {
  check: SignatureCheck
  jkt: string
}

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}
// RFC 7517 / RFC 7518 §6: members only a private (or symmetric) key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
// Distinct proof headers remembered: one per client key in practice (the header repeats on every proof of a key).
const MAX_KEYS = 256

const invalidProof = (description: string) => verifierError('VERIFIER_ERR_DPOP_PROOF_INVALID', description)

/** SHA-256 of `value`, base64url: `ath` (RFC 9449 §4.2) and thumbprints. */
function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}

// RFC 3986 §6.2.2–6.2.3 via WHATWG URL: scheme and host lowercased, default port dropped, dot segments resolved,
// percent-encodings uppercased; query and fragment dropped (RFC 9449 §4.3 step 9).
function normalizeHtu(value: string): string | undefined {
  const url = parseHttpUrl(value)
  if (url === undefined) return undefined
  return `${url.protocol}//${url.host}${url.pathname.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase())}`
}

function importProofKey(jwk: unknown, alg: SupportedAlgorithm): ProofKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalidProof('The DPoP proof header must carry the public key (jwk)')
  }
  const fields = jwk as Record<string, unknown>
  // RFC 9449 §4.3 step 7: the jwk must not contain a private key.
  if (PRIVATE_MEMBERS.some((m) => m in fields)) throw invalidProof('The DPoP proof jwk must be a public key')
  const members = typeof fields.kty === 'string' ? THUMBPRINT_MEMBERS[fields.kty] : undefined
  if (members === undefined || !members.every((m) => typeof fields[m] === 'string')) {
    throw invalidProof('The DPoP proof jwk is not a usable public key')
  }
  const canonical = JSON.stringify(Object.fromEntries(members.map((m) => [m, fields[m]])))
  let check: SignatureCheck
  try {
    const keyObject = createPublicKey({ key: JSON.parse(canonical) as JsonWebKey, format: 'jwk' })
    const bits = keyObject.asymmetricKeyDetails?.modulusLength
    if (fields.kty === 'RSA' && (bits === undefined || bits < 2048))
      throw new Error('RSA key under 2048 bits')
    check = signatureCheck(alg, keyObject)
  } catch {
    throw invalidProof('The DPoP proof jwk is not a usable public key')
  }
  return { check, jkt: sha256(canonical) }
}

/**
 * Checks DPoP proofs (RFC 9449 §4.3) for one verifier: everything but the binding to the token's `cnf.jkt` and the
 * replay check, which need the token's claims and so come after.
 */
export class ProofChecker {
  readonly #options: ResolvedDpop
  readonly #nonces: NonceIssuer | undefined
  // Header segment → its key, imported and thumbprinted once per client key rather than once per proof.
  readonly #keys = new Map<string, ProofKey>()

  constructor(options: ResolvedDpop) {
    this.#options = options
    this.#nonces =
      options.nonce === undefined ? undefined : new NonceIssuer(options.nonce.secret, options.nonce.lifetime)
  }

  /** A fresh nonce, when nonces are on. */
  nonce(now: number): string | undefined {
    return this.#nonces?.current(now)
  }

  #key(segment: string): ProofKey {
    const known = this.#keys.get(segment)
    if (known !== undefined) return known
    let header: Record<string, unknown>
    try {
      header = decodeSegment(segment, 'header')
    } catch {
      throw invalidProof('The DPoP proof header is not valid base64url JSON')
    }
    // RFC 9449 §4.2: explicit typing, so no other JWT can pass for a proof.
    if (header.typ !== 'dpop+jwt') throw invalidProof('The DPoP proof type (typ) must be dpop+jwt')
    // RFC 9449 §4.3 step 5: an asymmetric algorithm we support; never none or a MAC.
    if (typeof header.alg !== 'string' || !(this.#options.algorithms as string[]).includes(header.alg)) {
      throw invalidProof('The DPoP proof algorithm is not allowed')
    }
    if (header.crit !== undefined) throw invalidProof('The DPoP proof has an unsupported critical header')
    const key = importProofKey(header.jwk, header.alg as SupportedAlgorithm)
    if (this.#keys.size >= MAX_KEYS) this.#keys.clear()
    this.#keys.set(segment, key)
    return key
  }

  /**
   * Resolves with the facts of a valid proof for `token` on `request`; rejects (or throws) with
   * `VERIFIER_ERR_DPOP_PROOF_INVALID`, or `VERIFIER_ERR_DPOP_NONCE_REQUIRED` when nonces are on.
   */
  check(
    proof: string | string[] | undefined,
    token: string | undefined,
    request: ProofRequest,
  ): Promise<ProofFacts> {
    // RFC 9449 §4.3 step 1: exactly one DPoP header.
    if (proof === undefined || proof === '')
      throw invalidProof('A DPoP proof is required with the DPoP scheme')
    if (Array.isArray(proof)) {
      if (proof.length !== 1 || proof[0] === undefined) throw invalidProof('Only one DPoP header may be sent')
      return this.check(proof[0], token, request)
    }
    if (proof.length > this.#options.maxProofLength) throw invalidProof('The DPoP proof is too large')
    let jws: CompactJws
    try {
      // Step 2: a well-formed compact JWS.
      jws = splitCompact(proof)
    } catch {
      throw invalidProof('The DPoP proof is not a JWS compact token')
    }
    const key = this.#key(jws.header)
    let claims: Record<string, unknown>
    try {
      claims = decodeSegment(jws.payload, 'payload')
    } catch {
      throw invalidProof('The DPoP proof payload is not valid base64url JSON')
    }
    const now = request.now ?? Date.now()
    // Steps 8–9: the proof is for this request, and only this one.
    if (claims.htm !== request.method) throw invalidProof('The DPoP proof is for another HTTP method (htm)')
    const htu = typeof claims.htu === 'string' ? normalizeHtu(claims.htu) : undefined
    if (htu === undefined || htu !== normalizeHtu(request.url)) {
      throw invalidProof('The DPoP proof is for another URL (htu)')
    }
    // Step 11: recent enough to bound the replay window, not from the future beyond the clock skew.
    const { maxAgeMs, clockToleranceMs } = this.#options
    const iat = claims.iat
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidProof('The DPoP proof needs an iat')
    if (iat * 1000 > now + clockToleranceMs) throw invalidProof('The DPoP proof was issued in the future')
    if (iat * 1000 < now - maxAgeMs) throw invalidProof('The DPoP proof is too old')
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) {
      throw invalidProof('The DPoP proof needs a jti')
    }
    // RFC 9449 §7 / §4.3 step 12: the proof names the access token it goes with (none at a token endpoint).
    if (token !== undefined && (typeof claims.ath !== 'string' || claims.ath !== sha256(token))) {
      throw invalidProof('The DPoP proof is for another access token (ath)')
    }
    // Step 10: a nonce from us, when we hand them out (§9).
    if (this.#nonces !== undefined && !this.#nonces.valid(claims.nonce, now)) {
      throw verifierError(
        'VERIFIER_ERR_DPOP_NONCE_REQUIRED',
        'The DPoP proof must carry a current server nonce',
        {
          nonce: this.#nonces.current(now),
        },
      )
    }
    const { jkt } = key
    // Step 6: the signature, with the key in the header; on the thread pool like the token's.
    return key.check.verify(jws).then(
      () => ({
        jkt,
        replayKey: createHash('sha256')
          .update(`${jkt}.${claims.jti as string}`)
          .digest('hex'),
        replayUntil: iat * 1000 + maxAgeMs + clockToleranceMs,
        jti: claims.jti as string,
        iat,
      }),
      () => {
        throw invalidProof('The DPoP proof signature is invalid')
      },
    )
  }
}
