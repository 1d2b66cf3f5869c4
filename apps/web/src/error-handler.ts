import type { ErrorFormat } from '@stateless-auth/service-kit/error-handler'
import { ServiceError } from '@stateless-auth/service-kit/errors'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { RefreshRefused } from './oauth/tokens.js'
import { renderError } from './views/page.js'

const isApi = (request: FastifyRequest) => request.url.startsWith('/api/')

/**
 * The web app's error format: `{ error, error_description }` (our `WEB_ERR_…` code as `error`) under `/api`, an
 * HTML error page with the same message everywhere else.
 */
export const webErrors: ErrorFormat = {
  map(error: FastifyError) {
    if (!(error instanceof RefreshRefused)) return undefined
    return new ServiceError(error.code, 401, 'session_expired', `${error.message}; sign in again`, {
      cause: error,
    })
  },
  serverErrorDescription: 'something went wrong; see the server log',
  notFound: (request) =>
    new ServiceError(
      'WEB_ERR_NOT_FOUND',
      404,
      'not_found',
      isApi(request) ? `no route ${request.method} ${request.url}` : 'There is no such page.',
    ),
  send(error: ServiceError, request: FastifyRequest, reply: FastifyReply) {
    reply.code(error.statusCode).headers(error.headers)
    if (isApi(request)) return reply.send({ error: error.error, error_description: error.message })
    return reply.type('text/html; charset=utf-8').send(renderError(error.statusCode, error.message))
  },
}
