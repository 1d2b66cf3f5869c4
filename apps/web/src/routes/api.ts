import type { FastifyInstance, FastifyRequest } from 'fastify'
import { API_PATHS, type ApiClient } from '../apis.js'
import type { AdminClient, DemoControl } from '../control.js'
import { NotSignedIn, UnknownExperiment } from '../errors.js'
import { experiments } from '../experiments.js'
import type { Api } from '../session/store.js'

export interface ApiRouteOptions {
  apis: ApiClient
  admin: AdminClient | undefined
  control: DemoControl | undefined
  publicUrl: string
}

const APIS: readonly Api[] = ['orders', 'inventory']

/** JSON routes the page's script calls. The browser sends only its session cookie; tokens stay here. */
export async function apiRoutes(app: FastifyInstance, options: ApiRouteOptions) {
  const { apis } = options
  const origin = new URL(options.publicUrl).origin

  // Cross-site requests cannot send `Content-Type: application/json` without a CORS preflight we never grant,
  // and the session cookie is SameSite=Lax; the Origin check is a third, explicit line.
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return
    const sent = request.headers.origin
    if (sent !== undefined && sent !== origin) {
      return reply
        .code(403)
        .send({ error: 'forbidden', error_description: `requests from ${sent} are not accepted` })
    }
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return reply
        .code(415)
        .send({ error: 'unsupported_media_type', error_description: 'send application/json' })
    }
  })

  async function signedIn(request: FastifyRequest) {
    const id = request.sessionId
    const session = id ? await app.sessions.get(id) : undefined
    if (!id || !session) throw new NotSignedIn()
    return { id, session }
  }

  app.post<{ Params: { api: string } }>(
    '/api/call/:api',
    { schema: { params: { type: 'object', properties: { api: { type: 'string', enum: [...APIS] } } } } },
    async (request) => {
      const api = request.params.api as Api
      const { id } = await signedIn(request)
      const { token, refreshed } = await app.tokens.tokenFor(id, api)
      const call = await apis.call(api, 'GET', API_PATHS[api], token.accessToken)
      // RFC 6750 §3.1: invalid_token means "get a new one"; one refresh and retry, never a loop.
      if (call.status === 401 && !refreshed && (call.wwwAuthenticate ?? '').includes('invalid_token')) {
        const fresh = await app.tokens.refresh(id, api)
        return { ...(await apis.call(api, 'GET', API_PATHS[api], fresh.accessToken)), retriedAfter: call }
      }
      return call
    },
  )

  // Places a small order so the list has something in it: orders-api then reserves stock at inventory-api with
  // its own client-credentials token, the service-to-service half of the story.
  app.post('/api/orders', async (request) => {
    const { id } = await signedIn(request)
    const { token } = await app.tokens.tokenFor(id, 'orders')
    return apis.call('orders', 'POST', API_PATHS.orders, token.accessToken, {
      sku: 'widget-blue',
      quantity: 1,
    })
  })

  app.post<{ Params: { name: string } }>('/api/experiments/:name', async (request) => {
    const experiment = Object.hasOwn(experiments, request.params.name)
      ? experiments[request.params.name]
      : undefined
    if (!experiment) throw new UnknownExperiment(request.params.name)
    const { id, session } = await signedIn(request)
    return experiment({
      sessionId: id,
      session,
      tokens: app.tokens,
      store: app.sessions,
      apis,
      admin: options.admin,
      control: options.control,
      now: () => Math.floor(Date.now() / 1000),
    })
  })
}
