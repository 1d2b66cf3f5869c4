import { type VerifierError, verifierError } from '../errors.js'
import type { ResolvedOptions, VerifierEvent } from '../options.js'
import { fetchJson } from './fetch-json.js'
import { type ImportedKey, importJwk } from './import-jwk.js'

/** A usable key plus whatever the caller built from it once (the signature check). */
export interface KeyEntry<T> {
  key: ImportedKey
  verifier: T
  /** When this cache first saw the key (ms), to tell new keys from old ones when a JWKS must be truncated. */
  firstSeen: number
  /** The fetch generation in which a token last found this key: the key in use survives truncation. */
  usedIn: number
}

// How many of the latest unknown kids a kid-miss fetch keeps in mind, to hold on to them if the JWKS lists them.
const WANTED_KIDS = 4

type FetchReason = 'initial' | 'unknown_kid' | 'refresh'

export interface JwksCacheHooks<T> {
  build: (key: ImportedKey) => T
  emit: (event: VerifierEvent) => void
  /** Called after a refetch dropped keys, so caches built on them can be emptied. */
  onKeysRemoved: () => void
  onFetch: () => void
}

/**
 * Keys by `kid` (one Map lookup per token), fetched only from the configured JWKS (or the `jwks_uri` of the
 * configured issuer's metadata), never from anything a token says (RFC 8725 §3.10).
 *
 * Fetch policy:
 * - single flight: concurrent callers share one in-flight fetch;
 * - cooldown: the first unknown `kid` after a routine (initial or periodic) fetch is fetched at once, so a key
 *   published just after that fetch works at once; after that, unknown kids and failures cause at most one fetch
 *   per `cooldown` window, so a flood of forged kids costs one fetch per window;
 * - a successful fetch replaces the key set, so a key the JWKS no longer lists stops working;
 * - a failed fetch keeps the last good set, so cached keys survive an unreachable JWKS;
 * - a JWKS over `maxKeys` keeps the newest keys, never the one tokens are signed with now (see `#rank`).
 */
export class JwksCache<T> {
  #keys = new Map<string, KeyEntry<T>>()
  #loaded = false
  // Start of the current cooldown window: set by kid-miss fetches and failed fetches, never by routine successes.
  #cooldownFrom = Number.NEGATIVE_INFINITY
  #lastSuccess = Number.NEGATIVE_INFINITY
  #generation = 0
  #wanted: string[] = []
  #lastFailed = false
  #inflight: Promise<void> | undefined
  #jwksUri: string | undefined
  readonly #closer = new AbortController()

  constructor(
    private readonly options: ResolvedOptions,
    private readonly hooks: JwksCacheHooks<T>,
  ) {
    this.#jwksUri = options.jwksUri
  }

  get size(): number {
    return this.#keys.size
  }

  /** The entry held for `kid` right now, without events or refresh: whether a key survived a refetch. */
  current(kid: string): KeyEntry<T> | undefined {
    return this.#keys.get(kid)
  }

  /** The key for `kid` if already known: the hot path, no promise, no fetch. */
  peek(kid: string): KeyEntry<T> | undefined {
    const entry = this.#keys.get(kid)
    if (entry !== undefined) {
      entry.usedIn = this.#generation
      this.hooks.emit({ type: 'key_cache_hit', kid })
      this.#maybeRefreshInBackground()
    }
    return entry
  }

  /** Slow path after a `peek` miss: fetch at most once per cooldown, shared by all callers. */
  async resolve(kid: string): Promise<KeyEntry<T>> {
    this.hooks.emit({ type: 'key_cache_miss', kid })
    if (this.#inflight !== undefined) {
      await this.#inflight.catch(() => {})
    } else if (this.#cooledDown()) {
      if (this.#loaded) this.#want(kid)
      await this.#fetch(this.#loaded ? 'unknown_kid' : 'initial').catch(() => {})
    }
    const entry = this.#keys.get(kid)
    if (entry !== undefined) {
      entry.usedIn = this.#generation
      return entry
    }
    if (!this.#loaded || this.#lastFailed) throw this.#unavailable()
    throw verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'No key is known for this token (unknown kid)')
  }

  /**
   * Loads the key set if it never loaded (or loaded empty); ignores the cooldown (called by readiness probes, not by
   * tokens). Rejects while no key can verify a token: a JWKS of only unusable keys is not "ready" either.
   */
  async ready(): Promise<void> {
    if (this.#keys.size > 0) return
    await (this.#inflight ?? this.#fetch(this.#loaded ? 'refresh' : 'initial'))
    if (this.#keys.size === 0) {
      throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded right now', {
        cause: new Error('the JWKS holds no key usable with the allowed algorithms'),
      })
    }
  }

  close(): void {
    this.#closer.abort()
  }

  #cooledDown(): boolean {
    return Date.now() - this.#cooldownFrom >= this.options.cooldown
  }

  // Bounded, so forged kids cannot crowd out the JWKS's own keys: only the latest few count.
  #want(kid: string): void {
    if (this.#wanted.includes(kid)) return
    this.#wanted.push(kid)
    if (this.#wanted.length > WANTED_KIDS) this.#wanted.shift()
  }

  #unavailable(): VerifierError {
    const waitMs = Math.max(0, this.#cooldownFrom + this.options.cooldown - Date.now())
    return verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded right now', {
      retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
    })
  }

  #maybeRefreshInBackground(): void {
    if (
      this.#inflight === undefined &&
      Date.now() - this.#lastSuccess >= this.options.refreshInterval &&
      this.#cooledDown()
    ) {
      // Failures are reported through the event; the current keys stay in use.
      this.#fetch('refresh').catch(() => {})
    }
  }

  #fetch(reason: FetchReason): Promise<void> {
    const started = performance.now()
    if (reason === 'unknown_kid') this.#cooldownFrom = Date.now()
    this.hooks.onFetch()
    const run = this.#load().then(
      () => {
        this.#lastFailed = false
        this.#lastSuccess = Date.now()
        this.#emitFetch(reason, true, started)
      },
      (err: unknown) => {
        this.#lastFailed = true
        this.#cooldownFrom = Date.now()
        this.#emitFetch(reason, false, started, err)
        throw err
      },
    )
    this.#inflight = run.finally(() => {
      this.#inflight = undefined
    })
    // Callers await `run`; the `finally` copy must not surface as an unhandled rejection.
    this.#inflight.catch(() => {})
    return run
  }

  #emitFetch(reason: FetchReason, ok: boolean, started: number, err?: unknown): void {
    const detail =
      err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : undefined
    this.hooks.emit({
      type: 'jwks_fetch',
      reason,
      ok,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      keys: this.#keys.size,
      ...(detail === undefined ? {} : { error: detail }),
    })
  }

  async #discoverJwksUri(): Promise<string> {
    const { metadataUri, issuer, fetchTimeout, maxResponseBytes } = this.options
    const metadata = await fetchJson(metadataUri, {
      fetch: this.options.fetch,
      timeoutMs: fetchTimeout,
      maxBytes: maxResponseBytes,
      signal: this.#closer.signal,
    })
    const doc = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>
    // RFC 8414 §3.3: the metadata's issuer must be identical to the issuer we were configured with.
    if (doc.issuer !== issuer) {
      throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded right now', {
        cause: new Error(
          `metadata at ${metadataUri} names issuer ${JSON.stringify(doc.issuer)}, expected ${issuer}`,
        ),
      })
    }
    if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
      throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded right now', {
        cause: new Error(`metadata at ${metadataUri} has no usable jwks_uri`),
      })
    }
    return doc.jwks_uri
  }

  async #load(): Promise<void> {
    this.#jwksUri ??= await this.#discoverJwksUri()
    const body = await fetchJson(this.#jwksUri, {
      fetch: this.options.fetch,
      timeoutMs: this.options.fetchTimeout,
      maxBytes: this.options.maxResponseBytes,
      signal: this.#closer.signal,
    })
    const list = (body as { keys?: unknown } | null)?.keys
    if (!Array.isArray(list)) {
      throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded right now', {
        cause: new Error(`${this.#jwksUri} is not a JWK Set (RFC 7517 §5)`),
      })
    }
    this.#replace(list)
  }

  #replace(list: unknown[]): void {
    const imported = new Map<string, { key: ImportedKey; raw: Record<string, unknown>; position: number }>()
    const ambiguous = new Set<string>()
    for (const [position, raw] of list.entries()) {
      const result = importJwk(raw, this.options.algorithms)
      if ('skipped' in result) continue
      const { kid } = result.key
      // RFC 7517 §4.5: kids should be unique; when two usable keys share one, neither can be picked safely.
      if (imported.has(kid)) ambiguous.add(kid)
      else imported.set(kid, { key: result.key, raw: raw as Record<string, unknown>, position })
    }
    for (const kid of ambiguous) imported.delete(kid)
    const now = Date.now()
    const candidates = [...imported.values()].map(({ key, raw, position }) => {
      const current = this.#keys.get(key.kid)
      const entry: KeyEntry<T> =
        current?.key.fingerprint === key.fingerprint
          ? current
          : { key, verifier: this.hooks.build(key), firstSeen: now, usedIn: -1 }
      return { entry, raw, position }
    })
    let kept = candidates
    if (candidates.length > this.options.maxKeys) {
      kept = this.#rank(candidates, now).slice(0, this.options.maxKeys)
      const keptKids = new Set(kept.map((c) => c.entry.key.kid))
      this.hooks.emit({
        type: 'jwks_truncated',
        listed: candidates.length,
        kept: kept.length,
        dropped: candidates.map((c) => c.entry.key.kid).filter((kid) => !keptKids.has(kid)),
      })
    }
    const next = new Map<string, KeyEntry<T>>()
    for (const { entry } of kept) next.set(entry.key.kid, entry)
    const removed = [...this.#keys.keys()].some((kid) => next.get(kid) !== this.#keys.get(kid))
    this.#keys = next
    this.#loaded = true
    this.#wanted = []
    this.#generation++
    if (removed) this.hooks.onKeysRemoved()
  }

  /**
   * Which keys to keep when a JWKS lists more than `maxKeys`: the key tokens are signed with now must survive, and a
   * JWKS's order says nothing about age (ours lists oldest first, others newest first). Best first:
   * 1. not retired: a key whose JWK says `exp` has passed goes last;
   * 2. the kids whose unknown-kid miss caused this fetch (a token signed with a just-published key);
   * 3. keys tokens used since the previous fetch (the key in use now);
   * 4. the newest: the JWK's own `iat`/`nbf` when it gives one, else when this cache first saw the key;
   * 5. then the later position in the JWKS (issuers that append new keys, as ours does).
   */
  #rank<C extends { entry: KeyEntry<T>; raw: Record<string, unknown>; position: number }>(
    candidates: C[],
    now: number,
  ): C[] {
    const fresh = candidates.filter((c) => c.entry.firstSeen === now)
    const known = candidates.filter((c) => c.entry.firstSeen !== now)
    const mean = (list: C[]) => list.reduce((sum, c) => sum + c.position, 0) / list.length
    const newestFirst = fresh.length > 0 && known.length > 0 && mean(fresh) < mean(known)
    const seconds = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v * 1000 : undefined)
    const facts = new Map(
      candidates.map((c) => {
        const exp = seconds(c.raw.exp)
        const hint = Math.max(seconds(c.raw.iat) ?? -1, seconds(c.raw.nbf) ?? -1)
        return [
          c,
          {
            retired: exp !== undefined && exp <= now ? 1 : 0,
            wanted: this.#wanted.includes(c.entry.key.kid) ? 1 : 0,
            used: c.entry.usedIn === this.#generation ? 1 : 0,
            born: hint >= 0 ? hint : c.entry.firstSeen,
          },
        ] as const
      }),
    )
    return [...candidates].sort((x, y) => {
      const a = facts.get(x)!
      const b = facts.get(y)!
      return (
        a.retired - b.retired ||
        b.used - a.used ||
        b.wanted - a.wanted ||
        b.born - a.born ||
        (newestFirst ? x.position - y.position : y.position - x.position)
      )
    })
  }
}
