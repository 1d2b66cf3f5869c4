import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { constantTimeEqual } from '../crypto.js'
import { InvalidRequest, NotFound, Unauthorized } from '../errors.js'
import { hasControlCharacters } from '../oauth/params.js'
import { KeyList, RotatedKey, UsernameParams, UserStatus } from '../schemas/admin.js'

/** Operator actions for the demo: disable/enable a user, rotate the signing key. Guarded by ADMIN_TOKEN. */
const admin: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const requireAdmin = async (request: FastifyRequest) => {
    const match = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')
    if (!match || !constantTimeEqual(match[1]!, ctx.config.adminToken)) {
      throw new Unauthorized('a valid admin token is required')
    }
  }
  const setDisabled = async (username: string, disabled: boolean, request: FastifyRequest) => {
    if (hasControlCharacters(username)) throw new InvalidRequest('username contains control characters')
    if (!(await ctx.storage.users.setDisabled(username, disabled, ctx.now()))) {
      throw new NotFound(`no user named ${username}`)
    }
    request.log.info({ username, disabled }, 'user status changed')
    return { username, disabled }
  }
  // Wrong tokens must count, so the guard runs after the rate limiter's onRequest hook (issue 12, item 3).
  const guard = {
    preHandler: requireAdmin,
    config: {
      rateLimit: {
        max: ctx.config.rateLimitLoginMax,
        timeWindow: ctx.config.rateLimitWindow * 1000,
        groupId: 'admin',
      },
    },
  }
  const userRoute = { ...guard, schema: { params: UsernameParams, response: { 200: UserStatus } } }
  app.post('/admin/users/:username/disable', userRoute, async (request) =>
    setDisabled(request.params.username, true, request),
  )
  app.post('/admin/users/:username/enable', userRoute, async (request) =>
    setDisabled(request.params.username, false, request),
  )
  app.post('/admin/keys/rotate', { ...guard, schema: { response: { 200: RotatedKey } } }, async (request) => {
    const key = await ctx.keys.rotate()
    request.log.info({ kid: key.kid }, 'signing key rotation started')
    return { kid: key.kid, alg: key.alg, activates_at: key.activatesAt }
  })
  app.get('/admin/keys', { ...guard, schema: { response: { 200: KeyList } } }, async () => {
    const keys = await ctx.keys.list()
    return {
      keys: keys.map((k) => ({
        kid: k.kid,
        alg: k.alg,
        created_at: k.createdAt,
        activates_at: k.activatesAt,
        retires_at: k.retiresAt,
        drop_after: k.dropAfter,
      })),
    }
  })
}

export default admin
