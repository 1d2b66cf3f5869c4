import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { parseBearer } from '../bearer.js'
import { type AccessTokenClaims, assertScopes } from '../claims.js'
import type { VerifierOptions } from '../options.js'
import { errorResponse } from '../response.js'
import { createVerifier, type Verifier } from '../verifier.js'
import { authorizationHeader } from './authorization.js'

/**
 * A preHandler that authenticates (and maybe authorizes) a request, answering failures itself.
 *
 * @example
 * ```ts
 * const guard: AuthPreHandler = requireScopes('orders:read')
 * ```
 */
export type AuthPreHandler = (this: unknown, request: FastifyRequest, reply: FastifyReply) => Promise<void>

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

// The token already extracted (and size-checked) by us, handed to @fastify/jwt through `extractToken`.
const extracted = new WeakMap<FastifyRequest, string>()

async function sendFailure(
  reply: FastifyReply,
  verifier: Verifier,
  err: unknown,
  realm: string,
  scope?: readonly string[],
): Promise<void> {
  const error = verifier.reject(err)
  if (error.statusCode >= 500) reply.log.warn({ err: error.cause ?? error, code: error.code }, error.message)
  const { statusCode, headers, body } = errorResponse(error, { realm, ...(scope ? { scope } : {}) })
  await reply.code(statusCode).headers(headers).send(body)
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
  return async function requireScopesHandler(request, reply) {
    const server = request.server
    if (request.auth === null) {
      await server.authenticate.call(server, request, reply)
      if (reply.sent || request.auth === null) return
    }
    try {
      assertScopes(request.auth, scopes)
    } catch (err) {
      await sendFailure(reply, server.verifier, err, realmOf.get(server.verifier) ?? 'api', scopes)
    }
  }
}

const realmOf = new WeakMap<Verifier, string>()

async function verifierPlugin(fastify: FastifyInstance, opts: FastifyVerifierOptions): Promise<void> {
  const owned = !('verifier' in opts)
  // Options are validated before anything is decorated, so a bad config fails registration, not requests.
  const verifier = 'verifier' in opts ? opts.verifier : createVerifier(opts)
  const { options } = verifier
  const realm = opts.realm ?? options.audience[0] ?? 'api'
  realmOf.set(verifier, realm)

  // Signature and registered-claim checks run in @fastify/jwt (fast-jwt). Keys come from our key store instead of
  // get-jwks (see README "Security notes"): the secret callback never looks at the token's iss/jku/x5u/jwk.
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
      extractToken: (request: FastifyRequest) => extracted.get(request),
      algorithms: [...options.algorithms],
      allowedIss: options.issuer,
      allowedAud: [...options.audience],
      checkTyp: 'at+jwt',
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti', ...options.requiredClaims],
      clockTolerance: options.clockToleranceMs,
    },
  })

  async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.auth = null
    try {
      const token = parseBearer(authorizationHeader(request.raw), options.maxTokenLength)
      const cached = verifier.cached(token)
      if (cached !== undefined) {
        request.auth = cached
        return
      }
      extracted.set(request, token)
      // @fastify/jwt answers several failures (future nbf, bad typ, unknown key, disallowed alg) with raw
      // errors that become 500s; catching them here and mapping them is what keeps every failure a 4xx/503.
      const payload = (await request.jwtVerify()) as unknown as Record<string, unknown>
      request.auth = verifier.accept(payload, headerKid(token), token)
    } catch (err) {
      request.auth = null
      await sendFailure(reply, verifier, err, realm)
    }
  }

  fastify.decorate('verifier', verifier)
  fastify.decorate('authenticate', authenticate)
  fastify.decorate('requireScopes', requireScopes)

  // Routes that declare `config.auth` authenticate in onRequest, before the body is read, parsed or validated: an
  // anonymous caller learns only that it needs a token (401), never how its body would have been judged. One hook
  // for the whole instance rather than a per-route one added by onRoute: onRoute never sees routes declared before
  // this plugin was registered, and those would have been served without any check.
  fastify.addHook('onRequest', async function routeAuth(request: FastifyRequest, reply: FastifyReply) {
    const auth = request.routeOptions.config?.auth
    if (auth === undefined || auth === false) return
    await authenticate(request, reply)
    const scopes = auth === true ? undefined : auth.scopes
    if (scopes === undefined || scopes.length === 0 || request.auth === null) return
    try {
      assertScopes(request.auth, scopes)
    } catch (err) {
      await sendFailure(reply, verifier, err, realm, scopes)
    }
  })

  if (owned) fastify.addHook('onClose', async () => verifier.close())
}

function headerKid(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'))
    return typeof header?.kid === 'string' ? header.kid : undefined
  } catch {
    return undefined
  }
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
