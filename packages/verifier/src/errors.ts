/**
 * Every failure the verifier can report, each with a stable code, the HTTP status it maps to and the
 * OAuth error of RFC 6750 §3.1. `switch (err.code)` narrows; `err.description` is safe to send to clients.
 * Third-party errors become these in `map-error.ts`; `response.ts` turns them into an HTTP answer.
 */

/**
 * OAuth error codes of RFC 6750 §3.1, plus RFC 9449 §7.1's for DPoP; `undefined` means "no credentials were sent"
 * (RFC 6750 §3.1, last paragraph).
 *
 * @example
 * ```ts
 * const e: OAuthBearerError | undefined = err.oauthError
 * ```
 */
export type OAuthBearerError =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

interface CodeSpec {
  statusCode: number
  oauthError: OAuthBearerError | undefined
}

/**
 * The error-code table: code → HTTP status → OAuth error. Exported so adapters and docs share one source.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from '@stateless-auth/verifier'
 * ERROR_CODES.VERIFIER_ERR_TOKEN_EXPIRED.statusCode // 401
 * ```
 */
export const ERROR_CODES = {
  VERIFIER_ERR_NO_CREDENTIALS: { statusCode: 401, oauthError: undefined },
  VERIFIER_ERR_INVALID_REQUEST: { statusCode: 400, oauthError: 'invalid_request' },
  VERIFIER_ERR_TOKEN_TOO_LARGE: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_TOKEN_MALFORMED: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_HEADER_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_TYPE_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_ALGORITHM_NOT_ALLOWED: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_KEY_NOT_FOUND: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_SIGNATURE_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_ISSUER_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_AUDIENCE_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_TOKEN_EXPIRED: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_TOKEN_NOT_YET_VALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_CLAIM_MISSING: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_CLAIM_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_INSUFFICIENT_SCOPE: { statusCode: 403, oauthError: 'insufficient_scope' },
  VERIFIER_ERR_DPOP_PROOF_INVALID: { statusCode: 401, oauthError: 'invalid_dpop_proof' },
  VERIFIER_ERR_DPOP_NONCE_REQUIRED: { statusCode: 401, oauthError: 'use_dpop_nonce' },
  VERIFIER_ERR_DPOP_BINDING_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_TOKEN_REVOKED: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_STATUS_INVALID: { statusCode: 401, oauthError: 'invalid_token' },
  VERIFIER_ERR_JWKS_UNAVAILABLE: { statusCode: 503, oauthError: undefined },
  VERIFIER_ERR_STATUS_UNAVAILABLE: { statusCode: 503, oauthError: undefined },
  VERIFIER_ERR_DPOP_REPLAY_UNAVAILABLE: { statusCode: 503, oauthError: undefined },
  VERIFIER_ERR_INVALID_OPTIONS: { statusCode: 500, oauthError: undefined },
} as const satisfies Record<string, CodeSpec>

/**
 * Union of every stable error code.
 *
 * @example
 * ```ts
 * if (err.code === ('VERIFIER_ERR_TOKEN_EXPIRED' satisfies VerifierErrorCode)) refresh()
 * ```
 */
export type VerifierErrorCode = keyof typeof ERROR_CODES

/**
 * Base class of every error the verifier throws.
 *
 * @example
 * ```ts
 * try {
 *   await verifier.verify(token)
 * } catch (err) {
 *   if (err instanceof VerifierError && err.code === 'VERIFIER_ERR_TOKEN_EXPIRED') refresh()
 * }
 * ```
 */
export class VerifierError extends Error {
  readonly code: VerifierErrorCode
  readonly statusCode: number
  readonly oauthError: OAuthBearerError | undefined
  /** Text safe to show a client (no token content, no key material). */
  readonly description: string
  /** Seconds a client should wait before retrying (only for 503). */
  readonly retryAfter: number | undefined
  /** Scopes the route needs (only for `insufficient_scope`). */
  readonly scope: readonly string[] | undefined
  /** The scheme the request used, when it got that far: its challenge carries the error (RFC 9449 §7.1). */
  scheme: 'Bearer' | 'DPoP' | undefined
  /** A fresh nonce for the `DPoP-Nonce` header (only for `use_dpop_nonce`). */
  readonly nonce: string | undefined

  constructor(code: VerifierErrorCode, description: string, extra: VerifierErrorExtra = {}) {
    super(description, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.name = 'VerifierError'
    this.code = code
    this.statusCode = ERROR_CODES[code].statusCode
    this.oauthError = ERROR_CODES[code].oauthError
    this.description = description
    this.retryAfter = extra.retryAfter
    this.scope = extra.scope
    this.scheme = extra.scheme
    this.nonce = extra.nonce
  }
}

interface VerifierErrorExtra {
  cause?: unknown
  retryAfter?: number
  scope?: readonly string[]
  scheme?: 'Bearer' | 'DPoP'
  nonce?: string
}

/**
 * Shorthand constructor used across the package.
 *
 * @example
 * ```ts
 * throw verifierError('VERIFIER_ERR_AUDIENCE_INVALID', 'The token is not meant for this API')
 * ```
 */
export function verifierError(
  code: VerifierErrorCode,
  description: string,
  extra?: VerifierErrorExtra,
): VerifierError {
  return new VerifierError(code, description, extra)
}
