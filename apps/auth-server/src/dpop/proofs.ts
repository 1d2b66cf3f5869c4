import { DpopNonceIssuer, VerifierError, verifyDpopProof } from '@stateless-auth/verifier'
import type { AuthServerContext } from '../context.js'
import { OAuthError } from '../errors.js'

/** RFC 9449 §5.1 `dpop_signing_alg_values_supported`: asymmetric only, never `none` or a MAC. */
export const DPOP_ALGS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const
// How old a proof may be (seconds): also how long its jti is remembered.
const IAT_WINDOW = 60
// A nonce is good for the step it was issued in and the next one (5–10 minutes).
const NONCE_LIFETIME = 300

/** RFC 9449 §5 and §7.1: a proof that fails a check. 400 at /token; 401 with a `DPoP` challenge at a resource. */
export class InvalidDpopProof extends OAuthError {
  constructor(description: string, atResource = false) {
    super(
      'invalid_dpop_proof',
      atResource ? 401 : 400,
      description,
      atResource ? { 'www-authenticate': challenge('invalid_dpop_proof', description) } : {},
    )
  }
}

/** RFC 9449 §8: the proof must carry the nonce sent along in `DPoP-Nonce`. */
class UseDpopNonce extends OAuthError {
  constructor(description: string, nonce: string) {
    super('use_dpop_nonce', 400, description, { 'dpop-nonce': nonce })
  }
}

function challenge(error: string, description: string): string {
  return `DPoP algs="${DPOP_ALGS.join(' ')}", error="${error}", error_description="${description.replace(/"/g, "'")}"`
}

const issuers = new WeakMap<AuthServerContext, DpopNonceIssuer>()

/** The current server nonce, when `DPOP_NONCE_SECRET` turns nonces on (stateless: every replica agrees). */
export function dpopNonce(ctx: AuthServerContext): string | undefined {
  const secret = ctx.config.dpopNonceSecret
  if (secret === undefined) return undefined
  let issuer = issuers.get(ctx)
  if (issuer === undefined) {
    issuer = new DpopNonceIssuer(Buffer.from(secret), NONCE_LIFETIME)
    issuers.set(ctx, issuer)
  }
  return issuer.current(ctx.now() * 1000)
}

/**
 * Checks the `DPoP` header of a request (RFC 9449 §4.3) with the verifier's proof checks, the jti replay store in
 * the database, and the server nonce when configured. Resolves with the proof key's thumbprint, or undefined when
 * the request carried no proof. Failures become the OAuth errors of §5 (token endpoint) or §7.1 (`accessToken`
 * given: a protected resource).
 */
export async function checkDpopProof(
  ctx: AuthServerContext,
  header: string | string[] | undefined,
  request: { htm: string; path: string; accessToken?: string },
): Promise<string | undefined> {
  if (header === undefined) return undefined
  const atResource = request.accessToken !== undefined
  const secret = ctx.config.dpopNonceSecret
  try {
    const { jkt } = await verifyDpopProof(header, {
      htm: request.htm,
      htu: `${ctx.config.issuer}${request.path}`,
      now: ctx.now() * 1000,
      iatWindow: IAT_WINDOW,
      clockTolerance: ctx.config.clockSkew,
      algs: DPOP_ALGS,
      replay: ctx.storage.dpopProofs,
      // Nonces are asked for at the token endpoint only (§8); the userinfo endpoint relies on iat and jti.
      ...(secret === undefined || atResource
        ? {}
        : { nonce: { secret: Buffer.from(secret), lifetime: NONCE_LIFETIME } }),
      ...(request.accessToken === undefined ? {} : { accessToken: request.accessToken }),
    })
    return jkt
  } catch (error) {
    if (!(error instanceof VerifierError)) throw error
    if (error.code === 'VERIFIER_ERR_DPOP_NONCE_REQUIRED') {
      throw new UseDpopNonce(error.description, error.nonce ?? (dpopNonce(ctx) as string))
    }
    if (error.code === 'VERIFIER_ERR_DPOP_PROOF_INVALID')
      throw new InvalidDpopProof(error.description, atResource)
    throw error
  }
}
