import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidRequest, NotFound, OAuthError } from './errors.js'
import { pageCsp } from './pages/html.js'
import { errorPage } from './pages/pages.js'

const HTML_ROUTES = new Set(['/authorize', '/login', '/consent'])

/** Maps whatever went wrong onto an OAuth error, so the wire never sees a stack trace or a bare 500 for bad input. */
export function toOAuthError(error: FastifyError | Error): OAuthError {
  if (error instanceof OAuthError) return error
  const fastifyError = error as FastifyError
  const status = fastifyError.statusCode ?? 500
  if (fastifyError.validation) return new InvalidRequest(error.message)
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InvalidRequest('the body must be application/x-www-form-urlencoded')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OAuthError('invalid_request', 413, 'the request body is too large')
    case 'FST_CSRF_INVALID_TOKEN':
    case 'FST_CSRF_MISSING_SECRET':
      return new OAuthError('invalid_request', 403, 'the form has expired; go back and try again')
  }
  if (status >= 400 && status < 500) return new OAuthError('invalid_request', status, error.message)
  return new OAuthError('server_error', 500, 'the server could not handle the request')
}

function isHtmlRoute(request: FastifyRequest): boolean {
  return HTML_ROUTES.has(request.routeOptions.url ?? '') && request.method !== 'OPTIONS'
}

/**
 * Fastify's `frameworkErrors`: what the router refuses (a URL that does not decode, an over-long path
 * parameter) before any route or hook runs, answered in the same format as every other error.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const oauth = toOAuthError(error)
  request.log.info({ code: error.code, reason: error.message }, 'request refused by the router')
  void reply
    .code(oauth.statusCode)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(oauth.toJSON())
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const oauth = toOAuthError(error)
    if (oauth.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: oauth.code, reason: oauth.message }, 'request refused')
    reply.code(oauth.statusCode).headers(oauth.headers)
    if (isHtmlRoute(request)) {
      const title = oauth.statusCode === 429 ? 'Too many attempts' : 'Something went wrong'
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', pageCsp())
        .send(errorPage(title, oauth.message))
    }
    return reply.type('application/json; charset=utf-8').send(oauth.toJSON())
  })
  app.setNotFoundHandler((request, reply) => {
    const error = new NotFound(`no route for ${request.method} ${request.url.split('?')[0]}`)
    return reply.code(404).send(error.toJSON())
  })
}
