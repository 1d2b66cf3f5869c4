import type { FastifyServerOptions } from 'fastify'
import type { ResourceServerConfig } from './config.js'

/**
 * Server options both APIs use. Ajv keeps unknown body fields (`removeAdditional: false`) so that
 * `additionalProperties: false` rejects a misspelt field with a 400 instead of silently dropping it.
 */
export function fastifyOptions(
  config: Pick<ResourceServerConfig, 'bodyLimit'>,
  logger: FastifyServerOptions['logger'] = false,
): FastifyServerOptions {
  return {
    logger,
    bodyLimit: config.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  }
}
