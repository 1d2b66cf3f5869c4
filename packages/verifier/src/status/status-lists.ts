import {
  readStatusClaim,
  readStatusListClaims,
  STATUS_LIST_JWT_MEDIA_TYPE,
  STATUS_LIST_JWT_TYP,
  type StatusList,
  StatusListError,
  type StatusListReference,
  StatusType,
} from '@stateless-auth/status-list'
import { type VerifierError, verifierError } from '../errors.js'
import { decodeSegment, type SignatureCheck, splitCompact } from '../jws.js'
import { readCapped } from '../keys/fetch-json.js'
import type { JwksCache } from '../keys/jwks-cache.js'
import type { ResolvedOptions, ResolvedStatus, SupportedAlgorithm, VerifierEvent } from '../options.js'

/** What the token cache keeps of a token's `status` claim: checked against the current list on every use. */
export type StatusRef = StatusListReference

interface ListEntry {
  list: StatusList | undefined
  etag: string | undefined
  /** The held list token's `exp` (ms), if it has one: a 304 never stretches a list past it. */
  expAt: number
  /** ms until which the list is fresh (when the fetch that brought it was sent + ttl, never past exp). */
  freshUntil: number
  /** ms until which the list may still answer when it cannot be refetched (freshUntil + maxStale). */
  staleUntil: number
  ttlMs: number
  lastAttempt: number
  /** When the last fetch failed (ms): the next one waits `minRefetchInterval` after it. */
  failedAt: number
  inflight: Promise<void> | undefined
}

export interface StatusListsHooks {
  emit: (event: VerifierEvent) => void
  onFetch: () => void
}

const MIN_GAP_MS = 1000

const revoked = () => verifierError('VERIFIER_ERR_TOKEN_REVOKED', 'The access token has been revoked')

function invalidStatus(description: string, cause?: unknown): VerifierError {
  return verifierError('VERIFIER_ERR_STATUS_INVALID', description, cause === undefined ? {} : { cause })
}

function isListTyp(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === STATUS_LIST_JWT_TYP
}

/**
 * Status lists (draft-ietf-oauth-status-list) by URI, fetched only from allowed origins and verified with the
 * verifier's own JWKS cache and JWS code. Once a list is held, a check is one Map lookup and one bit read.
 *
 * Fetch policy:
 * - single flight per URI; a list is fresh for its `ttl` (never past its `exp`), counted from when the request that
 *   brought it was sent. The first request after that starts one refetch; requests arriving within
 *   `staleWhileRevalidate` of the list going stale are answered from it while that fetch runs (RFC 5861's idea), so
 *   under traffic a list is fetched exactly once per `ttl` and no request waits; after a quiet spell longer than
 *   that, the first request waits for the fresh list;
 * - revalidation with `If-None-Match`: a 304 keeps the held list for another `ttl`;
 * - at most one fetch per URI per `minRefetchInterval` after a failure, whatever tokens ask for;
 * - a list that cannot be fetched or verified leaves the last good one in use up to `maxStale` past its freshness,
 *   then checks fail closed (503 with `Retry-After`).
 */
export class StatusLists {
  readonly #lists = new Map<string, ListEntry>()
  readonly #closer = new AbortController()

  constructor(
    private readonly options: ResolvedOptions,
    private readonly status: ResolvedStatus,
    private readonly keys: JwksCache<SignatureCheck>,
    private readonly hooks: StatusListsHooks,
  ) {}

  /** Reads and vets a verified token's status claim; throws 401 for a malformed or disallowed reference. */
  reference(claims: Readonly<Record<string, unknown>>): StatusRef | undefined {
    let ref: StatusRef | undefined
    try {
      ref = readStatusClaim(claims)
    } catch (err) {
      throw invalidStatus('The access token status claim is invalid', err)
    }
    if (ref === undefined) {
      if (this.status.required) throw invalidStatus('The access token has no status reference')
      return undefined
    }
    // The API fetches only from origins it was configured to trust, never from wherever a token points.
    if (!this.status.allowedOrigins.includes(ref.origin)) {
      throw invalidStatus('The access token status list is not served by an allowed origin')
    }
    return ref
  }

  /** Nothing when the token is valid; throws when revoked; a promise only while the list is not held (or expired). */
  check(ref: StatusRef): undefined | Promise<void> {
    const now = Date.now()
    const entry = this.#lists.get(ref.uri)
    if (entry?.list !== undefined && now < entry.freshUntil + this.#revalidateWindow(entry)) {
      if (now >= entry.freshUntil) this.#background(ref.uri, entry, now)
      this.#lookup(entry.list, ref.idx)
      return undefined
    }
    return this.#refresh(ref.uri, now).then(() => {
      const held = this.#lists.get(ref.uri)
      const at = Date.now()
      if (held?.list === undefined || at >= held.staleUntil) throw this.#unavailable(held, at)
      this.#lookup(held.list, ref.idx)
    })
  }

  close(): void {
    this.#closer.abort()
  }

  #lookup(list: StatusList, idx: number): void {
    let status: number
    try {
      status = list.get(idx)
    } catch (err) {
      throw invalidStatus('The access token status index is out of range', err)
    }
    // VALID (0) passes; INVALID, SUSPENDED and any application-specific status refuse the token.
    if (status === StatusType.VALID) return
    throw revoked()
  }

  #unavailable(entry: ListEntry | undefined, now: number): VerifierError {
    const wait = entry === undefined ? 0 : entry.failedAt + this.status.minRefetchIntervalMs - now
    return verifierError('VERIFIER_ERR_STATUS_UNAVAILABLE', 'The token status cannot be checked right now', {
      retryAfter: Math.max(1, Math.ceil(wait / 1000)),
    })
  }

  // How long past its freshness a held list answers while one refetch runs: never longer than a ttl.
  #revalidateWindow(entry: ListEntry): number {
    return Math.min(this.status.staleWhileRevalidateMs, entry.ttlMs)
  }

  #background(uri: string, entry: ListEntry, now: number): void {
    if (entry.inflight !== undefined || !this.#mayFetch(entry, now)) return
    this.#start(uri, entry, 'refresh').catch(() => {})
  }

  // Waits for a fetch of `uri` (joining one in flight), unless one failed too recently to try again.
  async #refresh(uri: string, now: number): Promise<void> {
    let entry = this.#lists.get(uri)
    if (entry === undefined) {
      if (this.#lists.size >= this.status.maxLists) this.#evict()
      entry = {
        list: undefined,
        etag: undefined,
        expAt: Number.POSITIVE_INFINITY,
        freshUntil: 0,
        staleUntil: 0,
        ttlMs: this.status.defaultTtlMs,
        lastAttempt: Number.NEGATIVE_INFINITY,
        failedAt: Number.NEGATIVE_INFINITY,
        inflight: undefined,
      }
      this.#lists.set(uri, entry)
    }
    if (entry.inflight !== undefined) return entry.inflight.catch(() => {})
    if (!this.#mayFetch(entry, now)) return
    return this.#start(uri, entry, entry.list === undefined ? 'initial' : 'expired').catch(() => {})
  }

  // A token cannot make the verifier hammer the issuer: one attempt per second at most, and after a failure none for
  // `minRefetchInterval`.
  #mayFetch(entry: ListEntry, now: number): boolean {
    return now - entry.lastAttempt >= MIN_GAP_MS && now - entry.failedAt >= this.status.minRefetchIntervalMs
  }

  // Bounded: drop the list that went longest without being fresh.
  #evict(): void {
    let oldest: string | undefined
    let until = Number.POSITIVE_INFINITY
    for (const [uri, entry] of this.#lists) {
      if (entry.inflight === undefined && entry.staleUntil < until) {
        oldest = uri
        until = entry.staleUntil
      }
    }
    if (oldest !== undefined) this.#lists.delete(oldest)
  }

  #start(uri: string, entry: ListEntry, reason: 'initial' | 'refresh' | 'expired'): Promise<void> {
    const started = Date.now()
    entry.lastAttempt = started
    this.hooks.onFetch()
    const run = this.#fetch(uri, entry, started).then(
      (outcome) => {
        entry.inflight = undefined
        this.#emit({
          type: 'status_list_fetch',
          uri,
          reason,
          ok: true,
          outcome,
          durationMs: Date.now() - started,
        })
      },
      (err: unknown) => {
        entry.inflight = undefined
        entry.failedAt = Date.now()
        const error = err instanceof Error ? err.message : String(err)
        this.#emit({
          type: 'status_list_fetch',
          uri,
          reason,
          ok: false,
          durationMs: Date.now() - started,
          error,
        })
        throw err
      },
    )
    entry.inflight = run
    return run
  }

  #emit(event: VerifierEvent): void {
    this.hooks.emit(event)
  }

  // `sent` is when the request left: the list is at least that fresh, so its ttl counts from then and a refetch
  // every ttl under traffic is exactly one, whatever the fetch's latency.
  async #fetch(uri: string, entry: ListEntry, sent: number): Promise<'updated' | 'not_modified'> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.options.fetchTimeout), this.#closer.signal])
    const headers: Record<string, string> = { accept: STATUS_LIST_JWT_MEDIA_TYPE }
    if (entry.etag !== undefined && entry.list !== undefined) headers['if-none-match'] = entry.etag
    let response: Response
    try {
      // No redirects: the list comes from the URI the token names, on an allowed origin (or from the internal base
      // configured for the issuer's origin), or not at all. Its `sub` is checked against the token's URI either way.
      response = await this.options.fetch(this.status.fetchUrl(uri), { signal, redirect: 'error', headers })
    } catch (err) {
      throw new Error(`Cannot load ${uri}: ${signal.aborted ? 'timed out or closed' : String(err)}`, {
        cause: err,
      })
    }
    if (response.status === 304 && entry.list !== undefined) {
      await response.body?.cancel().catch(() => {})
      // The same list token: another ttl, but never past its own exp.
      entry.freshUntil = Math.min(sent + entry.ttlMs, entry.expAt)
      entry.staleUntil = entry.freshUntil + this.status.maxStaleMs
      return 'not_modified'
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`Cannot load ${uri}: HTTP ${response.status}`)
    }
    const jwt = (await readCapped(response, this.options.maxResponseBytes)).trim()
    const { list, exp, ttl } = await this.#verifyListToken(jwt, uri, Date.now())
    const ttlMs = ttl === undefined ? this.status.defaultTtlMs : ttl * 1000
    entry.list = list
    entry.etag = response.headers.get('etag') ?? undefined
    entry.ttlMs = ttlMs
    entry.expAt = exp === undefined ? Number.POSITIVE_INFINITY : exp * 1000
    entry.freshUntil = Math.min(sent + ttlMs, entry.expAt)
    entry.staleUntil = entry.freshUntil + this.status.maxStaleMs
    return 'updated'
  }

  // The same checks as for an access token's JWS (allowed alg, key from the JWKS, the key's own alg), with
  // draft-ietf-oauth-status-list §5.1's typ and §8.3's sub/exp/ttl checks.
  async #verifyListToken(jwt: string, uri: string, now: number) {
    const jws = splitCompact(jwt)
    const header = decodeSegment(jws.header, 'header')
    if (!isListTyp(header.typ)) throw new Error(`the status list token typ is not ${STATUS_LIST_JWT_TYP}`)
    const alg = header.alg
    if (typeof alg !== 'string' || !(this.options.algorithms as string[]).includes(alg)) {
      throw new Error('the status list token algorithm is not allowed')
    }
    if (typeof header.kid !== 'string' || header.kid.length === 0 || header.crit !== undefined) {
      throw new Error('the status list token header needs a kid and no crit')
    }
    const key = this.keys.peek(header.kid) ?? (await this.keys.resolve(header.kid))
    if (key.verifier.alg !== (alg as SupportedAlgorithm))
      throw new Error('the status list token alg does not match its key')
    await key.verifier.verify(jws)
    try {
      return readStatusListClaims(decodeSegment(jws.payload, 'payload'), {
        uri,
        now,
        clockTolerance: this.options.clockToleranceMs / 1000,
      })
    } catch (err) {
      if (err instanceof StatusListError) throw new Error(`${err.code}: ${err.message}`, { cause: err })
      throw err
    }
  }
}
