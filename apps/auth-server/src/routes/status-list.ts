import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { STATUS_LIST_JWT_MEDIA_TYPE } from '@stateless-auth/status-list'
import { NotFound } from '../errors.js'
import { LIST_ID, StatusListParams, StatusListsAggregation } from '../schemas/status-list.js'

/** RFC 9110 §13.1.2: If-None-Match matches (weakly) one of the listed entity tags, or `*`. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag)
}

/**
 * draft-ietf-oauth-status-list §8: each list as a signed status list token at the URI the access tokens carry,
 * and the Status List Aggregation (§9) listing them all. Both are public: a list reveals only which indices are
 * revoked, and the indices are random.
 */
const statusList: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const ttl = ctx.config.statusListTtl
  const cacheControl = `public, max-age=${ttl}`
  // §8.1 asks for CORS so browser-based relying parties can fetch lists; they are public and need no credentials.
  const publicHeaders = { 'cache-control': cacheControl, 'access-control-allow-origin': '*' }

  app.get('/status-lists/:id', { schema: { params: StatusListParams } }, async (request, reply) => {
    const { id } = request.params
    const served = LIST_ID.test(id) ? await ctx.statusLists.token(id) : undefined
    if (!served) throw new NotFound('no such status list')
    // §8.2: the list token's ttl governs caching; the HTTP headers say the same for any cache on the way.
    reply.headers(publicHeaders).header('etag', served.etag)
    if (matches(request.headers['if-none-match'], served.etag)) return reply.code(304).send()
    return reply.type(STATUS_LIST_JWT_MEDIA_TYPE).send(served.jwt)
  })

  app.get(
    '/status-lists',
    { schema: { response: { 200: StatusListsAggregation } } },
    async (_request, reply) => {
      reply.headers(publicHeaders)
      return { status_lists: await ctx.statusLists.uris() }
    },
  )

  // Bits of revoked tokens go back to VALID once the tokens are past exp + skew, so their indices can be
  // reused; every replica may run it, the UPDATE is idempotent.
  const timer = setInterval(
    () => ctx.statusLists.releaseDead().catch((err) => app.log.error({ err }, 'status list release')),
    Math.max(ttl, 10) * 1000,
  )
  timer.unref()
  app.addHook('onClose', async () => clearInterval(timer))
}

export default statusList
