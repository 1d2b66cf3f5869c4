/**
 * `@stateless-auth/resource-server`: what is specific to a resource server (verifier wiring, its config
 * variables, OpenAPI docs, metrics). The process layer (config reading, logger, errors, health, shutdown) is
 * `@stateless-auth/service-kit`'s. Test helpers (a fake issuer) live in `@stateless-auth/resource-server/testing`.
 */

// Re-exported so an app that imports this package also gets the module augmentations they carry:
// `request.auth` and route `config.auth` (verifier), `tags`/`summary` on route schemas (swagger).
export type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
export type { RouteAuthConfig } from '@stateless-auth/verifier/fastify'
export {
  type ResourceServerConfig,
  type ResourceServerDefaults,
  type ResourceServerEnv,
  resourceServerConfig,
  resourceServerEnv,
} from './config.js'
export { openAppDatabase } from './database.js'
export { verifierErrors } from './error-handler.js'
export { Metrics, resourceServerMetrics } from './metrics.js'
export { default as resourceServer, type ResourceServerOptions } from './plugin.js'
export { authErrors, ErrorBody } from './schemas.js'
export type { DocsOptions } from './swagger.js'
