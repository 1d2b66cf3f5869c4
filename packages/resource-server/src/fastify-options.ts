import type { FastifyReply, FastifyServerOptions } from 'fastify'
import type { ResourceServerConfig } from './config.js'
import { buildValidator } from './validation.js'

/**
 * Server options both APIs use: JSON bodies validated without type coercion (see `validation.ts`), and the
 * router's own refusals (a URL it cannot decode) answered in the same `{ error, error_description }` format as
 * every other failure instead of Fastify's default body.
 */
export function fastifyOptions(
  config: Pick<ResourceServerConfig, 'bodyLimit'>,
  logger: FastifyServerOptions['logger'] = false,
): FastifyServerOptions {
  return {
    logger,
    bodyLimit: config.bodyLimit,
    schemaController: { compilersFactory: { buildValidator } },
    frameworkErrors: (error, _request, reply) => {
      const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 400
      // The option's reply type is generic over a route that does not exist yet; this one is plain.
      ;(reply as FastifyReply)
        .code(status)
        .send({ error: 'invalid_request', error_description: error.message })
    },
  }
}
