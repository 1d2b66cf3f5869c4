/**
 * `@stateless-auth/verifier`: verify OAuth 2.0 JWT access tokens (RFC 9068) locally, with keys from the
 * authorization server's JWKS. Framework-free; adapters live in `@stateless-auth/verifier/fastify` and
 * `@stateless-auth/verifier/node`.
 */
export { parseBearer } from './bearer.js'
export {
  type AccessTokenClaims,
  assertScopes,
  getScopes,
  hasScopes,
  RFC9068_REQUIRED_CLAIMS,
} from './claims.js'
export { NonceIssuer as DpopNonceIssuer } from './dpop/nonce.js'
export type { DpopRequest } from './dpop/proof.js'
export { type DpopReplayStore, MemoryReplayStore } from './dpop/replay.js'
export { type VerifiedDpopProof, type VerifyDpopProofOptions, verifyDpopProof } from './dpop/verify.js'
export {
  ERROR_CODES,
  type OAuthBearerError,
  VerifierError,
  type VerifierErrorCode,
  verifierError,
} from './errors.js'
export {
  DPOP_ALGORITHMS,
  type DpopMode,
  type DpopOptions,
  metadataUrlFor,
  type SupportedAlgorithm,
  type VerifierEvent,
  type VerifierOptions,
} from './options.js'
export { type ChallengeOptions, type ErrorResponse, errorResponse, wwwAuthenticate } from './response.js'
export { createVerifier, type Verifier, type VerifierStats } from './verifier.js'
