import { createHash } from 'node:crypto'
import { type DpopReplayStore, MemoryReplayStore } from './dpop/replay.js'
import type { VerifierErrorCode } from './errors.js'
import { verifierError } from './errors.js'

// One list for the options check, the type and the JWS tests that prove each algorithm end to end.
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const

/**
 * Asymmetric JWS algorithms (RFC 7518 §3.1, RFC 8037 §3.1) a verifier can be told to accept.
 *
 * @example
 * ```ts
 * const algorithms: SupportedAlgorithm[] = ['ES256', 'EdDSA']
 * ```
 */
export type SupportedAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number]

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS)

/**
 * How a verifier treats DPoP (RFC 9449): `'disabled'` accepts only `Bearer`; `'allowed'` accepts both schemes;
 * `'required'` accepts only `DPoP`. In every mode a token bound to a key (`cnf.jkt`) is refused as `Bearer`.
 *
 * @example
 * ```ts
 * const mode: DpopMode = 'required'
 * ```
 */
export type DpopMode = 'disabled' | 'allowed' | 'required'

/**
 * DPoP settings beyond the mode. Every field is optional.
 *
 * @example
 * ```ts
 * createVerifier({
 *   issuer,
 *   audience,
 *   dpop: { mode: 'required', publicUrl: 'https://api.example.com', nonce: { secret: process.env.DPOP_NONCE_SECRET! } },
 * })
 * ```
 */
export interface DpopOptions {
  /** Default `'disabled'`. */
  mode?: DpopMode
  /** Proof algorithms accepted (asymmetric only). Default `['ES256', 'EdDSA', 'PS256', 'RS256']`. */
  algorithms?: readonly SupportedAlgorithm[]
  /** How old a proof's `iat` may be, in seconds. Default 60. */
  maxAge?: number
  /** How far ahead of our clock a proof's `iat` may be, in seconds. Default 5. */
  clockTolerance?: number
  /** Longest `DPoP` header accepted, in characters. Default 4096. */
  maxProofLength?: number
  /** Where `jti`s are remembered. Default: a {@link MemoryReplayStore} of `replayCacheMax` entries per verifier. */
  replayStore?: DpopReplayStore
  /** Bound of the default in-memory replay store. Default 100000. */
  replayCacheMax?: number
  /**
   * The public base URL clients use (`https://api.example.com`, or with a path prefix a proxy strips). `htu` is
   * compared with it plus the request's path. Without it, see `trustForwardedHeaders`.
   */
  publicUrl?: string
  /**
   * Take scheme and host from `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host` (first value). Only behind a
   * proxy that sets them: otherwise clients choose them. Default false: the request's own scheme and `Host`.
   */
  trustForwardedHeaders?: boolean
  /**
   * Resource-server nonces (RFC 9449 §9): proofs must carry a `nonce` this verifier (or a replica with the same
   * secret) issued in the last one or two `lifetime` steps; otherwise 401 `use_dpop_nonce` with a `DPoP-Nonce` header.
   */
  nonce?: { secret: string | Uint8Array; lifetime?: number }
}

/**
 * Token Status List checking (draft-ietf-oauth-status-list). Every field is optional.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, status: { maxStale: 120 } })
 * ```
 */
export interface StatusOptions {
  /** Refuse tokens that carry no `status.status_list` reference. Default false. */
  required?: boolean
  /**
   * Origins (`https://as.example`) status lists may be fetched from. Default: the issuer's origin only. A token naming
   * a list elsewhere is refused (401) without any fetch.
   */
  allowedOrigins?: readonly string[]
  /**
   * Where lists named at the issuer's origin are actually fetched, when that origin is not reachable from here
   * (containers): `http://auth-server:4000` turns `http://localhost:4000/status-lists/1` into
   * `http://auth-server:4000/status-lists/1`. Only the fetch moves: the allowed-origin check applies to the URI in the
   * token, and the list token's `sub` must still equal that URI. Default: fetch the URI as named.
   */
  fetchBase?: string
  /**
   * Seconds a list stays in use past its `ttl` while it cannot be refetched; then checks fail closed (503). Default 300.
   */
  maxStale?: number
  /** Seconds between two fetches of one list after a failure (or a 304), whatever tokens ask. Default 5. */
  minRefetchInterval?: number
  /**
   * Seconds past its `ttl` that a held list still answers while the one refetch it triggered runs, so that no request
   * waits for it (the `stale-while-revalidate` of RFC 5861). Later than that, a request waits for the fresh list.
   * Default 2 (at most the ttl); 0 makes every request after the ttl wait.
   */
  staleWhileRevalidate?: number
  /** Seconds a list is fresh when its token has no `ttl` (still never past its `exp`). Default 60. */
  defaultTtl?: number
  /** Most lists held at once. Default 100. */
  maxLists?: number
}

/**
 * What a verifier reports through `onEvent`.
 *
 * @example
 * ```ts
 * createVerifier({ issuer, audience, onEvent: (e) => e.type === 'jwks_fetch' && log.info(e, 'JWKS fetched') })
 * ```
 */
export type VerifierEvent =
  | {
      type: 'jwks_fetch'
      reason: 'initial' | 'unknown_kid' | 'refresh'
      ok: boolean
      durationMs: number
      /** Usable keys after the fetch (the previous set when it failed). */
      keys: number
      error?: string
    }
  | {
      /** The JWKS listed more usable keys than `maxKeys`; the newest and the ones in use were kept. */
      type: 'jwks_truncated'
      listed: number
      kept: number
      dropped: string[]
    }
  | {
      /** A status list fetch (draft-ietf-oauth-status-list): `not_modified` is a 304 revalidation. */
      type: 'status_list_fetch'
      uri: string
      reason: 'initial' | 'refresh' | 'expired'
      ok: boolean
      outcome?: 'updated' | 'not_modified'
      durationMs: number
      error?: string
    }
  | { type: 'key_cache_hit'; kid: string }
  | { type: 'key_cache_miss'; kid: string }
  | { type: 'verified'; kid: string | undefined; cached: boolean }
  | { type: 'verification_failed'; code: VerifierErrorCode }

/**
 * Options of {@link createVerifier}. Only `issuer` and `audience` are required.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = { issuer: 'http://localhost:4000', audience: 'urn:stateless-auth:orders-api' }
 * ```
 */
export interface VerifierOptions {
  /** Exact expected `iss` (RFC 9068 §4). Also where metadata is discovered when neither URI below is given. */
  issuer: string
  /** Accepted `aud` value(s): the token's `aud` must contain one of them (RFC 9068 §4). */
  audience: string | readonly string[]
  /** JWKS URL. Default: the `jwks_uri` of the issuer's RFC 8414 metadata, read once. */
  jwksUri?: string
  /** Where to read RFC 8414 metadata (e.g. an internal URL in containers); its `issuer` must still equal `issuer`. */
  metadataUri?: string
  /** Accepted algorithms. Default `['RS256', 'PS256', 'ES256', 'EdDSA']`; `none` and HS* are refused. */
  algorithms?: readonly SupportedAlgorithm[]
  /** Seconds of clock skew allowed for `exp`, `nbf` and `iat`. Default 5. */
  clockTolerance?: number
  /** Claims required on top of RFC 9068's `iss exp aud sub client_id iat jti`. Default none. */
  requiredClaims?: readonly string[]
  /** JWKS/metadata request timeout in ms (AbortSignal). Default 5000. */
  fetchTimeout?: number
  /**
   * Minimum ms between two JWKS fetches caused by unknown `kid`s, or after a failed fetch. The first unknown `kid`
   * after a routine (initial or periodic) fetch is fetched at once. Default 30000.
   */
  cooldown?: number
  /** Age in ms after which the JWKS is refetched in the background, dropping removed keys. Default 300000. */
  refreshInterval?: number
  /** Most keys kept from one JWKS: the newest and those in use (a `jwks_truncated` event says when). Default 20. */
  maxKeys?: number
  /** Longest token accepted, in characters, checked before any parsing. Default 8192. */
  maxTokenLength?: number
  /** Largest JWKS or metadata document read, in bytes. Default 262144. */
  maxResponseBytes?: number
  /** Verified-token cache (keyed by a SHA-256 of the token, never outliving `exp`). Default `false`. */
  cache?: false | { max?: number }
  /** Observability hook; exceptions it throws are swallowed. */
  onEvent?: (event: VerifierEvent) => void
  /** fetch implementation. Default: the global `fetch`. */
  fetch?: typeof fetch
  /**
   * DPoP (RFC 9449): a mode, or a mode with settings. Default `'disabled'`: challenges and answers stay exactly those of
   * RFC 6750 until a deployment turns DPoP on; a key-bound token is refused as Bearer in every mode.
   */
  dpop?: DpopMode | DpopOptions
  /**
   * Token Status List checking: `true` for the defaults, or settings. Default `false` (a core library should not start
   * fetching on its own); our APIs turn it on.
   */
  status?: boolean | StatusOptions
}

export interface ResolvedStatus {
  required: boolean
  allowedOrigins: string[]
  /** Maps a list URI (as the token names it) to the URL fetched. */
  fetchUrl: (uri: string) => string
  maxStaleMs: number
  minRefetchIntervalMs: number
  staleWhileRevalidateMs: number
  defaultTtlMs: number
  maxLists: number
}

export interface ResolvedDpop {
  mode: DpopMode
  algorithms: SupportedAlgorithm[]
  maxAgeMs: number
  clockToleranceMs: number
  maxProofLength: number
  replayStore: DpopReplayStore
  publicUrl: string | undefined
  trustForwardedHeaders: boolean
  nonce: { secret: Buffer; lifetime: number } | undefined
}

export interface ResolvedOptions {
  issuer: string
  audience: string[]
  jwksUri: string | undefined
  metadataUri: string
  algorithms: SupportedAlgorithm[]
  clockToleranceMs: number
  requiredClaims: string[]
  fetchTimeout: number
  cooldown: number
  refreshInterval: number
  maxKeys: number
  maxTokenLength: number
  maxResponseBytes: number
  cacheMax: number
  onEvent: ((event: VerifierEvent) => void) | undefined
  fetch: typeof fetch
  dpop: ResolvedDpop
  status: ResolvedStatus | undefined
}

function invalid(message: string): never {
  throw verifierError('VERIFIER_ERR_INVALID_OPTIONS', message)
}

function httpUrl(name: string, value: unknown): string {
  if (typeof value !== 'string') invalid(`${name} must be a string URL`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    invalid(`${name} must be an absolute URL, got "${value}"`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid(`${name} must be an http(s) URL`)
  return value
}

function positive(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    invalid(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`)
  }
  return value
}

/**
 * RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path, and a trailing `/` of the
 * issuer is removed first. `https://as.example/tenant` → `https://as.example/.well-known/oauth-authorization-server/tenant`.
 *
 * @example
 * ```ts
 * metadataUrlFor('http://localhost:4000') // 'http://localhost:4000/.well-known/oauth-authorization-server'
 * ```
 */
export function metadataUrlFor(issuer: string): string {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  return `${url.origin}/.well-known/oauth-authorization-server${path}`
}

/** Validates options once, at construction, so a misconfiguration fails at boot rather than per request. */
export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) invalid('options are required')
  const issuer = httpUrl('issuer', options.issuer)
  const audience = typeof options.audience === 'string' ? [options.audience] : options.audience
  if (
    !Array.isArray(audience) ||
    audience.length === 0 ||
    !audience.every((a) => typeof a === 'string' && a)
  ) {
    invalid('audience must be a non-empty string or a non-empty array of strings')
  }
  const algorithms = [...(options.algorithms ?? ['RS256', 'PS256', 'ES256', 'EdDSA'])]
  if (algorithms.length === 0) invalid('algorithms must not be empty')
  for (const alg of algorithms as string[]) {
    // RFC 8725 §3.1/§3.2: never accept unsigned tokens, and never an HMAC "secret" taken from a public JWKS.
    if (alg === 'none' || /^HS/i.test(alg)) {
      invalid(`algorithm "${alg}" can never be used with a JWKS: only asymmetric algorithms are allowed`)
    }
    if (!SUPPORTED.has(alg)) invalid(`algorithm "${alg}" is not supported`)
  }
  const requiredClaims = [...(options.requiredClaims ?? [])]
  if (!requiredClaims.every((c) => typeof c === 'string' && c)) invalid('requiredClaims must be strings')
  const cache = options.cache ?? false
  if (cache !== false && (typeof cache !== 'object' || cache === null))
    invalid('cache must be false or { max }')
  const fetchImpl = options.fetch ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') invalid('fetch must be a function')
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    invalid('onEvent must be a function')
  return {
    issuer,
    audience: [...audience],
    jwksUri: options.jwksUri === undefined ? undefined : httpUrl('jwksUri', options.jwksUri),
    metadataUri:
      options.metadataUri === undefined
        ? metadataUrlFor(issuer)
        : httpUrl('metadataUri', options.metadataUri),
    algorithms,
    clockToleranceMs: positive('clockTolerance', options.clockTolerance, 5, true) * 1000,
    requiredClaims,
    fetchTimeout: positive('fetchTimeout', options.fetchTimeout, 5000),
    cooldown: positive('cooldown', options.cooldown, 30_000, true),
    refreshInterval: positive('refreshInterval', options.refreshInterval, 300_000),
    maxKeys: Math.floor(positive('maxKeys', options.maxKeys, 20)),
    maxTokenLength: Math.floor(positive('maxTokenLength', options.maxTokenLength, 8192)),
    maxResponseBytes: Math.floor(positive('maxResponseBytes', options.maxResponseBytes, 262_144)),
    cacheMax: cache === false ? 0 : Math.floor(positive('cache.max', cache.max, 1000)),
    onEvent: options.onEvent,
    fetch: fetchImpl,
    dpop: resolveDpop(options.dpop),
    status: resolveStatus(options.status, issuer),
  }
}

function resolveStatus(
  input: boolean | StatusOptions | undefined,
  issuer: string,
): ResolvedStatus | undefined {
  if (input === undefined || input === false) return undefined
  const options: StatusOptions = input === true ? {} : input
  if (typeof options !== 'object' || options === null) invalid('status must be a boolean or an object')
  if (options.required !== undefined && typeof options.required !== 'boolean')
    invalid('status.required must be a boolean')
  const origins = options.allowedOrigins ?? [new URL(issuer).origin]
  if (!Array.isArray(origins) || origins.length === 0)
    invalid('status.allowedOrigins must be a non-empty array')
  const allowedOrigins = origins.map((o: unknown) => {
    const url = new URL(httpUrl('status.allowedOrigins[]', o))
    if (url.origin !== String(o).replace(/\/+$/, '')) {
      invalid(`status.allowedOrigins entries must be bare origins (scheme://host[:port]), got "${String(o)}"`)
    }
    return url.origin
  })
  return {
    required: options.required === true,
    allowedOrigins,
    fetchUrl: fetchUrlFor(options.fetchBase, new URL(issuer).origin),
    maxStaleMs: positive('status.maxStale', options.maxStale, 300, true) * 1000,
    minRefetchIntervalMs: positive('status.minRefetchInterval', options.minRefetchInterval, 5, true) * 1000,
    staleWhileRevalidateMs:
      positive('status.staleWhileRevalidate', options.staleWhileRevalidate, 2, true) * 1000,
    defaultTtlMs: positive('status.defaultTtl', options.defaultTtl, 60) * 1000,
    maxLists: Math.floor(positive('status.maxLists', options.maxLists, 100)),
  }
}

// The issuer's public origin is swapped for the internal base; every other URI is fetched as named.
function fetchUrlFor(fetchBase: unknown, issuerOrigin: string): (uri: string) => string {
  if (fetchBase === undefined) return (uri) => uri
  const url = new URL(httpUrl('status.fetchBase', fetchBase))
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    invalid('status.fetchBase must be an http(s) URL without credentials, query or fragment')
  }
  const base = url.href.replace(/\/+$/, '')
  return (uri) => {
    const named = new URL(uri)
    return named.origin === issuerOrigin ? `${base}${named.pathname}${named.search}` : uri
  }
}

/** The proof algorithms a verifier accepts unless told otherwise (its `DPoP` challenge's `algs`). */
export const DPOP_ALGORITHMS: readonly SupportedAlgorithm[] = ['ES256', 'EdDSA', 'PS256', 'RS256']

function resolveDpop(input: DpopMode | DpopOptions | undefined): ResolvedDpop {
  const options: DpopOptions = typeof input === 'string' ? { mode: input } : (input ?? {})
  if (typeof options !== 'object' || options === null) invalid('dpop must be a mode or an object')
  const mode = options.mode ?? 'disabled'
  if (!['disabled', 'allowed', 'required'].includes(mode)) {
    invalid(`dpop mode must be 'disabled', 'allowed' or 'required', got "${String(mode)}"`)
  }
  const algorithms = [...(options.algorithms ?? DPOP_ALGORITHMS)]
  if (algorithms.length === 0) invalid('dpop.algorithms must not be empty')
  for (const alg of algorithms as string[]) {
    // RFC 9449 §4.3: the proof's alg must be asymmetric; `none` and MACs prove nothing about a key.
    if (!SUPPORTED.has(alg)) invalid(`dpop algorithm "${alg}" is not supported (asymmetric only)`)
  }
  if (options.replayStore !== undefined && typeof options.replayStore?.add !== 'function') {
    invalid('dpop.replayStore must have an add(key, expiresAt) method')
  }
  let nonce: ResolvedDpop['nonce']
  if (options.nonce !== undefined) {
    const secret = options.nonce?.secret
    const bytes =
      typeof secret === 'string'
        ? Buffer.from(secret)
        : secret instanceof Uint8Array
          ? Buffer.from(secret)
          : undefined
    // A nonce MAC key guessable by clients would let them mint nonces: 32 bytes, as for any HMAC-SHA256 key.
    if (bytes === undefined || bytes.length < 32) invalid('dpop.nonce.secret must be at least 32 bytes')
    // Derived, so the configured secret is not itself the MAC key of anything else it may be reused for.
    const key = createHash('sha256').update('stateless-auth dpop nonce\0').update(bytes).digest()
    nonce = { secret: key, lifetime: positive('dpop.nonce.lifetime', options.nonce.lifetime, 300) }
  }
  return {
    mode,
    algorithms,
    maxAgeMs: positive('dpop.maxAge', options.maxAge, 60) * 1000,
    clockToleranceMs: positive('dpop.clockTolerance', options.clockTolerance, 5, true) * 1000,
    maxProofLength: Math.floor(positive('dpop.maxProofLength', options.maxProofLength, 4096)),
    replayStore:
      options.replayStore ??
      new MemoryReplayStore(Math.floor(positive('dpop.replayCacheMax', options.replayCacheMax, 100_000))),
    publicUrl:
      options.publicUrl === undefined
        ? undefined
        : httpUrl('dpop.publicUrl', options.publicUrl).replace(/\/+$/, ''),
    trustForwardedHeaders: options.trustForwardedHeaders === true,
    nonce,
  }
}
