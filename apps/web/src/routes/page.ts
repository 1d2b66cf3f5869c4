import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { PageQuery } from '../schemas/pages.js'
import { clientScript, stylesheet } from '../views/assets.js'
import { renderPage, tokenPanel } from '../views/page.js'
import { SIGNED_OUT_STATE } from './auth.js'

export interface PageRouteOptions {
  issuer: string
  controlAvailable: boolean
  adminAvailable: boolean
}

export const pageRoutes: FastifyPluginAsyncTypebox<PageRouteOptions> = async (app, options) => {
  app.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const session = request.sessionId ? await app.sessions.get(request.sessionId) : undefined
    const notice =
      request.query.state === SIGNED_OUT_STATE
        ? 'You are signed out, here and at the auth-server; the refresh token was revoked.'
        : request.query['signed-out'] !== undefined
          ? 'You are signed out; the refresh token was revoked.'
          : undefined
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8')
    return renderPage({ session, ...options, ...(notice ? { notice } : {}) })
  })

  // The token panel alone, so the page can redraw it after a refresh without a reload.
  app.get('/partials/token', async (request, reply) => {
    const session = request.sessionId ? await app.sessions.get(request.sessionId) : undefined
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8')
    if (!session?.tokens.orders) return reply.code(401).send('')
    return tokenPanel(session).value
  })

  app.get('/app.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(clientScript),
  )
  app.get('/app.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(stylesheet),
  )
}
