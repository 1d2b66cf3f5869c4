// The HTTP answer to a failure: status, `WWW-Authenticate` (RFC 6750 §3) and the OAuth JSON body.
import type { VerifierError } from './errors.js'
import { mapError } from './map-error.js'

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
 * Which challenges an answer carries: `dpop` names the verifier's DPoP mode and proof algorithms (the adapters pass
 * their verifier's); without it, only `Bearer`.
 *
 * @example
 * ```ts
 * const options: ChallengeOptions = { realm: 'orders-api', dpop: { mode: 'allowed', algorithms: ['ES256'] } }
 * ```
 */
export interface ChallengeOptions {
  realm?: string
  scope?: readonly string[]
  dpop?: { mode: 'disabled' | 'allowed' | 'required'; algorithms: readonly string[] }
}

/**
 * Builds the `WWW-Authenticate` value for a failure: RFC 6750 §3 for `Bearer`, RFC 9449 §7.1 for `DPoP` (with
 * `algs`). Where both schemes are accepted both challenges are sent, the error attributes on the one the request
 * used. Returns `undefined` when no challenge belongs in the answer (503: the server, not the token, failed).
 *
 * @example
 * ```ts
 * wwwAuthenticate(err, { realm: 'orders-api' })
 * // Bearer realm="orders-api", error="invalid_token", error_description="The token has expired"
 * wwwAuthenticate(proofErr, { realm: 'orders-api', dpop: { mode: 'allowed', algorithms: ['ES256'] } })
 * // Bearer realm="orders-api", DPoP realm="orders-api", algs="ES256", error="invalid_dpop_proof", error_description="…"
 * ```
 */
export function wwwAuthenticate(error: VerifierError, options: ChallengeOptions = {}): string | undefined {
  if (error.statusCode >= 500) return undefined
  const mode = options.dpop?.mode ?? 'disabled'
  // The scheme that gets the error: the one the request used, or the only one accepted.
  const failed = mode === 'required' ? 'DPoP' : mode === 'disabled' ? 'Bearer' : (error.scheme ?? 'Bearer')
  const challenge = (scheme: 'Bearer' | 'DPoP'): string => {
    const params: string[] = []
    if (options.realm !== undefined) params.push(`realm=${quote(options.realm)}`)
    if (scheme === 'DPoP') params.push(`algs="${(options.dpop?.algorithms ?? []).join(' ')}"`)
    // RFC 6750 §3.1: a request without credentials gets a challenge without an error attribute.
    if (scheme === failed && error.oauthError !== undefined) {
      params.push(`error="${error.oauthError}"`)
      params.push(`error_description="${sanitizeDescription(error.description)}"`)
      const scope = error.scope ?? options.scope
      if (scope !== undefined && scope.length > 0 && error.oauthError === 'insufficient_scope') {
        params.push(`scope="${scopeValue(scope)}"`)
      }
    }
    return params.length > 0 ? `${scheme} ${params.join(', ')}` : scheme
  }
  if (mode === 'disabled') return challenge('Bearer')
  if (mode === 'required') return challenge('DPoP')
  return `${challenge('Bearer')}, ${challenge('DPoP')}`
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
export function errorResponse(err: unknown, options: ChallengeOptions = {}): ErrorResponse {
  const error = mapError(err)
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
  const challenge = wwwAuthenticate(error, options)
  if (challenge !== undefined) headers['www-authenticate'] = challenge
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter)
  // RFC 9449 §9: the nonce the client must put in its next proof.
  if (error.nonce !== undefined) headers['dpop-nonce'] = error.nonce
  const oauth = error.oauthError ?? (error.statusCode === 401 ? 'invalid_request' : 'temporarily_unavailable')
  return {
    statusCode: error.statusCode,
    headers,
    body: { error: oauth, error_description: sanitizeDescription(error.description) },
  }
}
