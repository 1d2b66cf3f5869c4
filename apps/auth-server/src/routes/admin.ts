import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { constantTimeEqual } from '../crypto.js'
import { InvalidRequest, NotFound, Unauthorized } from '../errors.js'
import { hasControlCharacters } from '../oauth/params.js'

/** Operator actions for the demo: disable/enable a user, rotate the signing key. Guarded by ADMIN_TOKEN. */
export default fp(
  async (app) => {
    const ctx = app.auth
    const requireAdmin = async (request: FastifyRequest) => {
      const match = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')
      if (!match || !constantTimeEqual(match[1]!, ctx.config.adminToken)) {
        throw new Unauthorized('a valid admin token is required')
      }
    }
    const setDisabled =
      (disabled: boolean) => async (request: FastifyRequest<{ Params: { username: string } }>) => {
        const { username } = request.params
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
    const params = {
      type: 'object',
      properties: { username: { type: 'string', minLength: 1, maxLength: 128 } },
      required: ['username'],
    }
    app.post<{ Params: { username: string } }>(
      '/admin/users/:username/disable',
      { ...guard, schema: { params } },
      setDisabled(true),
    )
    app.post<{ Params: { username: string } }>(
      '/admin/users/:username/enable',
      { ...guard, schema: { params } },
      setDisabled(false),
    )
    app.post('/admin/keys/rotate', guard, async (request) => {
      const key = await ctx.keys.rotate()
      request.log.info({ kid: key.kid }, 'signing key rotation started')
      return { kid: key.kid, alg: key.alg, activates_at: key.activatesAt }
    })
    app.get('/admin/keys', guard, async () => {
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
  },
  { name: 'auth-server-admin', fastify: '5.x', dependencies: ['auth-server-context'] },
)
