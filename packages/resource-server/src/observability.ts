import type { VerifierEvent } from '@stateless-auth/verifier'
import type { FastifyInstance } from 'fastify'
import type { Metrics } from './metrics.js'

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
    case 'status_list_fetch':
      metrics.inc('status_list_fetches_total', {
        reason: event.reason,
        outcome: event.ok ? (event.outcome ?? 'ok') : 'error',
      })
      break
  }
}

/** `/metrics` (Prometheus text) and the `http_requests_total` counter behind it. */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus counters' } },
    async (_, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()),
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
