import { verifierError } from '../errors.js'
import type { SupportedAlgorithm } from '../options.js'
import { ProofChecker } from './proof.js'
import type { DpopReplayStore } from './replay.js'

/**
 * What {@link verifyDpopProof} checks a proof against. Times are seconds except `now` (ms, like `Date.now()`).
 *
 * @example
 * ```ts
 * const options: VerifyDpopProofOptions = { htm: 'POST', htu: 'https://as.example.com/token', replay }
 * ```
 */
export interface VerifyDpopProofOptions {
  /** The request's method. */
  htm: string
  /** The URL the client used (scheme, host, port, path); query and fragment are ignored. */
  htu: string
  /** The current time, ms since the epoch. Default `Date.now()`. */
  now?: number
  /** How old (seconds) a proof's `iat` may be. Default 60. */
  iatWindow?: number
  /** Seconds a proof's `iat` may lie in the future. Default 5. */
  clockTolerance?: number
  /** Accepted proof algorithms. Default `['ES256', 'EdDSA', 'PS256', 'RS256']`. */
  algs?: readonly SupportedAlgorithm[]
  /** The access token the proof goes with: its hash must be the proof's `ath`. Omit at a token endpoint. */
  accessToken?: string
  /** Where `jti`s are remembered for the `iat` window; a replay is refused. */
  replay: DpopReplayStore
  /** Server nonces (RFC 9449 §8–9): when given, a proof must carry a current one. */
  nonce?: { secret: Buffer; lifetime: number }
  /** Longest proof accepted, in characters. Default 4096. */
  maxProofLength?: number
}

/**
 * What a valid proof establishes.
 *
 * @example
 * ```ts
 * const { jkt } = await verifyDpopProof(req.headers.dpop, options)
 * ```
 */
export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key: the `cnf.jkt` of a token bound to it. */
  jkt: string
  jti: string
  /** Seconds since the epoch. */
  iat: number
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3) with the same code the verifier's adapters use, for endpoints that are not
 * resource servers, such as an authorization server's token endpoint. Rejects with a `VerifierError`:
 * `VERIFIER_ERR_DPOP_PROOF_INVALID` (also for a replayed `jti`), `VERIFIER_ERR_DPOP_NONCE_REQUIRED` (with a fresh
 * `nonce`), or whatever the replay store throws.
 *
 * @example
 * ```ts
 * const { jkt } = await verifyDpopProof(request.headers.dpop, {
 *   htm: 'POST',
 *   htu: 'https://as.example.com/token',
 *   replay: new MemoryReplayStore(),
 * })
 * ```
 */
export async function verifyDpopProof(
  header: string | string[] | undefined,
  options: VerifyDpopProofOptions,
): Promise<VerifiedDpopProof> {
  const checker = new ProofChecker({
    mode: 'required',
    algorithms: [...(options.algs ?? ['ES256', 'EdDSA', 'PS256', 'RS256'])],
    maxAgeMs: (options.iatWindow ?? 60) * 1000,
    clockToleranceMs: (options.clockTolerance ?? 5) * 1000,
    maxProofLength: options.maxProofLength ?? 4096,
    replayStore: options.replay,
    publicUrl: undefined,
    trustForwardedHeaders: false,
    nonce: options.nonce,
  })
  const facts = await checker.check(header, options.accessToken, {
    method: options.htm,
    url: options.htu,
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  if (!(await options.replay.add(facts.replayKey, facts.replayUntil))) {
    throw verifierError('VERIFIER_ERR_DPOP_PROOF_INVALID', 'The DPoP proof has been used before (jti)')
  }
  return { jkt: facts.jkt, jti: facts.jti, iat: facts.iat }
}
