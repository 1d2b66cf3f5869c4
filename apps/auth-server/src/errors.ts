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

export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super('invalid_request', 400, description)
  }
}

/** RFC 6749 §5.2: 401 with `WWW-Authenticate` when the client tried HTTP Basic. */
export class InvalidClient extends OAuthError {
  constructor(description: string, usedBasic = false) {
    super('invalid_client', 401, description, usedBasic ? { 'www-authenticate': 'Basic realm="token"' } : {})
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string) {
    super('invalid_grant', 400, description)
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', 400, description)
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(description: string) {
    super('unsupported_grant_type', 400, description)
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', 400, description)
  }
}

/** RFC 8707 §2: the requested resource is unknown or not allowed for this client. */
export class InvalidTarget extends OAuthError {
  constructor(description: string) {
    super('invalid_target', 400, description)
  }
}

export class AccessDenied extends OAuthError {
  constructor(description: string) {
    super('access_denied', 403, description)
  }
}

export class UnsupportedResponseType extends OAuthError {
  constructor(description: string) {
    super('unsupported_response_type', 400, description)
  }
}

export class LoginRequired extends OAuthError {
  constructor(description: string) {
    super('login_required', 400, description)
  }
}

export class ConsentRequired extends OAuthError {
  constructor(description: string) {
    super('consent_required', 400, description)
  }
}

/** RFC 6750 §3.1: bearer-token failures answer with `WWW-Authenticate: Bearer error="…"`. */
export class InvalidToken extends OAuthError {
  constructor(description: string) {
    super('invalid_token', 401, description, {
      'www-authenticate': `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
    })
  }
}

export class InsufficientScope extends OAuthError {
  constructor(scope: string) {
    super('insufficient_scope', 403, `the token lacks the ${scope} scope`, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
    })
  }
}

export class Unauthorized extends OAuthError {
  constructor(description: string) {
    super('unauthorized', 401, description, { 'www-authenticate': 'Bearer realm="admin"' })
  }
}

export class NotFound extends OAuthError {
  constructor(description: string) {
    super('not_found', 404, description)
  }
}

export class TooManyRequests extends OAuthError {
  constructor(description: string, retryAfter: number) {
    super('too_many_requests', 429, description, { 'retry-after': String(retryAfter) })
  }
}

/** RFC 6749 §4.1.2.1 `temporarily_unavailable`: the server cannot take the request now; retry shortly. */
export class TemporarilyUnavailable extends OAuthError {
  constructor(description: string, retryAfter: number) {
    super('temporarily_unavailable', 503, description, { 'retry-after': String(retryAfter) })
  }
}

/** A signing-key rotation asked for while the previous new key is still pending publication (issue 12, item 2). */
export class RotationPending extends OAuthError {
  constructor(description: string, retryAfter: number) {
    super('rotation_pending', 409, description, { 'retry-after': String(retryAfter) })
  }
}
