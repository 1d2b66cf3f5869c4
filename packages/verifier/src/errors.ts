/**
 * Every failure the verifier can report, each with a stable code, the HTTP status it maps to and the
 * OAuth error of RFC 6750 §3.1. `switch (err.code)` narrows; `err.description` is safe to send to clients.
 */

/** OAuth bearer error codes (RFC 6750 §3.1); `undefined` means "no credentials were sent" (§3.1, last paragraph). */
export type OAuthBearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

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
  VERIFIER_ERR_JWKS_UNAVAILABLE: { statusCode: 503, oauthError: undefined },
  VERIFIER_ERR_INVALID_OPTIONS: { statusCode: 500, oauthError: undefined },
} as const satisfies Record<string, CodeSpec>

/** Union of every stable error code. */
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

  constructor(
    code: VerifierErrorCode,
    description: string,
    extra: { cause?: unknown; retryAfter?: number; scope?: readonly string[] } = {},
  ) {
    super(description, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.name = 'VerifierError'
    this.code = code
    this.statusCode = ERROR_CODES[code].statusCode
    this.oauthError = ERROR_CODES[code].oauthError
    this.description = description
    this.retryAfter = extra.retryAfter
    this.scope = extra.scope
  }
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
  extra?: { cause?: unknown; retryAfter?: number; scope?: readonly string[] },
): VerifierError {
  return new VerifierError(code, description, extra)
}

// RFC 6750 §3: error_description may only hold %x20-21 / %x23-5B / %x5D-7E (printable ASCII without `"` and `\`).
function sanitizeDescription(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, (c) => (c === '"' ? "'" : c === '\\' ? '/' : '?'))
}

// RFC 7235 §2.2 quoted-string: escape `"` and `\` with a backslash; control characters are dropped.
function quote(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  return `"${value.replace(/[\x00-\x1F\x7F]/g, '').replace(/["\\]/g, '\\$&')}"`
}

// RFC 6750 §3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces.
function scopeValue(scopes: readonly string[]): string {
  return scopes.filter((s) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)).join(' ')
}

/**
 * Builds the `WWW-Authenticate` value for a failure, following RFC 6750 §3 exactly.
 * Returns `undefined` when no challenge belongs in the answer (503: the server, not the token, failed).
 *
 * @example
 * ```ts
 * wwwAuthenticate(err, { realm: 'orders-api' })
 * // Bearer realm="orders-api", error="invalid_token", error_description="The token has expired"
 * ```
 */
export function wwwAuthenticate(
  error: VerifierError,
  options: { realm?: string; scope?: readonly string[] } = {},
): string | undefined {
  if (error.statusCode >= 500) return undefined
  const params: string[] = []
  if (options.realm !== undefined) params.push(`realm=${quote(options.realm)}`)
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error attribute.
  if (error.oauthError !== undefined) {
    params.push(`error="${error.oauthError}"`)
    params.push(`error_description="${sanitizeDescription(error.description)}"`)
  }
  const scope = error.scope ?? options.scope
  if (scope !== undefined && scope.length > 0 && error.oauthError === 'insufficient_scope') {
    params.push(`scope="${scopeValue(scope)}"`)
  }
  return params.length > 0 ? `Bearer ${params.join(', ')}` : 'Bearer'
}

/** Everything an adapter needs to answer a failed request. */
export interface ErrorResponse {
  statusCode: number
  headers: Record<string, string>
  body: { error: string; error_description: string }
}

/**
 * Turns any error into the full HTTP answer: status, `WWW-Authenticate`/`Retry-After`, and the
 * `{ error, error_description }` JSON body (RFC 6749 §5.2 shape). Unknown errors become 503 or 401, never 500.
 *
 * @example
 * ```ts
 * const { statusCode, headers, body } = errorResponse(err, { realm: 'orders-api' })
 * res.writeHead(statusCode, headers).end(JSON.stringify(body))
 * ```
 */
export function errorResponse(
  err: unknown,
  options: { realm?: string; scope?: readonly string[] } = {},
): ErrorResponse {
  const error = mapError(err)
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
  const challenge = wwwAuthenticate(error, options)
  if (challenge !== undefined) headers['www-authenticate'] = challenge
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter)
  const oauth = error.oauthError ?? (error.statusCode === 401 ? 'invalid_request' : 'temporarily_unavailable')
  return {
    statusCode: error.statusCode,
    headers,
    body: { error: oauth, error_description: sanitizeDescription(error.description) },
  }
}

interface ForeignError {
  code?: unknown
  message?: unknown
  name?: unknown
  claim?: unknown
  originalError?: unknown
}

function claimCode(message: string): VerifierErrorCode {
  if (/\biss\b/.test(message)) return 'VERIFIER_ERR_ISSUER_INVALID'
  if (/\baud\b/.test(message)) return 'VERIFIER_ERR_AUDIENCE_INVALID'
  return 'VERIFIER_ERR_CLAIM_INVALID'
}

// fast-jwt's TokenError codes (also what @fastify/jwt passes through unchanged).
function fromFastJwt(code: string, message: string, original: unknown): VerifierError | undefined {
  switch (code) {
    case 'FAST_JWT_MALFORMED':
    case 'FAST_JWT_INVALID_PAYLOAD':
      return verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token is malformed')
    case 'FAST_JWT_INVALID_TYPE':
      return message === 'Invalid typ.'
        ? verifierError('VERIFIER_ERR_TYPE_INVALID', 'The token type (typ) must be at+jwt')
        : verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token is malformed')
    case 'FAST_JWT_INVALID_ALGORITHM':
    case 'FAST_JWT_INVALID_KEY':
      return verifierError(
        'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
        'The token algorithm is not allowed for its key',
      )
    case 'FAST_JWT_MISSING_SIGNATURE':
    case 'FAST_JWT_INVALID_SIGNATURE':
    case 'FAST_JWT_VERIFY_ERROR':
      return verifierError('VERIFIER_ERR_SIGNATURE_INVALID', 'The token signature is invalid')
    case 'FAST_JWT_INVALID_CRIT_HEADER':
      return verifierError('VERIFIER_ERR_HEADER_INVALID', 'The token has an unsupported critical header')
    case 'FAST_JWT_EXPIRED':
      return verifierError('VERIFIER_ERR_TOKEN_EXPIRED', 'The access token has expired')
    case 'FAST_JWT_INACTIVE':
      return verifierError('VERIFIER_ERR_TOKEN_NOT_YET_VALID', 'The access token is not valid yet')
    case 'FAST_JWT_MISSING_REQUIRED_CLAIM': {
      const claim = /The (\w+) claim is required/.exec(message)?.[1] ?? 'a required'
      return verifierError('VERIFIER_ERR_CLAIM_MISSING', `The token lacks the ${claim} claim`)
    }
    case 'FAST_JWT_INVALID_CLAIM_TYPE':
    case 'FAST_JWT_INVALID_CLAIM_VALUE': {
      const mapped = claimCode(message)
      if (mapped === 'VERIFIER_ERR_ISSUER_INVALID')
        return verifierError(mapped, 'The token issuer is not trusted')
      if (mapped === 'VERIFIER_ERR_AUDIENCE_INVALID')
        return verifierError(mapped, 'The token is not meant for this audience')
      return verifierError(mapped, 'The token has an invalid claim')
    }
    case 'FAST_JWT_MISSING_KEY':
      return verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'No key is known for this token')
    case 'FAST_JWT_KEY_FETCHING_ERROR':
      return original === undefined
        ? verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded', {
            retryAfter: 30,
          })
        : mapError(original)
    default:
      return undefined
  }
}

// @fastify/jwt wraps some fast-jwt errors in its own FST_JWT_* errors, keeping only the message.
function fromFastifyJwt(code: string, message: string): VerifierError | undefined {
  switch (code) {
    case 'FST_JWT_NO_AUTHORIZATION_IN_HEADER':
      return verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'No access token was sent')
    case 'FST_JWT_BAD_REQUEST':
      return verifierError('VERIFIER_ERR_INVALID_REQUEST', 'The Authorization header is malformed')
    case 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED':
      return verifierError('VERIFIER_ERR_TOKEN_EXPIRED', 'The access token has expired')
    case 'FST_JWT_AUTHORIZATION_TOKEN_UNTRUSTED':
      return verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The access token is not trusted')
    case 'FST_JWT_AUTHORIZATION_TOKEN_INVALID': {
      if (/signature/i.test(message)) return fromFastJwt('FAST_JWT_INVALID_SIGNATURE', message, undefined)
      if (/claim is required/.test(message))
        return fromFastJwt('FAST_JWT_MISSING_REQUIRED_CLAIM', message, undefined)
      if (/claim/.test(message)) return fromFastJwt('FAST_JWT_INVALID_CLAIM_VALUE', message, undefined)
      if (/key/i.test(message)) return fromFastJwt('FAST_JWT_INVALID_KEY', message, undefined)
      return fromFastJwt('FAST_JWT_MALFORMED', message, undefined)
    }
    default:
      return undefined
  }
}

// get-jwks' GetJwksError codes.
function fromGetJwks(code: string): VerifierError | undefined {
  switch (code) {
    case 'JWK_NOT_FOUND':
      return verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'No key is known for this token')
    case 'DOMAIN_NOT_ALLOWED':
      return verifierError('VERIFIER_ERR_ISSUER_INVALID', 'The token issuer is not trusted')
    case 'JWKS_REQUEST_FAILED':
    case 'NO_JWKS':
    case 'NO_JWKS_URI':
    case 'OPENID_CONFIGURATION_REQUEST_FAILED':
      return verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded', {
        retryAfter: 30,
      })
    default:
      return undefined
  }
}

// jose's JOSEError codes (ERR_JWT_CLAIM_VALIDATION_FAILED carries the failing claim).
function fromJose(code: string, claim: unknown): VerifierError | undefined {
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return verifierError('VERIFIER_ERR_TOKEN_EXPIRED', 'The access token has expired')
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf' || claim === 'iat')
        return verifierError('VERIFIER_ERR_TOKEN_NOT_YET_VALID', 'The access token is not valid yet')
      if (claim === 'typ')
        return verifierError('VERIFIER_ERR_TYPE_INVALID', 'The token type (typ) must be at+jwt')
      return fromFastJwt('FAST_JWT_INVALID_CLAIM_VALUE', `${String(claim)} claim`, undefined)
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return verifierError('VERIFIER_ERR_SIGNATURE_INVALID', 'The token signature is invalid')
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return verifierError(
        'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
        'The token algorithm is not allowed for its key',
      )
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'No key is known for this token')
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded', {
        retryAfter: 30,
      })
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token is malformed')
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
  const code = typeof e.code === 'string' ? e.code : ''
  const message = typeof e.message === 'string' ? e.message : ''
  let mapped: VerifierError | undefined
  if (code.startsWith('FAST_JWT_')) mapped = fromFastJwt(code, message, e.originalError)
  else if (code.startsWith('FST_JWT_')) mapped = fromFastifyJwt(code, message)
  else if (code.startsWith('ERR_J')) mapped = fromJose(code, e.claim)
  else if (e.name === 'GetJwksError') mapped = fromGetJwks(code)
  else if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    mapped = verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded', {
      retryAfter: 30,
    })
  }
  if (mapped === undefined) {
    return verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token could not be verified', {
      cause: err,
    })
  }
  if (mapped.cause === undefined && err !== undefined) {
    Object.defineProperty(mapped, 'cause', { value: err, enumerable: false, configurable: true })
  }
  return mapped
}
