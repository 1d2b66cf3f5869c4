import { parseCredentials } from './bearer.js'
import { type AccessTokenClaims, type ClaimRules, checkClaims, RFC9068_REQUIRED_CLAIMS } from './claims.js'
import { type DpopRequest, ProofChecker, type ProofFacts } from './dpop/proof.js'
import { VerifierError, type VerifierErrorCode, verifierError } from './errors.js'
import { registerAdapterApi } from './internal/adapter-api.js'
import { type CompactJws, decodeSegment, type SignatureCheck, signatureCheck, splitCompact } from './jws.js'
import { JwksCache, type KeyEntry } from './keys/jwks-cache.js'
import { mapError } from './map-error.js'
import {
  type ResolvedOptions,
  resolveOptions,
  type SupportedAlgorithm,
  type VerifierEvent,
  type VerifierOptions,
} from './options.js'
import { StatusLists, type StatusRef } from './status/status-lists.js'
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
  /** Status list fetches attempted (including 304 revalidations and failures). */
  statusListFetches: number
  tokenCacheHits: number
}

/**
 * A configured access-token verifier. Create one per process (it holds the key cache) and share it.
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
  /**
   * Verifies a JWT access token (RFC 9068 §4) and returns its claims, or throws a {@link VerifierError}. A token
   * bound to a key (`cnf`) is refused: without its request there is no proof to check; use `authenticate`.
   */
  verify(token: string): Promise<AccessTokenClaims>
  /**
   * Reads the token from an `Authorization` header value (RFC 6750 §2.1, or RFC 9449 §7.1's `DPoP` scheme), then
   * verifies it, and with the `DPoP` scheme the proof against `request`.
   */
  authenticate(
    authorizationHeader: string | string[] | undefined,
    request?: DpopRequest,
  ): Promise<AccessTokenClaims>
  /** Loads the JWKS if no usable key is held yet; rejects with `VERIFIER_ERR_JWKS_UNAVAILABLE` if it cannot. */
  ready(): Promise<void>
  /** A snapshot of the counters. */
  stats(): VerifierStats
  /** Aborts any JWKS fetch in flight and refuses further verifications. */
  close(): Promise<void>
}

// The key a token is bound to (RFC 9449 §6.1: cnf.jkt), if any.
function boundKey(claims: AccessTokenClaims): string | undefined {
  const cnf = claims.cnf
  if (typeof cnf !== 'object' || cnf === null) return undefined
  const jkt = (cnf as { jkt?: unknown }).jkt
  return typeof jkt === 'string' ? jkt : undefined
}

function mapReplayFailure(err: unknown): VerifierError {
  if (err instanceof VerifierError) return err
  return verifierError('VERIFIER_ERR_DPOP_REPLAY_UNAVAILABLE', 'DPoP proofs cannot be checked right now', {
    cause: err,
    retryAfter: 5,
  })
}

/** What the verifier needs from a token header that passed {@link checkHeader}. */
interface HeaderFacts {
  kid: string
  alg: SupportedAlgorithm
}

// Distinct token headers remembered (one per signing key in practice; `maxKeys` defaults to 20).
const MAX_HEADERS = 64

// RFC 9068 §4: the resource server must check typ is at+jwt (case-insensitive, optional application/ prefix).
function isAccessTokenTyp(typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === 'at+jwt'
}

/**
 * Pre-flight header checks, before any key lookup: so an unsigned, HMAC or ID token never triggers a JWKS fetch.
 * Returns the kid.
 */
function checkHeader(
  header: { kid?: unknown; alg?: unknown; typ?: unknown; crit?: unknown },
  options: ResolvedOptions,
): string {
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
  // RFC 7515 §4.1.11: a recipient must reject a token whose `crit` names an extension it does not understand; this
  // verifier understands none (access tokens have no use for b64:false or the like).
  if (header.crit !== undefined) {
    throw verifierError('VERIFIER_ERR_HEADER_INVALID', 'The token has an unsupported critical header')
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
  const counters = {
    verified: 0,
    keyCacheHits: 0,
    keyCacheMisses: 0,
    jwksFetches: 0,
    statusListFetches: 0,
    tokenCacheHits: 0,
  }
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

  const rules: ClaimRules = {
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: [...new Set([...RFC9068_REQUIRED_CLAIMS, ...options.requiredClaims])],
    clockToleranceMs: options.clockToleranceMs,
  }

  // One signature check per key, set up when the key is loaded (digest, padding, signature size).
  const keys = new JwksCache<SignatureCheck>(options, {
    build: (key) => signatureCheck(key.alg, key.keyObject),
    emit,
    onKeysRemoved: () => cache?.clear(),
    onFetch: () => {
      counters.jwksFetches++
    },
  })

  // Status lists are verified with the same keys and the same JWS code as the tokens themselves.
  const lists =
    options.status === undefined
      ? undefined
      : new StatusLists(options, options.status, keys, {
          emit,
          onFetch: () => {
            counters.statusListFetches++
          },
        })

  // The token passed every other check; its status is the last one (one bit lookup once the list is held).
  const withStatus = (
    claims: AccessTokenClaims,
    ref: StatusRef | undefined,
  ): AccessTokenClaims | Promise<AccessTokenClaims> => {
    if (lists === undefined || ref === undefined) return claims
    const pending = lists.check(ref)
    return pending === undefined ? claims : pending.then(() => claims)
  }

  const reject = (err: unknown, scheme?: 'Bearer' | 'DPoP'): VerifierError => {
    const error = mapError(err)
    error.scheme ??= scheme
    failures[error.code] = (failures[error.code] ?? 0) + 1
    emit({ type: 'verification_failed', code: error.code })
    return error
  }

  // The claims are read only once the signature holds: a forged token learns nothing but "invalid signature".
  const accept = (
    jws: CompactJws,
    kid: string,
    cacheKey: string | undefined,
  ): AccessTokenClaims | Promise<AccessTokenClaims> => {
    const claims = checkClaims(decodeSegment(jws.payload, 'payload'), rules, Date.now())
    const ref = lists?.reference(claims)
    if (cache === undefined || cacheKey === undefined) return counted(withStatus(claims, ref), kid, false)
    const frozen = Object.freeze(claims)
    // Accepted within the clock tolerance after exp: already dead as a cache entry, and must not evict a live one.
    // Cached before the status check: the entry keeps the reference, and every hit checks it again.
    if (frozen.exp * 1000 > Date.now()) cache.set(cacheKey, frozen, kid, ref)
    return counted(withStatus(frozen, ref), kid, false)
  }

  // Counts a token as verified once its status check (if any) passed too.
  const counted = (
    result: AccessTokenClaims | Promise<AccessTokenClaims>,
    kid: string,
    cached: boolean,
  ): AccessTokenClaims | Promise<AccessTokenClaims> => {
    const done = (claims: AccessTokenClaims) => {
      if (cached) counters.tokenCacheHits++
      counters.verified++
      if (onEvent !== undefined) emit({ type: 'verified', kid, cached })
      return claims
    }
    return result instanceof Promise ? result.then(done) : done(result)
  }

  const finish = (
    jws: CompactJws,
    header: HeaderFacts,
    cacheKey: string | undefined,
    entry: KeyEntry<SignatureCheck>,
  ): Promise<AccessTokenClaims> => {
    // RFC 8725 §3.1: a key verifies only with its own algorithm, whatever else the allowlist holds.
    if (header.alg !== entry.verifier.alg) {
      return Promise.reject(
        verifierError('VERIFIER_ERR_ALGORITHM_NOT_ALLOWED', 'The token algorithm does not match its key'),
      )
    }
    return entry.verifier.verify(jws).then(() => {
      // The check ran on the thread pool: a refetch may have withdrawn the key meanwhile (say, compromised), or the
      // verifier been closed. Then the token is refused, and nothing is cached that the refetch meant to drop.
      if (closed || keys.current(header.kid) !== entry) {
        throw verifierError('VERIFIER_ERR_KEY_NOT_FOUND', 'The signing key was withdrawn')
      }
      return accept(jws, header.kid, cacheKey)
    })
  }

  // The header checks depend only on the header segment, which every token signed with one key repeats: what a
  // segment that passed them says is remembered, sparing a base64url decode and a JSON.parse per token. Bounded and
  // cleared when full, so made-up headers cost no more than the decode they would have cost anyway.
  const headers = new Map<string, HeaderFacts>()
  const headerOf = (segment: string): HeaderFacts => {
    const known = headers.get(segment)
    if (known !== undefined) return known
    const header = decodeSegment(segment, 'header')
    const facts = { kid: checkHeader(header, options), alg: header.alg as SupportedAlgorithm }
    if (headers.size >= MAX_HEADERS) headers.clear()
    headers.set(segment, facts)
    return facts
  }

  const fromCache = (cacheKey: string): AccessTokenClaims | Promise<AccessTokenClaims> | undefined => {
    const hit = cache?.get(cacheKey, Date.now())
    if (hit === undefined) return undefined
    return counted(withStatus(hit.claims, hit.status), hit.kid, true)
  }

  // Synchronous up to the signature check: the claims of a cache hit, or a promise of them. `missedKey`: the token's
  // cache key, when the caller has just looked it up and missed.
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
    const jws = splitCompact(token)
    const header = headerOf(jws.header)
    const entry = keys.peek(header.kid)
    if (entry !== undefined) return finish(jws, header, cacheKey, entry)
    return keys.resolve(header.kid).then((resolved) => finish(jws, header, cacheKey, resolved))
  }

  const verify = async (token: string): Promise<AccessTokenClaims> => {
    try {
      return asBearer(await verifySync(token))
    } catch (err) {
      throw reject(err)
    }
  }

  const dpop = options.dpop
  const proofs = dpop.mode === 'disabled' ? undefined : new ProofChecker(dpop)

  // RFC 9449 §7.1 and §7.2: a token bound to a key (cnf.jkt) is never accepted as Bearer, whatever the mode.
  const asBearer = (claims: AccessTokenClaims): AccessTokenClaims => {
    if (claims.cnf === undefined) return claims
    throw verifierError(
      'VERIFIER_ERR_DPOP_BINDING_INVALID',
      boundKey(claims) === undefined
        ? 'A sender-constrained token (cnf) cannot be sent as a Bearer token'
        : 'A DPoP-bound token must be sent with the DPoP scheme',
    )
  }

  // The token and the proof are checked side by side (two signature checks on the pool at once); a token problem is
  // reported before a proof problem, whichever settles first, so answers do not depend on timing.
  const withProof = (
    token: string,
    claims: AccessTokenClaims | Promise<AccessTokenClaims>,
    request: DpopRequest | undefined,
    checker: ProofChecker,
  ): Promise<AccessTokenClaims> => {
    let proof: Promise<ProofFacts>
    try {
      if (request === undefined)
        throw verifierError(
          'VERIFIER_ERR_DPOP_PROOF_INVALID',
          'A DPoP proof is required with the DPoP scheme',
        )
      proof = checker.check(request.dpop, token, request)
    } catch (err) {
      proof = Promise.reject(err)
    }
    proof.catch(() => {})
    return Promise.resolve(claims).then(async (verified) => {
      const facts = await proof
      const jkt = boundKey(verified)
      if (jkt === undefined) {
        throw verifierError('VERIFIER_ERR_DPOP_BINDING_INVALID', 'The access token is not DPoP-bound')
      }
      if (jkt !== facts.jkt)
        throw verifierError('VERIFIER_ERR_DPOP_BINDING_INVALID', 'Invalid DPoP key binding')
      // Last, so that only proofs that passed every other check take room in the store (RFC 9449 §11.1).
      let fresh: boolean
      try {
        fresh = await dpop.replayStore.add(facts.replayKey, facts.replayUntil)
      } catch (err) {
        throw mapReplayFailure(err)
      }
      if (!fresh)
        throw verifierError('VERIFIER_ERR_DPOP_PROOF_INVALID', 'The DPoP proof has already been used')
      return verified
    })
  }

  const check = (
    header: string | string[] | undefined,
    request?: DpopRequest,
  ): AccessTokenClaims | Promise<AccessTokenClaims> => {
    let scheme: 'Bearer' | 'DPoP' | undefined
    try {
      let candidate: string | undefined
      let cacheKey: string | undefined
      // A cache hit on the usual form "Bearer <token>" skips the RFC 6750 parse: the cache holds only tokens that
      // passed it (and verification), and a hit is that exact string. The size cap still comes first.
      if (
        cache !== undefined &&
        !closed &&
        dpop.mode !== 'required' &&
        typeof header === 'string' &&
        header.startsWith('Bearer ') &&
        header.length <= options.maxTokenLength + 7
      ) {
        candidate = header.slice(7)
        cacheKey = TokenCache.keyOf(candidate)
        const hit = fromCache(cacheKey)
        if (hit !== undefined) {
          scheme = 'Bearer'
          if (hit instanceof Promise) return hit.then(asBearer).catch(rejectAs('Bearer'))
          return hit.cnf === undefined ? hit : asBearer(hit)
        }
      }
      const credentials = parseCredentials(header, options.maxTokenLength, proofs !== undefined)
      scheme = credentials.scheme
      const { token } = credentials
      if (scheme === 'Bearer' && dpop.mode === 'required') {
        throw verifierError(
          'VERIFIER_ERR_DPOP_BINDING_INVALID',
          'This resource accepts only DPoP-bound access tokens',
        )
      }
      const result = verifySync(token, token === candidate ? cacheKey : undefined)
      if (scheme === 'DPoP' && proofs !== undefined) {
        return withProof(token, result, request, proofs).catch(rejectAs('DPoP'))
      }
      if (result instanceof Promise) return result.then(asBearer).catch(rejectAs('Bearer'))
      return asBearer(result)
    } catch (err) {
      throw reject(err, scheme)
    }
  }
  const rejectAs =
    (scheme: 'Bearer' | 'DPoP') =>
    (err: unknown): never => {
      throw reject(err, scheme)
    }

  const verifier: Verifier = {
    verify,
    authenticate: async (header, request) => check(header, request),
    async ready() {
      if (closed) throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The verifier is closed')
      await keys.ready()
    },
    stats: () => ({ ...counters, failures: { ...failures } }),
    async close() {
      closed = true
      keys.close()
      lists?.close()
      cache?.clear()
    },
  }
  registerAdapterApi(verifier, { options, check, reject })
  return verifier
}
