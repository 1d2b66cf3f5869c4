import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { InsufficientScope, InvalidRequest, InvalidToken, OAuthError } from '../errors.js'
import { asParams, optional, userinfoResource } from '../oauth/params.js'
import { findToken, isActive } from '../oauth/token-lookup.js'
import { profileClaims } from '../tokens.js'

/** RFC 6750 §2.1 header, or §2.2 form body for POST; never both (§2). */
function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization
  const fromBody = request.method === 'POST' ? optional(asParams(request.body), 'access_token') : undefined
  if (header !== undefined) {
    if (fromBody !== undefined) throw new InvalidRequest('send the access token in one place only')
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)
    if (!match) throw new InvalidToken('malformed Authorization header')
    return match[1]!
  }
  if (fromBody !== undefined) return fromBody
  // RFC 6750 §3.1: no credentials at all gets a challenge without an error code.
  throw new OAuthError('invalid_token', 401, 'an access token is required', { 'www-authenticate': 'Bearer' })
}

/** OpenID Connect Core §5.3 UserInfo: the user's claims for an access token that carries `openid`. */
export default fp(
  async (app) => {
    const ctx = app.authServer
    const handler = async (request: FastifyRequest) => {
      const token = bearerToken(request)
      const found = await findToken(ctx, token, 'access_token')
      if (found?.kind !== 'access_token' || !(await isActive(ctx, found, ctx.now()))) {
        throw new InvalidToken('the access token is invalid, expired or revoked')
      }
      // RFC 9068 §4: checked like any resource server checks its tokens, the audience included.
      if (found.claims.aud !== userinfoResource(ctx.config.issuer)) {
        throw new InvalidToken(
          `the access token is not meant for the userinfo endpoint: ask for resource=${userinfoResource(ctx.config.issuer)}`,
        )
      }
      if (!found.grant) throw new InvalidToken('the access token does not represent a user')
      const scopes = found.claims.scope.split(' ')
      if (!scopes.includes('openid')) throw new InsufficientScope('openid')
      const user = await ctx.storage.users.findById(found.grant.userId)
      if (!user) throw new InvalidToken('the user no longer exists')
      return { sub: user.id, ...profileClaims(user, scopes) }
    }
    app.get('/userinfo', handler)
    app.post('/userinfo', handler)
  },
  { name: 'auth-server-userinfo', fastify: '5.x', dependencies: ['auth-server-context'] },
)
