/**
 * Every failure this package reports, each with a stable code. `switch (err.code)` narrows; `err.message` is safe
 * to show (it never contains the list or a token). The package speaks no HTTP: whether a failure is a 401 (a bad
 * `status` claim in an access token), a 503 (a status list that cannot be used) or a bug (an issuer setting a
 * status that does not fit) depends on who called, so the caller maps the code.
 */

/**
 * The stable error codes, one line each.
 *
 * @example
 * ```ts
 * import { STATUS_LIST_ERROR_CODES } from '@stateless-auth/status-list'
 * STATUS_LIST_ERROR_CODES.includes(err.code) // true for every StatusListError
 * ```
 */
export const STATUS_LIST_ERROR_CODES = [
  /** `bits` is not 1, 2, 4 or 8 (draft §4.1 step 1). */
  'STATUS_LIST_ERR_BITS_INVALID',
  /** A list size that is not a positive safe integer, or would exceed the byte limit. */
  'STATUS_LIST_ERR_SIZE_INVALID',
  /** An index that is not a non-negative safe integer. */
  'STATUS_LIST_ERR_INDEX_INVALID',
  /** An index at or past the end of the list (draft §8.3: no statement can be made; reject). */
  'STATUS_LIST_ERR_INDEX_OUT_OF_RANGE',
  /** A status value that is not an integer that fits in `bits`. */
  'STATUS_LIST_ERR_STATUS_INVALID',
  /** `lst` is not a canonical unpadded base64url string. */
  'STATUS_LIST_ERR_LST_MALFORMED',
  /** `lst` is base64url but not one complete ZLIB (RFC 1950) stream, or it inflates to nothing. */
  'STATUS_LIST_ERR_LST_CORRUPT',
  /** `lst` inflates past the configured maximum (a zlib bomb, or a list larger than this consumer accepts). */
  'STATUS_LIST_ERR_LST_TOO_LARGE',
  /** A status list token claim is missing. */
  'STATUS_LIST_ERR_CLAIM_MISSING',
  /** A status list token claim has the wrong type or an impossible value. */
  'STATUS_LIST_ERR_CLAIM_INVALID',
  /** The status list token's `sub` is not the URI it was fetched from (draft §8.3 step 4a). */
  'STATUS_LIST_ERR_SUBJECT_MISMATCH',
  /** The status list token's `exp` has passed. */
  'STATUS_LIST_ERR_TOKEN_EXPIRED',
  /** The status list token's `iat` or `nbf` is in the future. */
  'STATUS_LIST_ERR_TOKEN_NOT_YET_VALID',
  /** `ttl` is not a number within the consumer's bounds (draft §11.5). */
  'STATUS_LIST_ERR_TTL_INVALID',
  /** A referenced token's `status.status_list` is not `{ idx, uri }` as draft §6.2 requires. */
  'STATUS_LIST_ERR_STATUS_CLAIM_INVALID',
] as const

/**
 * Union of every stable error code.
 *
 * @example
 * ```ts
 * const code: StatusListErrorCode = 'STATUS_LIST_ERR_LST_TOO_LARGE'
 * ```
 */
export type StatusListErrorCode = (typeof STATUS_LIST_ERROR_CODES)[number]

/**
 * The one error class of this package.
 *
 * @example
 * ```ts
 * try {
 *   StatusList.decode(lst, 1)
 * } catch (err) {
 *   if (err instanceof StatusListError && err.code === 'STATUS_LIST_ERR_LST_TOO_LARGE') alert()
 * }
 * ```
 */
export class StatusListError extends Error {
  readonly code: StatusListErrorCode

  constructor(code: StatusListErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StatusListError'
    this.code = code
  }
}

export function statusListError(
  code: StatusListErrorCode,
  message: string,
  options?: { cause?: unknown },
): StatusListError {
  return new StatusListError(code, message, options)
}
