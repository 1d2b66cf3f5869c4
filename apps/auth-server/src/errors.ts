import { ServiceError } from '@stateless-auth/service-kit/errors'

/**
 * Every error this server answers with, on the chassis' one error base (`ServiceError`, `@fastify/error`). OAuth
 * errors carry their RFC error code, HTTP status and a stable `code` (`AUTH_ERR_…`) so callers and tests can
 * `switch (err.code)`.
 */

/** A configuration (environment or clients file) that cannot start the server; thrown before anything listens. */
export { ConfigError } from '@stateless-auth/service-kit/config'

/** Key material that cannot be used (e.g. encrypted at rest but no `KEY_ENCRYPTION_SECRET`). */
export class KeyStoreError extends ServiceError {
  constructor(message: string) {
    super('AUTH_ERR_KEYSTORE', 500, 'server_error', message)
  }
}

/** RFC 6749 §5.2 error response: `{ error, error_description }` with the status the spec prescribes. */
export class OAuthError extends ServiceError {
  constructor(error: string, statusCode: number, description: string, headers: Record<string, string> = {}) {
    super(`AUTH_ERR_${error.toUpperCase()}`, statusCode, error, description, { headers })
  }
}

/**
 * An OAuth error class for one RFC error code and status, named after the code (`invalid_grant` → `InvalidGrant`).
 * Its constructor takes the description, then whatever `headers` needs to build the response headers.
 */
function oauthError<Args extends unknown[] = []>(
  error: string,
  statusCode: number,
  headers: (description: string, ...args: Args) => Record<string, string> = () => ({}),
) {
  const ErrorClass = class extends OAuthError {
    constructor(description: string, ...args: Args) {
      super(error, statusCode, description, headers(description, ...args))
    }
  }
  const name = error.replace(/(?:^|_)([a-z])/g, (_, letter: string) => letter.toUpperCase())
  return Object.defineProperty(ErrorClass, 'name', { value: name })
}

const retryAfter = (_description: string, seconds: number) => ({ 'retry-after': String(seconds) })

export const InvalidRequest = oauthError('invalid_request', 400)
/** RFC 6749 §5.2: 401 with `WWW-Authenticate` when the client tried HTTP Basic. */
export const InvalidClient = oauthError(
  'invalid_client',
  401,
  (_description, usedBasic: boolean = false): Record<string, string> =>
    usedBasic ? { 'www-authenticate': 'Basic realm="token"' } : {},
)
export const InvalidGrant = oauthError('invalid_grant', 400)
export const UnauthorizedClient = oauthError('unauthorized_client', 400)
export const UnsupportedGrantType = oauthError('unsupported_grant_type', 400)
export const InvalidScope = oauthError('invalid_scope', 400)
/** RFC 8707 §2: the requested resource is unknown or not allowed for this client. */
export const InvalidTarget = oauthError('invalid_target', 400)
export const AccessDenied = oauthError('access_denied', 403)
export const UnsupportedResponseType = oauthError('unsupported_response_type', 400)
export const LoginRequired = oauthError('login_required', 400)
export const ConsentRequired = oauthError('consent_required', 400)
/** RFC 6750 §3.1: bearer-token failures answer with `WWW-Authenticate: Bearer error="…"`. */
export const InvalidToken = oauthError('invalid_token', 401, (description) => ({
  'www-authenticate': `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
}))
export const Unauthorized = oauthError('unauthorized', 401, () => ({
  'www-authenticate': 'Bearer realm="admin"',
}))
export const NotFound = oauthError('not_found', 404)
export const TooManyRequests = oauthError('too_many_requests', 429, retryAfter)
/** RFC 6749 §4.1.2.1 `temporarily_unavailable`: the server cannot take the request now; retry shortly. */
export const TemporarilyUnavailable = oauthError('temporarily_unavailable', 503, retryAfter)
/** A signing-key rotation asked for while the previous new key is still pending publication (issue 12, item 2). */
export const RotationPending = oauthError('rotation_pending', 409, retryAfter)

/** RFC 6750 §3.1: the token is good but lacks `scope`. */
export class InsufficientScope extends OAuthError {
  constructor(scope: string) {
    super('insufficient_scope', 403, `the token lacks the ${scope} scope`, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
    })
  }
}
