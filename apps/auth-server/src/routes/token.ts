import fp from 'fastify-plugin'
import { UnauthorizedClient, UnsupportedGrantType } from '../errors.js'
import { grants } from '../grants/index.js'
import { authenticateClient } from '../oauth/client-auth.js'
import { asParams, required } from '../oauth/params.js'
import type { GrantType } from '../storage/index.js'

/** RFC 6749 §3.2 token endpoint: one handler per grant type, all behind the same client authentication. */
export default fp(
  async (app) => {
    const ctx = app.auth
    app.post(
      '/token',
      {
        config: {
          rateLimit: { max: ctx.config.rateLimitTokenMax, timeWindow: ctx.config.rateLimitWindow * 1000 },
        },
      },
      async (request) => {
        const params = asParams(request.body)
        const client = await authenticateClient(request, params, ctx)
        const grantType = required(params, 'grant_type')
        if (!Object.hasOwn(grants, grantType))
          throw new UnsupportedGrantType(`unsupported grant_type ${grantType}`)
        if (!client.grant_types.includes(grantType as GrantType)) {
          throw new UnauthorizedClient(`this client may not use the ${grantType} grant`)
        }
        return grants[grantType as GrantType](ctx, client, params)
      },
    )
  },
  { name: 'auth-server-token', fastify: '5.x', dependencies: ['auth-server-context'] },
)
