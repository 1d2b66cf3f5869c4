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

/** What {@link checkClaims} compares the claims with. */
export interface ClaimRules {
  issuer: string
  audience: readonly string[]
  /** Claims that must be present: RFC 9068 §2.2's, plus any the resource server adds. */
  requiredClaims: readonly string[]
  clockToleranceMs: number
}

/**
 * The claims checks of RFC 9068 §4, on a payload whose signature holds: every required claim present, `iss` the
 * configured issuer exactly (RFC 8414 §3.3), `aud` naming one of our audiences, `exp` not passed and `nbf` reached
 * (RFC 7519 §4.1.4–4.1.5, within the clock tolerance), then the claim types ({@link checkClaimTypes}).
 *
 * @example
 * ```ts
 * const claims = checkClaims(payload, { issuer, audience: [aud], requiredClaims, clockToleranceMs: 5000 }, Date.now())
 * ```
 */
export function checkClaims(
  payload: Record<string, unknown>,
  rules: ClaimRules,
  nowMs: number,
): AccessTokenClaims {
  for (const name of rules.requiredClaims) {
    // Own properties only: `constructor` or `toString` must not count as present because every object inherits them.
    if (!Object.hasOwn(payload, name) || payload[name] === null) {
      throw verifierError('VERIFIER_ERR_CLAIM_MISSING', `The token lacks the ${name} claim`)
    }
  }
  if (payload.iss !== rules.issuer) {
    throw verifierError('VERIFIER_ERR_ISSUER_INVALID', 'The token issuer is not trusted')
  }
  // RFC 7519 §4.1.3: a StringOrURI or an array of them, one of which must be ours.
  const { aud } = payload
  const audiences = Array.isArray(aud) ? aud : [aud]
  if (!audiences.every((a) => typeof a === 'string')) {
    throw verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The aud claim must be a string or an array of strings')
  }
  if (!audiences.some((a) => rules.audience.includes(a as string))) {
    throw verifierError('VERIFIER_ERR_AUDIENCE_INVALID', 'The token is not meant for this audience')
  }
  if (!isNumericDate(payload.exp)) {
    throw verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The exp and iat claims must be numbers')
  }
  // RFC 7519 §4.1.4: the current time must be before exp.
  if (nowMs >= payload.exp * 1000 + rules.clockToleranceMs) {
    throw verifierError('VERIFIER_ERR_TOKEN_EXPIRED', 'The access token has expired')
  }
  if (payload.nbf !== undefined) {
    if (!isNumericDate(payload.nbf)) {
      throw verifierError('VERIFIER_ERR_CLAIM_INVALID', 'The nbf claim must be a number')
    }
    // RFC 7519 §4.1.5: the current time must be on or after nbf.
    if (nowMs + rules.clockToleranceMs < payload.nbf * 1000) {
      throw verifierError('VERIFIER_ERR_TOKEN_NOT_YET_VALID', 'The access token is not valid yet')
    }
  }
  checkClaimTypes(payload, nowMs, rules.clockToleranceMs)
  return payload as AccessTokenClaims
}

/**
 * The types RFC 9068 §2.2 gives the claims, and that `iat` is not in the future (RFC 7519 §4.1.6 leaves it to us; a
 * token "issued" later than now was minted by a skewed or hostile clock).
 */
function checkClaimTypes(payload: Record<string, unknown>, nowMs: number, toleranceMs: number): void {
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
