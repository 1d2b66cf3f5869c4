import fp from 'fastify-plugin'
import { authenticateClient } from '../oauth/client-auth.js'
import { asParams, optional, required } from '../oauth/params.js'
import { findToken } from '../oauth/token-lookup.js'

/**
 * RFC 7009 revocation. A refresh token takes its whole grant with it (§2.1: the access tokens issued from the
 * same grant should go too); an access token is revoked by its `jti`. Unknown tokens, and tokens of another
 * client, get the same 200 (§2.2), so the endpoint reveals nothing.
 */
export default fp(
  async (app) => {
    const ctx = app.auth
    app.post(
      '/revoke',
      {
        config: {
          rateLimit: { max: ctx.config.rateLimitTokenMax, timeWindow: ctx.config.rateLimitWindow * 1000 },
        },
      },
      async (request, reply) => {
        const params = asParams(request.body)
        const client = await authenticateClient(request, params, ctx)
        const token = required(params, 'token')
        const found = await findToken(ctx, token, optional(params, 'token_type_hint'))
        const now = ctx.now()
        if (found?.kind === 'refresh_token' && found.token.clientId === client.client_id) {
          await ctx.storage.grants.revoke(found.token.grantId, now)
        } else if (found?.kind === 'access_token' && found.record.clientId === client.client_id) {
          await ctx.storage.accessTokens.revoke(found.record.jti, now)
        }
        return reply.code(200).send()
      },
    )
  },
  { name: 'auth-server-revocation', fastify: '5.x', dependencies: ['auth-server-context'] },
)
