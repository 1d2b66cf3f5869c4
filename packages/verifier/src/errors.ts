/**
 * Every failure the verifier can report, each with a stable code, the HTTP status it maps to and the
 * OAuth error of RFC 6750 §3.1. `switch (err.code)` narrows; `err.description` is safe to send to clients.
 */

/**
 * OAuth bearer error codes (RFC 6750 §3.1); `undefined` means "no credentials were sent" (§3.1, last paragraph).
 *
 * @example
 * ```ts
 * const e: OAuthBearerError | undefined = err.oauthError
 * ```
 */
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

// RFC 7235 §2.2 quoted-string: escape `"` and `\` with a backslash; control characters are dropped, and anything
// beyond ASCII becomes `?` (obs-text is obsolete, and node:http throws on characters above U+00FF).
function quote(value: string): string {
  const text = value
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\x00-\x1F\x7F]/g, '')
    .replace(/[^\x20-\x7E]/g, '?')
    .replace(/["\\]/g, '\\$&')
  return `"${text}"`
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

/**
 * Everything an adapter needs to answer a failed request.
 *
 * @example
 * ```ts
 * const answer: ErrorResponse = errorResponse(err, { realm: 'api' })
 * ```
 */
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
