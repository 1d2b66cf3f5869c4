// The one place where errors of fast-jwt, @fastify/jwt, get-jwks, jose and fetch become VerifierErrors.
import { VerifierError, type VerifierErrorCode, verifierError } from './errors.js'

interface ForeignError {
  code?: unknown
  message?: unknown
  name?: unknown
  claim?: unknown
  originalError?: unknown
}

// Client-facing descriptions of errors that come from third-party libraries (their messages are not ours to show).
const FOREIGN_DESCRIPTION: Partial<Record<VerifierErrorCode, string>> = {
  VERIFIER_ERR_NO_CREDENTIALS: 'No access token was sent',
  VERIFIER_ERR_INVALID_REQUEST: 'The Authorization header is malformed',
  VERIFIER_ERR_TOKEN_MALFORMED: 'The access token is malformed',
  VERIFIER_ERR_HEADER_INVALID: 'The token has an unsupported critical header',
  VERIFIER_ERR_TYPE_INVALID: 'The token type (typ) must be at+jwt',
  VERIFIER_ERR_ALGORITHM_NOT_ALLOWED: 'The token algorithm is not allowed for its key',
  VERIFIER_ERR_KEY_NOT_FOUND: 'No key is known for this token',
  VERIFIER_ERR_SIGNATURE_INVALID: 'The token signature is invalid',
  VERIFIER_ERR_ISSUER_INVALID: 'The token issuer is not trusted',
  VERIFIER_ERR_AUDIENCE_INVALID: 'The token is not meant for this audience',
  VERIFIER_ERR_TOKEN_EXPIRED: 'The access token has expired',
  VERIFIER_ERR_TOKEN_NOT_YET_VALID: 'The access token is not valid yet',
  VERIFIER_ERR_CLAIM_INVALID: 'The token has an invalid claim',
  VERIFIER_ERR_JWKS_UNAVAILABLE: 'The signing keys cannot be loaded right now',
}

// Codes of fast-jwt (TokenError), @fastify/jwt (FST_JWT_*), jose (ERR_J*) and get-jwks (GetJwksError) that map
// one-to-one. Codes whose meaning depends on the message or a property are handled in `special` below.
const FOREIGN_CODES: Record<string, VerifierErrorCode> = {
  FAST_JWT_MALFORMED: 'VERIFIER_ERR_TOKEN_MALFORMED',
  FAST_JWT_INVALID_PAYLOAD: 'VERIFIER_ERR_TOKEN_MALFORMED',
  FAST_JWT_INVALID_ALGORITHM: 'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
  FAST_JWT_INVALID_KEY: 'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
  FAST_JWT_MISSING_SIGNATURE: 'VERIFIER_ERR_SIGNATURE_INVALID',
  FAST_JWT_INVALID_SIGNATURE: 'VERIFIER_ERR_SIGNATURE_INVALID',
  FAST_JWT_VERIFY_ERROR: 'VERIFIER_ERR_SIGNATURE_INVALID',
  FAST_JWT_INVALID_CRIT_HEADER: 'VERIFIER_ERR_HEADER_INVALID',
  FAST_JWT_EXPIRED: 'VERIFIER_ERR_TOKEN_EXPIRED',
  FAST_JWT_INACTIVE: 'VERIFIER_ERR_TOKEN_NOT_YET_VALID',
  FAST_JWT_MISSING_KEY: 'VERIFIER_ERR_KEY_NOT_FOUND',
  FST_JWT_NO_AUTHORIZATION_IN_HEADER: 'VERIFIER_ERR_NO_CREDENTIALS',
  FST_JWT_BAD_REQUEST: 'VERIFIER_ERR_INVALID_REQUEST',
  FST_JWT_AUTHORIZATION_TOKEN_EXPIRED: 'VERIFIER_ERR_TOKEN_EXPIRED',
  FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED: 'VERIFIER_ERR_CLAIM_INVALID',
  ERR_JWT_EXPIRED: 'VERIFIER_ERR_TOKEN_EXPIRED',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'VERIFIER_ERR_SIGNATURE_INVALID',
  ERR_JOSE_ALG_NOT_ALLOWED: 'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
  ERR_JOSE_NOT_SUPPORTED: 'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
  ERR_JWKS_NO_MATCHING_KEY: 'VERIFIER_ERR_KEY_NOT_FOUND',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'VERIFIER_ERR_KEY_NOT_FOUND',
  ERR_JWKS_TIMEOUT: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  ERR_JWKS_INVALID: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  ERR_JWS_INVALID: 'VERIFIER_ERR_TOKEN_MALFORMED',
  ERR_JWT_INVALID: 'VERIFIER_ERR_TOKEN_MALFORMED',
  JWK_NOT_FOUND: 'VERIFIER_ERR_KEY_NOT_FOUND',
  DOMAIN_NOT_ALLOWED: 'VERIFIER_ERR_ISSUER_INVALID',
  JWKS_REQUEST_FAILED: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  NO_JWKS: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  NO_JWKS_URI: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  OPENID_CONFIGURATION_REQUEST_FAILED: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  AbortError: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
  TimeoutError: 'VERIFIER_ERR_JWKS_UNAVAILABLE',
}

// fast-jwt says which claim failed only in its message ("The iss claim value is not allowed.").
function claimFailure(message: string): VerifierErrorCode {
  if (/claim is required/.test(message)) return 'VERIFIER_ERR_CLAIM_MISSING'
  if (/\biss\b/.test(message)) return 'VERIFIER_ERR_ISSUER_INVALID'
  if (/\baud\b/.test(message)) return 'VERIFIER_ERR_AUDIENCE_INVALID'
  return 'VERIFIER_ERR_CLAIM_INVALID'
}

function special(
  e: ForeignError,
  code: string,
  message: string,
): VerifierErrorCode | VerifierError | undefined {
  switch (code) {
    case 'FAST_JWT_INVALID_TYPE':
      return message === 'Invalid typ.' ? 'VERIFIER_ERR_TYPE_INVALID' : 'VERIFIER_ERR_TOKEN_MALFORMED'
    case 'FAST_JWT_MISSING_REQUIRED_CLAIM':
    case 'FAST_JWT_INVALID_CLAIM_TYPE':
    case 'FAST_JWT_INVALID_CLAIM_VALUE':
      return claimFailure(message)
    case 'FAST_JWT_KEY_FETCHING_ERROR':
      // Our own key resolver failed inside fast-jwt/@fastify/jwt: its error is the real answer.
      return e.originalError === undefined ? 'VERIFIER_ERR_JWKS_UNAVAILABLE' : mapError(e.originalError)
    case 'FST_JWT_AUTHORIZATION_TOKEN_INVALID':
      // @fastify/jwt keeps only fast-jwt's message: "Authorization token is invalid: <fast-jwt message>".
      if (/signature/i.test(message)) return 'VERIFIER_ERR_SIGNATURE_INVALID'
      if (/claim/.test(message)) return claimFailure(message)
      if (/\bkey\b/i.test(message)) return 'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED'
      return 'VERIFIER_ERR_TOKEN_MALFORMED'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = String(e.claim)
      if (claim === 'nbf' || claim === 'iat') return 'VERIFIER_ERR_TOKEN_NOT_YET_VALID'
      if (claim === 'typ') return 'VERIFIER_ERR_TYPE_INVALID'
      return claimFailure(claim)
    }
    default:
      return undefined
  }
}

/**
 * The one place where third-party errors (fast-jwt, @fastify/jwt, get-jwks, jose, fetch aborts) become
 * {@link VerifierError}s. Anything unknown becomes a 401 `invalid_token` (keeping the original as `cause`),
 * so a surprise inside a library can never turn into a 500 or let a token through.
 *
 * @example
 * ```ts
 * try {
 *   await request.jwtVerify()
 * } catch (err) {
 *   throw mapError(err) // e.g. FAST_JWT_INACTIVE → VERIFIER_ERR_TOKEN_NOT_YET_VALID (401)
 * }
 * ```
 */
export function mapError(err: unknown): VerifierError {
  if (err instanceof VerifierError) return err
  const e = (typeof err === 'object' && err !== null ? err : {}) as ForeignError
  const code = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : ''
  const message = typeof e.message === 'string' ? e.message : ''
  const mapped = special(e, code, message) ?? FOREIGN_CODES[code]
  if (mapped instanceof VerifierError) return mapped
  if (mapped === undefined) {
    return verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token could not be verified', {
      cause: err,
    })
  }
  let description = FOREIGN_DESCRIPTION[mapped] ?? 'The access token is invalid'
  const claim = /The (\w+) claim is required/.exec(message)?.[1]
  if (mapped === 'VERIFIER_ERR_CLAIM_MISSING')
    description = `The token lacks the ${claim ?? 'a required'} claim`
  return verifierError(mapped, description, {
    cause: err,
    ...(mapped === 'VERIFIER_ERR_JWKS_UNAVAILABLE' ? { retryAfter: 30 } : {}),
  })
}
