import type { IncomingMessage, ServerResponse } from 'node:http'
import { type AccessTokenClaims, assertScopes } from '../claims.js'
import { adapterApi } from '../internal/adapter-api.js'
import type { VerifierOptions } from '../options.js'
import { type ErrorResponse, errorResponse } from '../response.js'
import { createVerifier, type Verifier } from '../verifier.js'
import { dpopRequest, headerLines } from './request.js'

/**
 * A request once the middleware has run: `auth` holds the verified claims.
 *
 * @example
 * ```ts
 * const sub = (req as AuthenticatedRequest).auth?.sub
 * ```
 */
export type AuthenticatedRequest = IncomingMessage & { auth?: AccessTokenClaims | null }

/**
 * `(req, res, next?)`: Express/Connect middleware, or a plain `node:http` step when `next` is omitted.
 *
 * @example
 * ```ts
 * const auth: AuthMiddleware = createAuthMiddleware(verifier)
 * if (await auth(req, res)) res.end('ok')
 * ```
 */
export type AuthMiddleware = (
  req: AuthenticatedRequest,
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => Promise<boolean>

/**
 * Options of {@link createAuthMiddleware}.
 *
 * @example
 * ```ts
 * const opts: AuthMiddlewareOptions = { scopes: ['orders:read'], realm: 'orders-api' }
 * ```
 */
export interface AuthMiddlewareOptions {
  /** Scopes every request must hold (403 `insufficient_scope` otherwise). Default none. */
  scopes?: string[]
  /** `realm` of the `WWW-Authenticate` challenge. Default: the verifier's first audience. */
  realm?: string
}

/**
 * Middleware for `node:http` servers and Express. It sets `req.auth` and calls `next()` on success; on failure it
 * writes the whole answer itself (status, `WWW-Authenticate`, `Retry-After`, JSON `{ error, error_description }`)
 * and does not call `next`. The returned promise resolves to `true` when the request may proceed, which is how a
 * plain `node:http` handler uses it.
 *
 * @example
 * ```ts
 * // Express
 * app.get('/orders', createAuthMiddleware(verifier, { scopes: ['orders:read'] }), (req, res) => res.json(req.auth))
 *
 * // node:http
 * const auth = createAuthMiddleware({ issuer, audience }, { scopes: ['orders:read'] })
 * http.createServer(async (req, res) => {
 *   if (!(await auth(req, res))) return
 *   res.end(JSON.stringify({ sub: req.auth!.sub }))
 * })
 * ```
 */
export function createAuthMiddleware(
  verifierOrOptions: Verifier | VerifierOptions,
  options: AuthMiddlewareOptions = {},
): AuthMiddleware {
  const verifier = 'verify' in verifierOrOptions ? verifierOrOptions : createVerifier(verifierOrOptions)
  const scopes = options.scopes ?? []
  const api = adapterApi(verifier)
  const realm = options.realm ?? api.options.audience[0] ?? 'api'
  const dpop = api.options.dpop.mode !== 'disabled'

  return async function authMiddleware(req, res, next) {
    req.auth = null
    try {
      const claims = await api.check(
        headerLines(req, 'authorization'),
        dpop ? dpopRequest(req, api.options.dpop) : undefined,
      )
      assertScopes(claims, scopes)
      req.auth = claims
    } catch (err) {
      // check() already counted its own failures; scope failures are counted here.
      const error =
        err instanceof Error && 'code' in err && err.code === 'VERIFIER_ERR_INSUFFICIENT_SCOPE'
          ? api.reject(err)
          : err
      refuse(res, errorResponse(error, { realm, scope: scopes, dpop: api.options.dpop }))
      return false
    }
    next?.()
    return true
  }
}

/**
 * Writes the failure, unless another handler has already started the response: then nothing we write could be
 * read as a refusal (and writing after `end()` would raise an unhandled 'error'), so an unfinished response is cut
 * off instead of being completed as if the request had been authorized.
 */
function refuse(res: ServerResponse, { statusCode, headers, body }: ErrorResponse): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.destroy()
    return
  }
  res.writeHead(statusCode, headers).end(JSON.stringify(body))
}
