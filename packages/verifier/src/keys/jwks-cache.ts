import { type VerifierError, verifierError } from '../errors.js'
import type { ResolvedOptions, VerifierEvent } from '../options.js'
import { fetchJson } from './fetch-json.js'
import { type ImportedKey, importJwk } from './import-jwk.js'

/** A usable key plus whatever the caller built from it once (the signature check). */
export interface KeyEntry<T> {
  key: ImportedKey
  verifier: T
}

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
 * - cooldown: an unknown `kid` or a failure triggers at most one fetch per `cooldown` window;
 * - a successful fetch replaces the key set, so a key the JWKS no longer lists stops working;
 * - a failed fetch keeps the last good set, so cached keys survive an unreachable JWKS.
 */
export class JwksCache<T> {
  #keys = new Map<string, KeyEntry<T>>()
  #loaded = false
  #lastAttempt = Number.NEGATIVE_INFINITY
  #lastSuccess = Number.NEGATIVE_INFINITY
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
      await this.#fetch(this.#loaded ? 'unknown_kid' : 'initial').catch(() => {})
    }
    const entry = this.#keys.get(kid)
    if (entry !== undefined) return entry
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
    return Date.now() - this.#lastAttempt >= this.options.cooldown
  }

  #unavailable(): VerifierError {
    const waitMs = Math.max(0, this.#lastAttempt + this.options.cooldown - Date.now())
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
    this.#lastAttempt = Date.now()
    this.hooks.onFetch()
    const run = this.#load().then(
      () => {
        this.#lastFailed = false
        this.#lastSuccess = Date.now()
        this.#emitFetch(reason, true, started)
      },
      (err: unknown) => {
        this.#lastFailed = true
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
    const imported = new Map<string, ImportedKey>()
    const ambiguous = new Set<string>()
    for (const raw of list) {
      const result = importJwk(raw, this.options.algorithms)
      if ('skipped' in result) continue
      const { kid } = result.key
      // RFC 7517 §4.5: kids should be unique; when two usable keys share one, neither can be picked safely.
      if (imported.has(kid)) ambiguous.add(kid)
      else if (imported.size < this.options.maxKeys) imported.set(kid, result.key)
    }
    for (const kid of ambiguous) imported.delete(kid)
    const next = new Map<string, KeyEntry<T>>()
    for (const [kid, key] of imported) {
      const current = this.#keys.get(kid)
      next.set(
        kid,
        current?.key.fingerprint === key.fingerprint ? current : { key, verifier: this.hooks.build(key) },
      )
    }
    const removed = [...this.#keys.keys()].some((kid) => next.get(kid) !== this.#keys.get(kid))
    this.#keys = next
    this.#loaded = true
    if (removed) this.hooks.onKeysRemoved()
  }
}
