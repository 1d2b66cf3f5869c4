import type { VerifierEvent } from '@stateless-auth/verifier'
import type { FastifyInstance } from 'fastify'
import type { Metrics } from './metrics.js'

// Health checks poll every few seconds (containers, the launcher): their request logs would drown the real ones.
const probe = { logLevel: 'warn' } as const

/** Turns the verifier's events into the `/metrics` counters. */
export function recordVerifierEvent(metrics: Metrics, event: VerifierEvent): void {
  switch (event.type) {
    case 'verified':
      metrics.inc('token_verifications_total', { outcome: 'verified', code: '' })
      break
    case 'verification_failed':
      metrics.inc('token_verifications_total', { outcome: 'failed', code: event.code })
      break
    case 'key_cache_hit':
      metrics.inc('jwks_key_cache_hits_total')
      break
    case 'key_cache_miss':
      metrics.inc('jwks_key_cache_misses_total')
      break
    case 'jwks_fetch':
      metrics.inc('jwks_fetches_total', { reason: event.reason, outcome: event.ok ? 'ok' : 'error' })
      break
  }
}

/** `/health` (the process answers), `/ready` (keys loaded or loadable, storage reachable), `/metrics`. */
export function registerOperationalRoutes(
  app: FastifyInstance,
  metrics: Metrics,
  checks: Record<string, () => Promise<unknown>>,
): void {
  const operational = { tags: ['operations'] }
  app.get('/health', { ...probe, schema: { ...operational, summary: 'The process is alive' } }, async () => ({
    status: 'ok',
  }))

  app.get(
    '/ready',
    { ...probe, schema: { ...operational, summary: 'Signing keys and storage are usable' } },
    async (_, reply) => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await check()
            return [name, 'ok'] as const
          } catch (error) {
            app.log.warn({ check: name, err: error }, 'readiness check failed')
            return [name, 'failed'] as const
          }
        }),
      )
      const failed = results.filter(([, status]) => status === 'failed').map(([name]) => name)
      if (failed.length === 0) return { status: 'ready', checks: Object.fromEntries(results) }
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({
          error: 'temporarily_unavailable',
          error_description: `Not ready: ${failed.join(', ')}`,
          checks: Object.fromEntries(results),
        })
    },
  )

  app.get('/metrics', { schema: { ...operational, summary: 'Prometheus counters' } }, async (_, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
  )

  app.addHook('onResponse', async (request, reply) => {
    metrics.inc('http_requests_total', {
      method: request.method,
      // The route pattern, not the raw URL, so label cardinality stays bounded.
      route: request.routeOptions.url ?? 'unmatched',
      status_code: String(reply.statusCode),
    })
  })
}
