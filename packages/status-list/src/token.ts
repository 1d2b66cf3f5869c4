import { statusListError } from './errors.js'
import { type DecodeOptions, StatusList } from './status-list.js'
import type { StatusListBits } from './status-types.js'
import { parseStatusListUri } from './uri.js'

/**
 * JOSE header `typ` of a status list token (draft §5.1).
 *
 * @example
 * ```ts
 * await new SignJWT(claims).setProtectedHeader({ alg, kid, typ: STATUS_LIST_JWT_TYP }).sign(key)
 * ```
 */
export const STATUS_LIST_JWT_TYP = 'statuslist+jwt'

/**
 * Media type of a status list token response and of the `Accept` header asking for one (draft §8.1, §8.2).
 *
 * @example
 * ```ts
 * reply.type(STATUS_LIST_JWT_MEDIA_TYPE).send(jwt)
 * ```
 */
export const STATUS_LIST_JWT_MEDIA_TYPE = 'application/statuslist+jwt'

/**
 * RFC 8414 metadata name under which an authorization server advertises its Status List Aggregation (draft §9.1,
 * §14.6), the only discovery the draft defines.
 *
 * @example
 * ```ts
 * metadata[STATUS_LIST_AGGREGATION_METADATA] = `${issuer}/statuslists`
 * ```
 */
export const STATUS_LIST_AGGREGATION_METADATA = 'status_list_aggregation_endpoint'

/** Default upper bound on `ttl` accepted by {@link readStatusListClaims}: one day, in seconds. */
export const DEFAULT_MAX_TTL = 86_400
/** Default lower bound on `ttl` accepted by {@link readStatusListClaims}, in seconds. */
export const DEFAULT_MIN_TTL = 1

/** The JWT Claims Set of a status list token (draft §5.1). */
export interface StatusListTokenClaims {
  /** The URI the token is served at; equal to the referenced tokens' `status.status_list.uri`. */
  sub: string
  iat: number
  exp?: number
  ttl?: number
  status_list: { bits: StatusListBits; lst: string }
  [claim: string]: unknown
}

/** Input of {@link statusListTokenClaims}; times are NumericDates (whole seconds). */
export interface StatusListTokenInput {
  /** The URI the token will be served at. */
  sub: string
  iat: number
  exp: number
  /** Seconds a consumer may cache the token (draft §13.7). */
  ttl: number
  list: StatusList
}

/**
 * The payload of a status list token (draft §5.1), ready to sign with header `typ: statuslist+jwt`. `exp` and
 * `ttl` are only RECOMMENDED by the draft; this issuer always sends both, so a consumer never has to guess.
 *
 * @example
 * ```ts
 * const now = Math.floor(Date.now() / 1000)
 * const claims = statusListTokenClaims({ sub: uri, iat: now, exp: now + 300, ttl: 30, list })
 * // { sub, iat, exp, ttl, status_list: { bits: 1, lst: 'eNrt…' } }
 * ```
 * @throws {StatusListError} `STATUS_LIST_ERR_CLAIM_INVALID`
 */
export function statusListTokenClaims(input: StatusListTokenInput): StatusListTokenClaims {
  if (parseStatusListUri(input.sub) === undefined) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'sub must be an absolute http(s) URI')
  }
  if (!Number.isSafeInteger(input.iat) || input.iat < 0) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'iat must be a NumericDate in whole seconds')
  }
  if (!Number.isSafeInteger(input.exp) || input.exp <= input.iat) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'exp must be a NumericDate after iat')
  }
  if (!Number.isSafeInteger(input.ttl) || input.ttl < 1) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'ttl must be a positive number of whole seconds')
  }
  if (!(input.list instanceof StatusList)) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'list must be a StatusList')
  }
  return {
    sub: input.sub,
    iat: input.iat,
    exp: input.exp,
    ttl: input.ttl,
    status_list: { bits: input.list.bits, lst: input.list.encode() },
  }
}

/** Options of {@link readStatusListClaims}. */
export interface ReadStatusListClaimsOptions extends DecodeOptions {
  /** The URI the token was fetched from, i.e. the referenced token's `status.status_list.uri`. */
  uri: string
  /** Current time in milliseconds since the epoch (as `Date.now()`). Default `Date.now()`. */
  now?: number
  /** Seconds of clock skew allowed on `iat`, `nbf` and `exp`. Default 5 (as the verifier's `clockTolerance`). */
  clockTolerance?: number
  /** Smallest `ttl` accepted, in seconds. Default {@link DEFAULT_MIN_TTL}. */
  minTtl?: number
  /** Largest `ttl` accepted, in seconds. Default {@link DEFAULT_MAX_TTL}. */
  maxTtl?: number
}

/** What {@link readStatusListClaims} found in a valid status list token. */
export interface StatusListTokenContent {
  list: StatusList
  /** NumericDate (seconds). */
  iat: number
  /** NumericDate (seconds), when the token has one. */
  exp: number | undefined
  /** Seconds, when the token has one. */
  ttl: number | undefined
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

/**
 * Checks the claims of a status list token whose signature and `typ` the caller has already verified (draft §8.3
 * steps 3–4, §11.5) and decodes its list. Only the claims are read here: key resolution and JWS verification stay
 * with the caller's JOSE code.
 *
 * - `sub` must equal `options.uri` exactly;
 * - `iat` is required and must not be in the future; `nbf`, if present, must have passed;
 * - `exp`, if present, must not have passed;
 * - `ttl`, if present, must be a number within `[minTtl, maxTtl]` (the draft asks clients to bound it, §11.5);
 * - `status_list.bits` and `status_list.lst` must decode (see {@link StatusList.decode}).
 *
 * @example
 * ```ts
 * const { payload } = await jwtVerify(jwt, jwks, { typ: STATUS_LIST_JWT_TYP })
 * const { list, ttl } = readStatusListClaims(payload, { uri: ref.uri })
 * if (list.get(ref.idx) !== StatusType.VALID) throw revoked()
 * ```
 * @throws {StatusListError} `STATUS_LIST_ERR_CLAIM_MISSING`, `STATUS_LIST_ERR_CLAIM_INVALID`,
 *   `STATUS_LIST_ERR_SUBJECT_MISMATCH`, `STATUS_LIST_ERR_TOKEN_EXPIRED`, `STATUS_LIST_ERR_TOKEN_NOT_YET_VALID`,
 *   `STATUS_LIST_ERR_TTL_INVALID`, and the errors of {@link StatusList.decode}
 */
export function readStatusListClaims(
  payload: unknown,
  options: ReadStatusListClaimsOptions,
): StatusListTokenContent {
  const nowMs = options.now ?? Date.now()
  const toleranceMs = (options.clockTolerance ?? 5) * 1000
  const minTtl = options.minTtl ?? DEFAULT_MIN_TTL
  const maxTtl = options.maxTtl ?? DEFAULT_MAX_TTL
  if (!Number.isFinite(nowMs) || !(toleranceMs >= 0) || !(minTtl > 0) || !(maxTtl >= minTtl)) {
    throw new RangeError('now, clockTolerance, minTtl and maxTtl must be finite, with 0 < minTtl <= maxTtl')
  }

  if (!isObject(payload)) {
    throw statusListError(
      'STATUS_LIST_ERR_CLAIM_INVALID',
      'The status list token payload is not a JSON object',
    )
  }
  const { sub, iat, nbf, exp, ttl, status_list: statusList } = payload

  if (sub === undefined) throw statusListError('STATUS_LIST_ERR_CLAIM_MISSING', 'The sub claim is missing')
  if (typeof sub !== 'string' || sub !== options.uri) {
    throw statusListError(
      'STATUS_LIST_ERR_SUBJECT_MISMATCH',
      'sub is not the URI the status list was fetched from',
    )
  }

  if (iat === undefined) throw statusListError('STATUS_LIST_ERR_CLAIM_MISSING', 'The iat claim is missing')
  if (!isNumericDate(iat)) throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'iat must be a NumericDate')
  if (iat * 1000 > nowMs + toleranceMs) {
    throw statusListError(
      'STATUS_LIST_ERR_TOKEN_NOT_YET_VALID',
      'The status list token was issued in the future',
    )
  }
  if (nbf !== undefined) {
    if (!isNumericDate(nbf))
      throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'nbf must be a NumericDate')
    if (nbf * 1000 > nowMs + toleranceMs) {
      throw statusListError('STATUS_LIST_ERR_TOKEN_NOT_YET_VALID', 'The status list token is not valid yet')
    }
  }
  if (exp !== undefined) {
    if (!isNumericDate(exp))
      throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'exp must be a NumericDate')
    // RFC 7519 §4.1.4: the current time must be before exp.
    if (nowMs >= exp * 1000 + toleranceMs) {
      throw statusListError('STATUS_LIST_ERR_TOKEN_EXPIRED', 'The status list token has expired')
    }
  }
  if (ttl !== undefined) {
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < minTtl || ttl > maxTtl) {
      throw statusListError(
        'STATUS_LIST_ERR_TTL_INVALID',
        `ttl must be a number of seconds from ${minTtl} to ${maxTtl}`,
      )
    }
  }

  if (statusList === undefined) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_MISSING', 'The status_list claim is missing')
  }
  if (!isObject(statusList)) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_INVALID', 'status_list must be a JSON object')
  }
  if (statusList.bits === undefined || statusList.lst === undefined) {
    throw statusListError('STATUS_LIST_ERR_CLAIM_MISSING', 'status_list needs both bits and lst')
  }
  if (typeof statusList.bits !== 'number' || typeof statusList.lst !== 'string') {
    throw statusListError(
      'STATUS_LIST_ERR_CLAIM_INVALID',
      'status_list.bits must be a number and lst a string',
    )
  }
  const decodeOptions = options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }
  const list = StatusList.decode(statusList.lst, statusList.bits, decodeOptions)

  return { list, iat, exp, ttl }
}
