import { errorResponse, VerifierError } from '@stateless-auth/verifier'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ResourceServerError } from './errors.js'

// Fastify's own request errors that deserve a specific status; any other 4xx it raises keeps its own.
const FASTIFY_STATUS: Record<string, number> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
}

function send(reply: FastifyReply, statusCode: number, body: object, headers: Record<string, string> = {}) {
  return reply.code(statusCode).headers(headers).send(body)
}

/**
 * One answer format for every failure: `{ error, error_description }` (RFC 6749 §5.2 shape), bearer failures
 * with `WWW-Authenticate` (RFC 6750 §3). Bad input is a 4xx, never a 500; only a real fault of ours is a 500,
 * logged with its stack and answered without details.
 */
export function installErrorHandler(app: FastifyInstance, realm: string): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof ResourceServerError) {
      if (err.statusCode >= 500) request.log.error({ err }, 'request failed')
      else request.log.info({ code: err.code }, err.message)
      return send(reply, err.statusCode, err.toJSON(), { ...err.headers })
    }
    if (
      err instanceof VerifierError ||
      (typeof err.code === 'string' && err.code.startsWith('VERIFIER_ERR_'))
    ) {
      const { statusCode, headers, body } = errorResponse(err, { realm })
      request.log.info({ code: err.code }, 'access token refused')
      return send(reply, statusCode, body, headers)
    }
    if (err.validation) {
      // Ajv's message names the field (`body/quantity must be >= 1`), which is what the caller needs to fix it.
      return send(reply, 400, { error: 'invalid_request', error_description: err.message })
    }
    const status = FASTIFY_STATUS[err.code] ?? err.statusCode
    if (status !== undefined && status >= 400 && status < 500) {
      return send(reply, status, { error: 'invalid_request', error_description: err.message })
    }
    request.log.error({ err }, 'unexpected error')
    return send(reply, 500, { error: 'server_error', error_description: 'An unexpected error occurred' })
  })

  app.setNotFoundHandler((request, reply) =>
    send(reply, 404, {
      error: 'not_found',
      error_description: `No route ${request.method} ${request.url.split('?')[0]}`,
    }),
  )
}
