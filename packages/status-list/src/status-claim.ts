import { statusListError } from './errors.js'
import { parseStatusListUri } from './uri.js'

/** A referenced token's pointer into a status list (draft §6.2 `status.status_list`). */
export interface StatusListReference {
  /** Index of the token's entry in the list. */
  idx: number
  /** The status list token's URI, exactly as the token carries it (compare it with the list's `sub` as is). */
  uri: string
  /** Origin of `uri` (`https://host[:port]`), for an allowlist of where lists may be fetched from. */
  origin: string
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

// Every token of an issuer names one of a few list URIs, and parsing a URL is most of what reading the claim costs
// (about 3 µs of the ~200 µs a verified request takes): each URI's verdict is remembered. Bounded and cleared when
// full, so made-up URIs cost no more than the parse they would have cost anyway.
const MAX_URIS = 256
const origins = new Map<string, string | null>()

function originOf(uri: unknown): string | undefined {
  if (typeof uri !== 'string') return undefined
  let origin = origins.get(uri)
  if (origin === undefined) {
    origin = parseStatusListUri(uri)?.origin ?? null
    if (origins.size >= MAX_URIS) origins.clear()
    origins.set(uri, origin)
  }
  return origin ?? undefined
}

/**
 * Reads the `status.status_list` claim of a verified referenced token (draft §6.2, §8.3 step 1): `idx` a
 * non-negative integer, `uri` an absolute `https:`/`http:` URI without credentials or fragment. Returns
 * `undefined` when the token has no `status` claim, or a `status` naming only other mechanisms (§6.1): whether
 * that is acceptable is the caller's policy.
 *
 * @example
 * ```ts
 * const ref = readStatusClaim(claims)
 * if (ref === undefined) return requireStatus ? reject() : accept()
 * if (!allowedOrigins.has(ref.origin)) reject()
 * const list = await lists.get(ref.uri)
 * ```
 * @throws {StatusListError} `STATUS_LIST_ERR_STATUS_CLAIM_INVALID`
 */
export function readStatusClaim(claims: Readonly<Record<string, unknown>>): StatusListReference | undefined {
  const status = claims.status
  if (status === undefined) return undefined
  if (!isObject(status)) {
    throw statusListError('STATUS_LIST_ERR_STATUS_CLAIM_INVALID', 'The status claim must be a JSON object')
  }
  const statusList = status.status_list
  if (statusList === undefined) return undefined
  if (!isObject(statusList)) {
    throw statusListError('STATUS_LIST_ERR_STATUS_CLAIM_INVALID', 'status.status_list must be a JSON object')
  }
  const { idx, uri } = statusList
  if (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0) {
    throw statusListError(
      'STATUS_LIST_ERR_STATUS_CLAIM_INVALID',
      'status.status_list.idx must be a non-negative integer',
    )
  }
  const origin = originOf(uri)
  if (origin === undefined) {
    throw statusListError(
      'STATUS_LIST_ERR_STATUS_CLAIM_INVALID',
      'status.status_list.uri must be an absolute http(s) URI without credentials or fragment',
    )
  }
  return { idx, uri: uri as string, origin }
}
