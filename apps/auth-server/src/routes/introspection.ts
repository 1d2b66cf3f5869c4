import fp from 'fastify-plugin'
import { InvalidClient } from '../errors.js'
import { authenticateClient } from '../oauth/client-auth.js'
import { asParams, optional, required } from '../oauth/params.js'
import { type FoundToken, findToken, isActive } from '../oauth/token-lookup.js'
import { isPublic } from '../storage/index.js'

/**
 * RFC 7662 introspection, for confidential clients only. A caller learns about a token only if it was issued
 * to it or is meant for the resource server it stands for (§4); everything else is `active: false`.
 */
export default fp(
  async (app) => {
    const ctx = app.auth
    app.post(
      '/introspect',
      {
        config: {
          rateLimit: { max: ctx.config.rateLimitTokenMax, timeWindow: ctx.config.rateLimitWindow * 1000 },
        },
      },
      async (request) => {
        const params = asParams(request.body)
        const caller = await authenticateClient(request, params, ctx)
        if (isPublic(caller)) throw new InvalidClient('introspection is for confidential clients')
        const token = required(params, 'token')
        const found = await findToken(ctx, token, optional(params, 'token_type_hint'))
        const now = ctx.now()
        if (!found || !(await isActive(ctx, found, now))) return { active: false }
        const clientId = found.kind === 'access_token' ? found.record.clientId : found.token.clientId
        const audience = found.kind === 'access_token' ? found.record.audience : undefined
        const allowed =
          clientId === caller.client_id || (audience !== undefined && audience === caller.resource_server_for)
        if (!allowed) return { active: false }
        const userId = found.grant?.userId
        const username = userId ? (await ctx.storage.users.findById(userId))?.username : undefined
        return describe(found, ctx.config.issuer, username)
      },
    )
  },
  { name: 'auth-server-introspection', fastify: '5.x', dependencies: ['auth-server-context'] },
)

function describe(found: FoundToken, issuer: string, username: string | undefined) {
  if (found.kind === 'access_token') {
    const { claims } = found
    return {
      active: true,
      token_type: 'Bearer',
      scope: claims.scope,
      client_id: claims.client_id,
      ...(username ? { username } : {}),
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      iat: claims.iat,
      exp: claims.exp,
      jti: claims.jti,
      ...(claims.auth_time === undefined ? {} : { auth_time: claims.auth_time }),
    }
  }
  const { token, grant } = found
  return {
    active: true,
    token_type: 'refresh_token',
    scope: grant!.scope,
    client_id: token.clientId,
    ...(username ? { username } : {}),
    sub: grant!.userId,
    iss: issuer,
    iat: token.createdAt,
    exp: Math.min(token.expiresAt, grant!.expiresAt),
  }
}
