import { verifierError } from './errors.js'

/**
 * The claims of a JWT access token (RFC 9068 §2.2). Every field marked required has been checked to be present
 * and of the right type before a verifier hands the object out.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = await verifier.verify(token)
 * console.log(claims.sub, claims.client_id, claims.scope)
 * ```
 */
export interface AccessTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  jti: string
  client_id: string
  /** Space-separated scopes (RFC 8693 §4.2 / RFC 9068 §2.2.3). Use {@link getScopes} to read it as a list. */
  scope?: string
  auth_time?: number
  nbf?: number
  [claim: string]: unknown
}

/**
 * RFC 9068 §2.2: the claims an access token must carry.
 *
 * @example
 * ```ts
 * RFC9068_REQUIRED_CLAIMS.includes('client_id') // true
 * ```
 */
export const RFC9068_REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const

/**
 * The token's scopes as a list (RFC 6749 §3.3: space-delimited, case-sensitive).
 *
 * @example
 * ```ts
 * getScopes({ ...claims, scope: 'orders:read orders:write' }) // ['orders:read', 'orders:write']
 * ```
 */
export function getScopes(claims: Pick<AccessTokenClaims, 'scope'>): string[] {
  return typeof claims.scope === 'string' ? claims.scope.split(' ').filter((s) => s.length > 0) : []
}

/**
 * True when the token grants every one of `required`.
 *
 * @example
 * ```ts
 * if (!hasScopes(request.auth, ['orders:read'])) reply.code(403)
 * ```
 */
export function hasScopes(claims: Pick<AccessTokenClaims, 'scope'>, required: readonly string[]): boolean {
  if (required.length === 0) return true
  const granted = getScopes(claims)
  return required.every((s) => granted.includes(s))
}

/**
 * Throws a 403 `insufficient_scope` error (RFC 6750 §3.1) naming the scopes the route needs.
 *
 * @example
 * ```ts
 * assertScopes(claims, ['orders:write'])
 * ```
 */
export function assertScopes(claims: Pick<AccessTokenClaims, 'scope'>, required: readonly string[]): void {
  if (!hasScopes(claims, required)) {
    throw verifierError(
      'VERIFIER_ERR_INSUFFICIENT_SCOPE',
      `This request needs the scope ${required.join(' ')}`,
      {
        scope: required,
      },
    )
  }
}

const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0
const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * Checks what fast-jwt does not: the types RFC 9068 §2.2 gives the claims, and that `iat` is not in the future
 * (RFC 7519 §4.1.6 leaves it to us; a token "issued" later than now was minted by a skewed or hostile clock).
 * Presence, `iss`, `aud`, `exp` and `nbf` were already checked by the signature verifier.
 */
export function checkClaimTypes(payload: Record<string, unknown>, nowMs: number, toleranceMs: number): void {
  for (const name of ['sub', 'client_id', 'jti'] as const) {
    if (!isNonEmptyString(payload[name])) {
      throw verifierError('VERIFIER_ERR_CLAIM_INVALID', `The ${name} claim must be a non-empty string`)
    }
  }
  if (!isNumericDate(payload.exp) || !isNumericDate(payload.iat)) {
    throw verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The exp and iat claims must be numbers')
  }
  if (payload.iat * 1000 > nowMs + toleranceMs) {
    throw verifierError('VERIFIER_ERR_TOKEN_NOT_YET_VALID', 'The token was issued in the future')
  }
  if (payload.scope !== undefined && typeof payload.scope !== 'string') {
    throw verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The scope claim must be a string')
  }
  if (payload.auth_time !== undefined && !isNumericDate(payload.auth_time)) {
    throw verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The auth_time claim must be a number')
  }
}
