import { installErrorHandler } from '@stateless-auth/service-kit/error-handler'
import { healthRoutes } from '@stateless-auth/service-kit/health'
import { databaseOutage } from '@stateless-auth/sql'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { ResourceServerConfig } from './config.js'
import { verifierErrors } from './error-handler.js'
import { type Metrics, resourceServerMetrics } from './metrics.js'
import { recordVerifierEvent, registerMetricsRoute } from './observability.js'
import { type DocsOptions, registerDocs } from './swagger.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The counters served on `/metrics`; apps may define and increment their own. */
    metrics: Metrics
  }
}

export interface ResourceServerOptions {
  config: ResourceServerConfig
  /** The `realm` of `WWW-Authenticate` challenges (RFC 6750 §3), e.g. `orders-api`. */
  realm: string
  docs: Omit<DocsOptions, 'issuer'>
  /** Extra `/ready` checks (e.g. a database ping); the verifier's key check is always there. */
  readinessChecks?: Record<string, () => Promise<unknown>>
  /** fetch used for metadata and JWKS (tests count what reaches the issuer). Default: the global fetch. */
  fetch?: typeof fetch
}

/**
 * Everything a resource server needs around its own routes: token verification with the issuer's public keys
 * (no call to the authorization server per request), the chassis' error format with the verifier's RFC 6750
 * answers, `/health` and `/ready` (keys loadable + the app's checks), `/metrics` and OpenAPI docs.
 * Register it before the routes so the docs see them.
 */
async function resourceServer(app: FastifyInstance, options: ResourceServerOptions): Promise<void> {
  const { config } = options
  const metrics = resourceServerMetrics()
  app.decorate('metrics', metrics)
  installErrorHandler(app, {
    map: verifierErrors(options.realm, config.verifier.dpop.mode),
    outages: [databaseOutage],
  })
  await registerDocs(app, { ...options.docs, issuer: config.issuer })
  await app.register(verifierPlugin, {
    issuer: config.issuer,
    audience: config.audience,
    ...(config.jwksUri ? { jwksUri: config.jwksUri } : {}),
    ...(config.metadataUri ? { metadataUri: config.metadataUri } : {}),
    ...config.verifier,
    realm: options.realm,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onEvent: (event) => recordVerifierEvent(metrics, event),
  })
  await app.register(healthRoutes, {
    checks: { signing_keys: () => app.verifier.ready(), ...options.readinessChecks },
    ...config.pressure,
  })
  registerMetricsRoute(app, metrics)
}

export default fp(resourceServer, {
  name: '@stateless-auth/resource-server',
  fastify: '5.x',
})
