import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { InvalidClient } from '../errors.js'
import { type ClientRouteOptions, clientOf } from '../oauth/client-auth.js'
import { optional, required } from '../oauth/params.js'
import { type FoundToken, findToken, isActive } from '../oauth/token-lookup.js'
import { introspectionSchema } from '../schemas/token.js'
import { isPublic } from '../storage/index.js'

/**
 * RFC 7662 introspection, for confidential clients only. A caller learns about a token only if it was issued
 * to it or is meant for the resource server it stands for (§4); everything else is `active: false`.
 */
const introspection: FastifyPluginAsyncTypebox<ClientRouteOptions> = async (app, { rateLimit }) => {
  const ctx = app.authServer
  app.post('/introspect', { config: { rateLimit }, schema: introspectionSchema }, async (request) => {
    const caller = clientOf(request)
    if (isPublic(caller)) throw new InvalidClient('introspection is for confidential clients')
    const token = required(request.body, 'token')
    const found = await findToken(ctx, token, optional(request.body, 'token_type_hint'))
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
  })
}

export default introspection

function describe(found: FoundToken, issuer: string, username: string | undefined) {
  if (found.kind === 'access_token') {
    const { claims } = found
    return {
      active: true,
      // RFC 9449 §6.2: a bound token says so, with the key it is bound to.
      token_type: claims.cnf === undefined ? 'Bearer' : 'DPoP',
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
      ...(claims.cnf === undefined ? {} : { cnf: { jkt: claims.cnf.jkt } }),
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
