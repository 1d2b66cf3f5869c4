import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { API_PATHS, type ApiClient } from '../apis.js'
import type { AdminClient, DemoControl } from '../control.js'
import { NotSignedIn, UnknownExperiment } from '../errors.js'
import { createRotationLimit, experiments } from '../experiments.js'
import type { RevocationAccess } from '../revoke-experiment.js'
import {
  CallParams,
  CallResult,
  EmptyBody,
  ErrorBody,
  ExperimentParams,
  ExperimentResult,
  ObservedCall,
} from '../schemas/api.js'
import { refuseOtherOrigins } from './origin.js'

export interface ApiRouteOptions {
  apis: ApiClient
  admin: AdminClient | undefined
  control: DemoControl | undefined
  publicUrl: string
  /** Seconds between two rotations from the page, whoever asks. */
  rotateInterval: number
  revocation: RevocationAccess | undefined
}

const refusals = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  415: ErrorBody,
  503: ErrorBody,
}

/** JSON routes the page's script calls. The browser sends only its session cookie; tokens stay here. */
export const apiRoutes: FastifyPluginAsyncTypebox<ApiRouteOptions> = async (app, options) => {
  const { apis } = options
  const rotation = createRotationLimit(options.rotateInterval)
  const sameOrigin = refuseOtherOrigins(new URL(options.publicUrl).origin)

  // Cross-site requests cannot send `Content-Type: application/json` without a CORS preflight we never grant,
  // and the session cookie is SameSite=Lax; the Origin check is a third, explicit line. Both are checked on the
  // headers, before a body is read or validated.
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return
    if (sameOrigin(request, reply)) return reply
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

  app.post(
    '/api/call/:api',
    { schema: { params: CallParams, body: EmptyBody, response: { 200: CallResult, ...refusals } } },
    async (request) => {
      const { api } = request.params
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
  app.post(
    '/api/orders',
    { schema: { body: EmptyBody, response: { 200: ObservedCall, ...refusals } } },
    async (request) => {
      const { id } = await signedIn(request)
      const { token } = await app.tokens.tokenFor(id, 'orders')
      return apis.call('orders', 'POST', API_PATHS.orders, token.accessToken, {
        sku: 'widget-blue',
        quantity: 1,
      })
    },
  )

  app.post(
    '/api/experiments/:name',
    {
      schema: { params: ExperimentParams, body: EmptyBody, response: { 200: ExperimentResult, ...refusals } },
    },
    async (request) => {
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
        rotation,
        revocation: options.revocation,
        now: () => Math.floor(Date.now() / 1000),
      })
    },
  )
}
