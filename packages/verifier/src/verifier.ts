import { createVerifier as createFastJwtVerifier } from 'fast-jwt'
import { parseBearer } from './bearer.js'
import { type AccessTokenClaims, checkClaimTypes, RFC9068_REQUIRED_CLAIMS } from './claims.js'
import { type VerifierError, type VerifierErrorCode, verifierError } from './errors.js'
import type { ImportedKey } from './keys/import-jwk.js'
import { type KeyEntry, KeyStore } from './keys/key-store.js'
import { mapError } from './map-error.js'
import { type ResolvedOptions, resolveOptions, type VerifierEvent, type VerifierOptions } from './options.js'
import { TokenCache } from './token-cache.js'

/**
 * Counters a resource server can export on `/metrics`.
 *
 * @example
 * ```ts
 * const { verified, jwksFetches, failures } = verifier.stats()
 * ```
 */
export interface VerifierStats {
  verified: number
  failures: Partial<Record<VerifierErrorCode, number>>
  keyCacheHits: number
  keyCacheMisses: number
  jwksFetches: number
  tokenCacheHits: number
}

/**
 * A configured access-token verifier. Create one per process (it holds the key cache) and share it.
 * `resolveKey` and `reject` exist for adapters; applications use the rest.
 *
 * @example
 * ```ts
 * const verifier: Verifier = createVerifier({ issuer, audience })
 * const claims = await verifier.authenticate('Bearer eyJ...')
 * metrics.set(verifier.stats())
 * await verifier.close()
 * ```
 */
export interface Verifier {
  /** Verifies a JWT access token (RFC 9068 §4) and returns its claims, or throws a {@link VerifierError}. */
  verify(token: string): Promise<AccessTokenClaims>
  /** Reads the token from an `Authorization` header value (RFC 6750 §2.1), then verifies it. */
  authenticate(authorizationHeader: string | string[] | undefined): Promise<AccessTokenClaims>
  /**
   * `authenticate` for adapters that run on every request: the claims come back directly when no I/O is needed (a
   * verified-token cache hit, or a key already held), a promise only while a JWKS fetch is. Failures are recorded
   * and thrown, or rejected, as {@link VerifierError}s.
   */
  check(authorizationHeader: string | string[] | undefined): AccessTokenClaims | Promise<AccessTokenClaims>
  /** Loads the JWKS if no usable key is held yet; rejects with `VERIFIER_ERR_JWKS_UNAVAILABLE` if it cannot. */
  ready(): Promise<void>
  /** A snapshot of the counters. */
  stats(): VerifierStats
  /** Aborts any JWKS fetch in flight and refuses further verifications. */
  close(): Promise<void>
  /** The validated options, for adapters (e.g. the Fastify plugin hands them to @fastify/jwt). */
  readonly options: Readonly<ResolvedOptions>
  /**
   * The key for a token header, fetching under the cooldown rules if unknown. Used by the Fastify adapter's
   * @fastify/jwt key callback.
   */
  resolveKey(header: { kid?: unknown; alg?: unknown; typ?: unknown }): Promise<ImportedKey>
  /** Records a failure (counters and event) and returns it as a {@link VerifierError}. */
  reject(err: unknown): VerifierError
}

type FastJwtVerify = (token: string) => Record<string, unknown>

// Distinct token headers remembered (one per signing key in practice; `maxKeys` defaults to 20).
const MAX_HEADERS = 64

// RFC 9068 §4: the resource server must check typ is at+jwt (case-insensitive, optional application/ prefix).
export function isAccessTokenTyp(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'at+jwt'
}

function decodeHeader(token: string): Record<string, unknown> {
  const dot = token.indexOf('.')
  if (dot <= 0)
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token is not a JWS compact token')
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'))
  } catch {
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The token header is not valid base64url JSON')
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The token header is not a JSON object')
  }
  return header as Record<string, unknown>
}

/**
 * Pre-flight header checks, before any key lookup: so an unsigned, HMAC or ID token never triggers a JWKS fetch.
 * Returns the kid.
 */
export function checkHeader(
  header: { kid?: unknown; alg?: unknown; typ?: unknown },
  options: ResolvedOptions,
) {
  // RFC 8725 §3.1: the algorithm must be on the allowlist; `none` and HS* never are.
  if (typeof header.alg !== 'string' || !(options.algorithms as string[]).includes(header.alg)) {
    throw verifierError('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED', `The token algorithm is not allowed`)
  }
  // RFC 9068 §4 / RFC 8725 §3.11: explicit typing keeps ID tokens and other JWTs out.
  if (!isAccessTokenTyp(header.typ)) {
    throw verifierError('VERIFIER_ERR_TYPE_INVALID', 'The token type (typ) must be at+jwt')
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 256) {
    throw verifierError('VERIFIER_ERR_HEADER_INVALID', 'The token header needs a kid naming its signing key')
  }
  return header.kid
}

/**
 * Creates a verifier for JWT access tokens issued by one authorization server for one (or several) audiences.
 * Options are validated here, so a misconfiguration throws `VERIFIER_ERR_INVALID_OPTIONS` at boot.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@stateless-auth/verifier'
 *
 * const verifier = createVerifier({
 *   issuer: 'http://localhost:4000',
 *   audience: 'urn:stateless-auth:orders-api',
 * })
 * await verifier.ready()
 * const claims = await verifier.authenticate(req.headers.authorization)
 * ```
 */
export function createVerifier(input: VerifierOptions): Verifier {
  const options = resolveOptions(input)
  const counters = { verified: 0, keyCacheHits: 0, keyCacheMisses: 0, jwksFetches: 0, tokenCacheHits: 0 }
  const failures: Partial<Record<VerifierErrorCode, number>> = {}
  const onEvent = options.onEvent
  let closed = false

  const emit = (event: VerifierEvent): void => {
    if (event.type === 'key_cache_hit') counters.keyCacheHits++
    else if (event.type === 'key_cache_miss') counters.keyCacheMisses++
    if (onEvent === undefined) return
    try {
      onEvent(event)
    } catch {
      // An observer must never change the outcome of a verification.
    }
  }

  const cache = options.cacheMax > 0 ? new TokenCache(options.cacheMax) : undefined

  const requiredClaims = [...new Set([...RFC9068_REQUIRED_CLAIMS, ...options.requiredClaims])]
  const build = (key: ImportedKey): FastJwtVerify =>
    // One fast-jwt verifier per key, created once: the key is imported once and only its algorithms apply.
    createFastJwtVerifier({
      key: key.pem,
      algorithms: key.algorithms,
      allowedIss: options.issuer,
      allowedAud: options.audience,
      checkTyp: 'at+jwt',
      requiredClaims,
      clockTolerance: options.clockToleranceMs,
      cache: false,
    }) as FastJwtVerify

  const keys = new KeyStore<FastJwtVerify>(options, {
    build,
    emit,
    onKeysRemoved: () => cache?.clear(),
    onFetch: () => {
      counters.jwksFetches++
    },
  })

  const reject = (err: unknown): VerifierError => {
    const error = mapError(err)
    failures[error.code] = (failures[error.code] ?? 0) + 1
    emit({ type: 'verification_failed', code: error.code })
    return error
  }

  const accept = (payload: Record<string, unknown>, kid: string | undefined): AccessTokenClaims => {
    checkClaimTypes(payload, Date.now(), options.clockToleranceMs)
    counters.verified++
    if (onEvent !== undefined) emit({ type: 'verified', kid, cached: false })
    return payload as AccessTokenClaims
  }

  const finish = (token: string, cacheKey: string | undefined, entry: KeyEntry<FastJwtVerify>) => {
    let claims = accept(entry.verifier(token), entry.key.kid)
    if (cache !== undefined && cacheKey !== undefined) {
      claims = Object.freeze(claims)
      cache.set(cacheKey, claims, entry.key.kid)
    }
    return claims
  }

  // The header checks depend only on the header segment, which every token signed with one key repeats: the kid of
  // a segment that passed them is remembered, sparing a base64url decode and a JSON.parse per token. Bounded and
  // cleared when full, so made-up headers cost no more than the decode they would have cost anyway.
  const headerKids = new Map<string, string>()
  const kidOf = (token: string): string => {
    const dot = token.indexOf('.')
    const segment = dot > 0 ? token.slice(0, dot) : undefined
    const known = segment === undefined ? undefined : headerKids.get(segment)
    if (known !== undefined) return known
    const kid = checkHeader(decodeHeader(token), options)
    if (segment !== undefined) {
      if (headerKids.size >= MAX_HEADERS) headerKids.clear()
      headerKids.set(segment, kid)
    }
    return kid
  }

  const fromCache = (cacheKey: string): AccessTokenClaims | undefined => {
    const hit = cache?.get(cacheKey, Date.now())
    if (hit === undefined) return undefined
    counters.tokenCacheHits++
    counters.verified++
    if (onEvent !== undefined) emit({ type: 'verified', kid: hit.kid, cached: true })
    return hit.claims
  }

  // `missedKey`: the token's cache key, when the caller has just looked it up and missed.
  const verifySync = (token: string, missedKey?: string): AccessTokenClaims | Promise<AccessTokenClaims> => {
    if (closed) throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The verifier is closed')
    if (typeof token !== 'string' || token.length === 0) {
      throw verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token must be a non-empty string')
    }
    // Size cap before any parsing, hashing or decoding.
    if (token.length > options.maxTokenLength) {
      throw verifierError(
        'VERIFIER_ERR_TOKEN_TOO_LARGE',
        `The access token exceeds ${options.maxTokenLength} bytes`,
      )
    }
    let cacheKey = missedKey
    if (cache !== undefined && cacheKey === undefined) {
      cacheKey = TokenCache.keyOf(token)
      const hit = fromCache(cacheKey)
      if (hit !== undefined) return hit
    }
    const kid = kidOf(token)
    const entry = keys.peek(kid)
    if (entry !== undefined) return finish(token, cacheKey, entry)
    return keys.resolve(kid).then((resolved) => finish(token, cacheKey, resolved))
  }

  const verify = async (token: string): Promise<AccessTokenClaims> => {
    try {
      return await verifySync(token)
    } catch (err) {
      throw reject(err)
    }
  }

  const check = (header: string | string[] | undefined) => {
    try {
      let candidate: string | undefined
      let cacheKey: string | undefined
      // A cache hit on the usual form "Bearer <token>" skips the RFC 6750 parse: the cache holds only tokens that
      // passed it (and verification), and a hit is that exact string. The size cap still comes first.
      if (
        cache !== undefined &&
        !closed &&
        typeof header === 'string' &&
        header.startsWith('Bearer ') &&
        header.length <= options.maxTokenLength + 7
      ) {
        candidate = header.slice(7)
        cacheKey = TokenCache.keyOf(candidate)
        const hit = fromCache(cacheKey)
        if (hit !== undefined) return hit
      }
      const token = parseBearer(header, options.maxTokenLength)
      const result = verifySync(token, token === candidate ? cacheKey : undefined)
      return result instanceof Promise ? result.catch(rethrowRejected) : result
    } catch (err) {
      throw reject(err)
    }
  }
  const rethrowRejected = (err: unknown): never => {
    throw reject(err)
  }

  return {
    options,
    verify,
    authenticate: async (header) => check(header),
    check,
    async ready() {
      if (closed) throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The verifier is closed')
      await keys.ready()
    },
    stats: () => ({ ...counters, failures: { ...failures } }),
    async close() {
      closed = true
      keys.close()
      cache?.clear()
    },
    async resolveKey(header) {
      const kid = checkHeader(header, options)
      const { key } = keys.peek(kid) ?? (await keys.resolve(kid))
      // RFC 8725 §3.1: a key verifies only with its own algorithm, whatever else the allowlist holds.
      if (!(key.algorithms as string[]).includes(header.alg as string)) {
        throw verifierError(
          'VERIFIER_ERR_ALGORITHM_NOT_ALLOWED',
          'The token algorithm does not match its key',
        )
      }
      return key
    },
    reject,
  }
}
