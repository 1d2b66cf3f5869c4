/**
 * `@stateless-auth/resource-server`: what orders-api and inventory-api share, so each app holds only its own
 * routes and storage. Test helpers (a fake issuer) live in `@stateless-auth/resource-server/testing`.
 */

// Re-exported so an app that imports this package also gets the module augmentations they carry:
// `request.auth` and route `config.auth` (verifier), `tags`/`summary` on route schemas (swagger).
export type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
export type { RouteAuthConfig } from '@stateless-auth/verifier/fastify'
export {
  loadResourceServerConfig,
  type ResourceServerConfig,
  type ResourceServerDefaults,
  resourceServerEnvSchema,
} from './config.js'
export { openAppDatabase } from './database.js'
export { type EnvSchema, httpUrl, int, logLevel, readEnv } from './env.js'
export { installErrorHandler } from './error-handler.js'
export { ConfigError, InvalidRequestError, NotFoundError, ResourceServerError } from './errors.js'
export { fastifyOptions } from './fastify-options.js'
export { loggerOptions, REDACTED_PATHS } from './logger.js'
export { Metrics, resourceServerMetrics } from './metrics.js'
export { default as resourceServer, type ResourceServerOptions } from './plugin.js'
export { authErrors, ErrorBody } from './schemas.js'
export { configOrExit, startServer } from './server.js'
export type { DocsOptions } from './swagger.js'
