import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { authenticateClient } from '../oauth/client-auth.js'
import { asParams } from '../oauth/params.js'
import { absentFormIsEmpty } from '../schemas/form.js'
import introspection from './introspection.js'
import revocation from './revocation.js'
import token from './token.js'

/**
 * The endpoints a client calls with its own credentials (RFC 6749 §2.3): token, revocation and introspection.
 * The client is authenticated once, before any handler reads a parameter, and handed to the handlers through
 * `clientOf(request)`. Each route keeps its own rate limit (a bucket per route), which runs first (onRequest).
 */
const clientAuthenticated: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const { config } = ctx
  const rateLimit = { max: config.rateLimitTokenMax, timeWindow: config.rateLimitWindow * 1000 }
  app.decorateRequest('client', null)
  app.addHook('preValidation', absentFormIsEmpty)
  app.addHook('preHandler', async (request) => {
    request.client = await authenticateClient(request, asParams(request.body), ctx)
  })
  for (const routes of [token, revocation, introspection]) await app.register(routes, { rateLimit })
}

export default clientAuthenticated
