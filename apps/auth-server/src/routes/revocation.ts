import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type ClientRouteOptions, clientOf } from '../oauth/client-auth.js'
import { optional, required } from '../oauth/params.js'
import { findToken } from '../oauth/token-lookup.js'
import { revocationSchema } from '../schemas/token.js'

/**
 * RFC 7009 revocation. A refresh token takes its whole grant with it (§2.1: the access tokens issued from the
 * same grant should go too); an access token is revoked by its `jti`. Unknown tokens, and tokens of another
 * client, get the same 200 (§2.2), so the endpoint reveals nothing.
 */
const revocation: FastifyPluginAsyncTypebox<ClientRouteOptions> = async (app, { rateLimit }) => {
  const ctx = app.authServer
  app.post('/revoke', { config: { rateLimit }, schema: revocationSchema }, async (request, reply) => {
    const client = clientOf(request)
    const token = required(request.body, 'token')
    const found = await findToken(ctx, token, optional(request.body, 'token_type_hint'))
    const now = ctx.now()
    if (found?.kind === 'refresh_token' && found.token.clientId === client.client_id) {
      await ctx.storage.grants.revoke(found.token.grantId, now)
    } else if (found?.kind === 'access_token' && found.record.clientId === client.client_id) {
      await ctx.storage.accessTokens.revoke(found.record.jti, now)
    }
    return reply.code(200).send()
  })
}

export default revocation
