import type { ErrorFormat } from '@stateless-auth/service-kit/error-handler'
import type { ServiceError } from '@stateless-auth/service-kit/errors'
import { databaseOutage } from '@stateless-auth/sql'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { NotFound, OAuthError } from './errors.js'
import { pageCsp } from './pages/html.js'
import { errorPage } from './pages/pages.js'

const HTML_ROUTES = new Set(['/authorize', '/login', '/consent'])

function isHtmlRoute(request: FastifyRequest): boolean {
  return HTML_ROUTES.has(request.routeOptions.url ?? '') && request.method !== 'OPTIONS'
}

/** The auth-server's wording of the framework and plugin errors it meets, as OAuth errors. */
function map(error: FastifyError): ServiceError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OAuthError('invalid_request', 400, 'the body must be application/x-www-form-urlencoded')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OAuthError('invalid_request', 413, 'the request body is too large')
    case 'FST_CSRF_INVALID_TOKEN':
    case 'FST_CSRF_MISSING_SECRET':
      return new OAuthError('invalid_request', 403, 'the form has expired; go back and try again')
  }
  return undefined
}

/**
 * Every failure as an RFC 6749 §5.2 `{ error, error_description }` JSON body (with `Cache-Control: no-store`),
 * or, on the pages a browser sees (authorize, login, consent), as an HTML error page with the same message.
 */
export const authServerErrors: ErrorFormat = {
  map,
  // Issue 15, scenario 2: PostgreSQL restarting or stopped is a 503 to retry, never a 500.
  outages: [databaseOutage],
  serverErrorDescription: 'the server could not handle the request',
  notFound: (request) => new NotFound(`no route for ${request.method} ${request.url.split('?')[0]}`),
  send(error: ServiceError, request: FastifyRequest, reply: FastifyReply) {
    // RFC 6749 §5.1, also for what fails before a route's own hooks run (the router, the body parser).
    reply
      .code(error.statusCode)
      .headers(error.headers)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
    if (isHtmlRoute(request)) {
      const title = error.statusCode === 429 ? 'Too many attempts' : 'Something went wrong'
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', pageCsp())
        .send(errorPage(title, error.message))
    }
    return reply.type('application/json; charset=utf-8').send(error.toJSON())
  },
}
