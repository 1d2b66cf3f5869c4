import type { FastifyServerOptions } from 'fastify'
import { type ErrorFormat, frameworkErrors } from './error-handler.js'
import type { LoggerOptions } from './logger.js'
import { buildValidator } from './validation.js'

export interface ServiceOptions {
  /** Largest request body accepted, in bytes. */
  bodyLimit: number
  /** Logger options ({@link loggerOptions}); `false` (tests) keeps the app quiet. */
  logger?: LoggerOptions | false | undefined
  /** The service's error format, also used for what the router refuses. */
  errors?: ErrorFormat
  /** Validate JSON bodies as sent, without type coercion (see `validation.ts`). Default true. */
  strictBodies?: boolean
  /** Longest path parameter the router accepts. */
  maxParamLength?: number
}

/**
 * The fastify options every service starts from: a body limit, JSON bodies validated without coercion, and the
 * router's own refusals answered in the service's error format instead of Fastify's default body.
 */
export function fastifyOptions(options: ServiceOptions): FastifyServerOptions {
  return {
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit,
    ...(options.maxParamLength === undefined
      ? {}
      : { routerOptions: { maxParamLength: options.maxParamLength } }),
    ...(options.strictBodies === false ? {} : { schemaController: { compilersFactory: { buildValidator } } }),
    frameworkErrors: frameworkErrors(options.errors),
  }
}
