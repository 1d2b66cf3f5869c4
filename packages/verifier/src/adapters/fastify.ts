import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import fp from 'fastify-plugin'
import { type AccessTokenClaims, assertScopes } from '../claims.js'
import { type VerifierError, verifierError } from '../errors.js'
import { type AdapterApi, adapterApi } from '../internal/adapter-api.js'
import { mapError } from '../map-error.js'
import type { VerifierOptions } from '../options.js'
import { errorResponse } from '../response.js'
import { createVerifier, type Verifier } from '../verifier.js'
import { dpopRequest, headerLines } from './request.js'

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
// they happen): `check` records its own, scope failures are recorded by the caller via `reject`.
async function refuse(
  reply: FastifyReply,
  error: VerifierError,
  guard: Guard,
  scope?: readonly string[],
): Promise<void> {
  if (error.statusCode >= 500) reply.log.warn({ err: error.cause ?? error, code: error.code }, error.message)
  const { statusCode, headers, body } = errorResponse(error, {
    realm: guard.realm,
    dpop: guard.api.options.dpop,
    ...(scope ? { scope } : {}),
  })
  await reply.code(statusCode).headers(headers).send(body)
}

interface Guard {
  api: AdapterApi
  realm: string
  authenticate: Step
}

// What `requireScopes` (exported, so not bound to an instance) finds through `request.server.verifier`.
const guards = new WeakMap<Verifier, Guard>()

function scopeStep(
  request: FastifyRequest,
  reply: FastifyReply,
  guard: Guard,
  scopes: readonly string[] | undefined,
): Promise<void> | undefined {
  if (scopes === undefined || scopes.length === 0 || request.auth === null) return undefined
  try {
    assertScopes(request.auth, scopes)
    return undefined
  } catch (err) {
    return refuse(reply, guard.api.reject(err), guard, scopes)
  }
}

// Authenticates (route config: always; requireScopes: unless `authenticate` already ran), then checks the scopes.
function guardStep(
  request: FastifyRequest,
  reply: FastifyReply,
  guard: Guard,
  scopes: readonly string[] | undefined,
  always: boolean,
): Promise<void> | undefined {
  const pending = always || request.auth === null ? guard.authenticate(request, reply) : undefined
  if (pending === undefined) return scopeStep(request, reply, guard, scopes)
  return pending.then(() => scopeStep(request, reply, guard, scopes))
}

/**
 * The preHandler factory, usable without the plugin instance at hand: `{ preHandler: requireScopes('orders:read') }`.
 * It runs `authenticate` first when the request is not authenticated yet.
 *
 * @example
 * ```ts
 * import { claimsOf, requireScopes } from '@stateless-auth/verifier/fastify'
 * app.get('/orders', { preHandler: requireScopes('orders:read') }, async (request) => list(claimsOf(request).sub))
 * ```
 */
export function requireScopes(...scopes: string[]): AuthPreHandler {
  return asHook((request, reply) => {
    const guard = guards.get(request.server.verifier)
    if (guard === undefined) throw new Error('requireScopes needs the @stateless-auth/verifier plugin')
    return guardStep(request, reply, guard, scopes, false)
  })
}

/**
 * The verified claims of an authenticated request: what route code reads instead of `request.auth!`. Throws the
 * verifier's 401 `VERIFIER_ERR_NO_CREDENTIALS` error when the request was not authenticated (a route that forgot
 * its guard), which the plugin's error answer and `errorResponse` turn into a 401 with a challenge.
 *
 * @example
 * ```ts
 * import { claimsOf } from '@stateless-auth/verifier/fastify'
 *
 * app.get('/me', { config: { auth: true } }, async (request) => {
 *   const { sub, scope } = claimsOf(request)
 *   return { sub, scope }
 * })
 * ```
 */
export function claimsOf(request: FastifyRequest): AccessTokenClaims {
  const claims = request.auth
  if (claims === null || claims === undefined) {
    throw verifierError('VERIFIER_ERR_NO_CREDENTIALS', 'This request was not authenticated')
  }
  return claims
}

async function verifierPlugin(fastify: FastifyInstance, opts: FastifyVerifierOptions): Promise<void> {
  const owned = !('verifier' in opts)
  // Options are validated before anything is decorated, so a bad config fails registration, not requests.
  const verifier = 'verifier' in opts ? opts.verifier : createVerifier(opts)
  const api = adapterApi(verifier)
  const { options } = api
  const realm = opts.realm ?? options.audience[0] ?? 'api'
  // Without DPoP no request context is needed: nothing is built per request.
  const dpop = options.dpop.mode !== 'disabled'

  // The core's `check`: synchronous on a verified-token cache hit, a promise otherwise; every failure arrives as a
  // VerifierError with its 4xx/503 answer.
  const guard: Guard = {
    api,
    realm,
    authenticate(request, reply) {
      request.auth = null
      let claims: AccessTokenClaims | Promise<AccessTokenClaims>
      try {
        claims = api.check(
          headerLines(request.raw, 'authorization'),
          dpop ? dpopRequest(request.raw, options.dpop) : undefined,
        )
      } catch (err) {
        return refuse(reply, mapError(err), guard)
      }
      if (!(claims instanceof Promise)) {
        request.auth = claims
        return undefined
      }
      return claims.then(
        (verified) => {
          request.auth = verified
        },
        (err: unknown) => refuse(reply, mapError(err), guard),
      )
    },
  }
  guards.set(verifier, guard)

  fastify.decorateRequest('auth', null)
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
      return guardStep(request, reply, guard, auth === true ? undefined : auth.scopes, true)
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
 * import verifierPlugin, { claimsOf } from '@stateless-auth/verifier/fastify'
 *
 * await app.register(verifierPlugin, { issuer: 'http://localhost:4000', audience: 'urn:stateless-auth:orders-api' })
 * app.get('/orders', { config: { auth: { scopes: ['orders:read'] } } }, async (request) => claimsOf(request).sub)
 * ```
 */
export const fastifyVerifier = fp(verifierPlugin, {
  name: '@stateless-auth/verifier',
  fastify: '5.x',
})

export default fastifyVerifier
