import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { parseBearer } from '../bearer.js'
import { type AccessTokenClaims, assertScopes, checkClaimTypes, RFC9068_REQUIRED_CLAIMS } from '../claims.js'
import { type VerifierError, verifierError } from '../errors.js'
import { mapError } from '../map-error.js'
import type { VerifierOptions } from '../options.js'
import { errorResponse } from '../response.js'
import { createVerifier, type Verifier } from '../verifier.js'
import { authorizationHeader } from './authorization.js'

/**
 * A hook that authenticates (and maybe authorizes) a request, answering failures itself. Fastify calls it with
 * `done`, and then it continues synchronously on a verified-token cache hit; called without `done`
 * (`await app.authenticate(request, reply)`) it returns a promise.
 *
 * @example
 * ```ts
 * const guard: AuthPreHandler = requireScopes('orders:read')
 * app.get('/orders', { preHandler: guard }, handler)
 * ```
 */
export interface AuthPreHandler {
  (this: unknown, request: FastifyRequest, reply: FastifyReply): Promise<void>
  (this: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
}

/**
 * Per-route configuration: `config: { auth: { scopes: ['orders:read'] } }` (or `auth: true`).
 *
 * @example
 * ```ts
 * app.get('/orders', { config: { auth: { scopes: ['orders:read'] } satisfies RouteAuthConfig } }, handler)
 * ```
 */
export interface RouteAuthConfig {
  scopes?: string[]
}

declare module 'fastify' {
  interface FastifyInstance {
    verifier: Verifier
    /** preHandler: verifies the bearer token and sets `request.auth`, or answers 400/401/503. */
    authenticate: AuthPreHandler
    /** preHandler factory: authenticates if needed, then requires every scope (403 `insufficient_scope`). */
    requireScopes: (...scopes: string[]) => AuthPreHandler
  }
  interface FastifyRequest {
    /** The verified access-token claims, or `null` before/without authentication. */
    auth: AccessTokenClaims | null
  }
  interface FastifyContextConfig {
    auth?: RouteAuthConfig | boolean
  }
}

/**
 * Options of the Fastify plugin: verifier options (or a ready verifier) plus the challenge's `realm`.
 *
 * @example
 * ```ts
 * const opts: FastifyVerifierOptions = { verifier: createVerifier({ issuer, audience }), realm: 'orders-api' }
 * ```
 */
export type FastifyVerifierOptions = (VerifierOptions | { verifier: Verifier }) & {
  /** `realm` of the `WWW-Authenticate` challenge (RFC 6750 §3). Default: the first audience. */
  realm?: string
}

// A step of a guard: `undefined` when it finished synchronously (authenticated, or nothing to do), otherwise a
// promise that settles once it has (a JWKS fetch was needed, or a refusal was written).
type Step = (request: FastifyRequest, reply: FastifyReply) => Promise<void> | undefined

const RESOLVED: Promise<void> = Promise.resolve()

// Turns a step into a hook. Fastify passes `done` to every hook: a step that finished synchronously continues the
// request at once (no promise, no microtask, on every request that needs no I/O), and after a refusal `done` is not
// called, which is how a callback-style hook answers early. Code calling the hook itself gets a promise.
function asHook(step: Step): AuthPreHandler {
  return function authHook(request: FastifyRequest, reply: FastifyReply, done?: HookHandlerDoneFunction) {
    const pending = step(request, reply)
    // Without a callback (called directly, or as a hook whose third argument is something else): a promise.
    if (typeof done !== 'function') return pending ?? RESOLVED
    if (pending === undefined) done()
    else pending.then(() => (reply.sent ? undefined : done()), done)
    return undefined
  } as AuthPreHandler
}

// The one place a failure becomes an answer. `error` has been recorded already (failures are counted once, where
// they happen): `verifier.check` records its own, scope failures are recorded by the caller via `verifier.reject`.
async function refuse(
  reply: FastifyReply,
  error: VerifierError,
  realm: string,
  scope?: readonly string[],
): Promise<void> {
  if (error.statusCode >= 500) reply.log.warn({ err: error.cause ?? error, code: error.code }, error.message)
  const { statusCode, headers, body } = errorResponse(error, { realm, ...(scope ? { scope } : {}) })
  await reply.code(statusCode).headers(headers).send(body)
}

interface Guard {
  realm: string
  authenticate: Step
}

// What `requireScopes` (exported, so not bound to an instance) finds through `request.server.verifier`.
const guards = new WeakMap<Verifier, Guard>()

function scopeStep(
  request: FastifyRequest,
  reply: FastifyReply,
  verifier: Verifier,
  realm: string,
  scopes: readonly string[] | undefined,
): Promise<void> | undefined {
  if (scopes === undefined || scopes.length === 0 || request.auth === null) return undefined
  try {
    assertScopes(request.auth, scopes)
    return undefined
  } catch (err) {
    return refuse(reply, verifier.reject(err), realm, scopes)
  }
}

// Authenticates (route config: always; requireScopes: unless `authenticate` already ran), then checks the scopes.
function guardStep(
  request: FastifyRequest,
  reply: FastifyReply,
  verifier: Verifier,
  guard: Guard,
  scopes: readonly string[] | undefined,
  always: boolean,
): Promise<void> | undefined {
  const pending = always || request.auth === null ? guard.authenticate(request, reply) : undefined
  if (pending === undefined) return scopeStep(request, reply, verifier, guard.realm, scopes)
  return pending.then(() => scopeStep(request, reply, verifier, guard.realm, scopes))
}

/**
 * The preHandler factory, usable without the plugin instance at hand: `{ preHandler: requireScopes('orders:read') }`.
 * It runs `authenticate` first when the request is not authenticated yet.
 *
 * @example
 * ```ts
 * import { requireScopes } from '@stateless-auth/verifier/fastify'
 * app.get('/orders', { preHandler: requireScopes('orders:read') }, async (request) => list(request.auth!.sub))
 * ```
 */
export function requireScopes(...scopes: string[]): AuthPreHandler {
  return asHook((request, reply) => {
    const verifier = request.server.verifier
    const guard = guards.get(verifier)
    if (guard === undefined) throw new Error('requireScopes needs the @stateless-auth/verifier plugin')
    return guardStep(request, reply, verifier, guard, scopes, false)
  })
}

async function verifierPlugin(fastify: FastifyInstance, opts: FastifyVerifierOptions): Promise<void> {
  const owned = !('verifier' in opts)
  // Options are validated before anything is decorated, so a bad config fails registration, not requests.
  const verifier = 'verifier' in opts ? opts.verifier : createVerifier(opts)
  const { options } = verifier
  const realm = opts.realm ?? options.audience[0] ?? 'api'

  // @fastify/jwt stays for its request/instance API (`request.jwtVerify()`, `request.jwtDecode()`, `fastify.jwt`),
  // wired to our key store and the same checks, and for the `request.auth` decorator. Our own guards do not go
  // through it: per request it decodes the token twice, merges option objects and runs a callback chain around our
  // key callback, then fast-jwt verifies on the event loop (README, "How a token is verified"). The key callback never
  // looks at the token's iss/jku/x5u/jwk (RFC 8725 §3.10).
  await fastify.register(fastifyJwt, {
    decoratorName: 'auth',
    decode: { complete: true },
    secret: {
      public: (
        _request: FastifyRequest,
        token: unknown,
        callback: (e: Error | null, key?: string) => void,
      ) => {
        const header = (token as { header?: Record<string, unknown> }).header ?? {}
        verifier.resolveKey(header).then(
          (key) => callback(null, key.pem),
          (err: Error) => callback(err),
        )
      },
    },
    verify: {
      // The strict RFC 6750 §2.1 parser (size cap, one header, b64token) instead of @fastify/jwt's split(' ').
      extractToken: (request: FastifyRequest) =>
        parseBearer(authorizationHeader(request.raw), options.maxTokenLength),
      algorithms: [...options.algorithms],
      allowedIss: options.issuer,
      allowedAud: [...options.audience],
      checkTyp: 'at+jwt',
      requiredClaims: [...RFC9068_REQUIRED_CLAIMS, ...options.requiredClaims],
      clockTolerance: options.clockToleranceMs,
    },
    // What fast-jwt leaves out (claim types, iat not in the future); a refusal is @fastify/jwt's 401 "untrusted".
    trusted: (_request: FastifyRequest, payload: Record<string, unknown>) => {
      try {
        checkClaimTypes(payload, Date.now(), options.clockToleranceMs)
        return true
      } catch {
        return false
      }
    },
  })

  // The hot path: the core's `check` (verified-token cache, header pre-checks, the key's signature check on the
  // thread pool, claims): synchronous on a cache hit, a promise otherwise. Every failure, including those
  // @fastify/jwt would answer with a 500, arrives as a VerifierError with its 4xx/503 answer.
  const guard: Guard = {
    realm,
    authenticate(request, reply) {
      request.auth = null
      let claims: AccessTokenClaims | Promise<AccessTokenClaims>
      try {
        claims = verifier.check(authorizationHeader(request.raw))
      } catch (err) {
        return refuse(reply, mapError(err), realm)
      }
      if (!(claims instanceof Promise)) {
        request.auth = claims
        return undefined
      }
      return claims.then(
        (verified) => {
          request.auth = verified
        },
        (err: unknown) => refuse(reply, mapError(err), realm),
      )
    },
  }
  guards.set(verifier, guard)

  fastify.decorate('verifier', verifier)
  fastify.decorate('authenticate', asHook(guard.authenticate))
  fastify.decorate('requireScopes', requireScopes)

  // Routes that declare `config.auth` authenticate in onRequest, before the body is read, parsed or validated: an
  // anonymous caller learns only that it needs a token (401), never how its body would have been judged. One hook
  // for the whole instance rather than a per-route one added by onRoute: onRoute never sees routes declared before
  // this plugin was registered, and those would have been served without any check.
  fastify.addHook(
    'onRequest',
    asHook((request, reply) => {
      const auth = request.routeOptions.config?.auth
      if (auth === undefined || auth === false) return undefined
      return guardStep(request, reply, verifier, guard, auth === true ? undefined : auth.scopes, true)
    }),
  )

  if (owned) fastify.addHook('onClose', async () => verifier.close())
}

/**
 * Fastify plugin: decorates `fastify.verifier`, `fastify.authenticate`, `fastify.requireScopes` and
 * `request.auth`, and protects routes that declare `config: { auth: { scopes } }`.
 *
 * @example
 * ```ts
 * import verifierPlugin from '@stateless-auth/verifier/fastify'
 *
 * await app.register(verifierPlugin, { issuer: 'http://localhost:4000', audience: 'urn:stateless-auth:orders-api' })
 * app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async (request) => request.auth!.sub)
 * ```
 */
export const fastifyVerifier = fp(verifierPlugin, {
  name: '@stateless-auth/verifier',
  fastify: '5.x',
})

export default fastifyVerifier

/**
 * The verified claims of an authenticated request, typed; throws the verifier's 401 error when the route was
 * not authenticated (a missing `config.auth` or a preHandler order mistake), so a handler never reads `null`.
 *
 * @example
 * ```ts
 * app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async (request) => {
 *   const { sub } = claimsOf(request)
 * })
 * ```
 */
export function claimsOf(request: FastifyRequest): AccessTokenClaims {
  const claims = request.auth
  if (!claims) throw verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'No access token was sent')
  return claims
}
