import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { checkDpopProof, dpopNonce, InvalidDpopProof } from '../dpop/proofs.js'
import { UnauthorizedClient, UnsupportedGrantType } from '../errors.js'
import { grants } from '../grants/index.js'
import { type ClientRouteOptions, clientOf } from '../oauth/client-auth.js'
import { required } from '../oauth/params.js'
import { tokenSchema } from '../schemas/token.js'
import type { GrantType } from '../storage/index.js'

/** RFC 6749 §3.2 token endpoint: one handler per grant type (`grants/`), behind the scope's client authentication. */
const token: FastifyPluginAsyncTypebox<ClientRouteOptions> = async (app, { rateLimit }) => {
  const ctx = app.authServer
  app.post('/token', { config: { rateLimit }, schema: tokenSchema }, async (request, reply) => {
    const client = clientOf(request)
    const grantType = required(request.body, 'grant_type')
    if (!Object.hasOwn(grants, grantType))
      throw new UnsupportedGrantType(`unsupported grant_type ${grantType}`)
    if (!client.grant_types.includes(grantType as GrantType)) {
      throw new UnauthorizedClient(`this client may not use the ${grantType} grant`)
    }
    // RFC 9449 §5: a valid proof binds the tokens to its key; a client registered for DPoP must send one.
    const jkt = await checkDpopProof(ctx, request.headers.dpop, { htm: 'POST', path: '/token' })
    if (jkt === undefined && client.dpop_bound_access_tokens) {
      throw new InvalidDpopProof('this client must send a DPoP proof (dpop_bound_access_tokens)')
    }
    const nonce = dpopNonce(ctx)
    if (nonce !== undefined) reply.header('dpop-nonce', nonce)
    return grants[grantType as GrantType](ctx, client, request.body, jkt)
  })
}

export default token
