import type {
  FastifyRateLimitOptions,
  FastifyRateLimitStore,
  FastifyRateLimitStoreCtor,
} from '@fastify/rate-limit'
import type { CounterRepository } from './storage/counters.js'

type Callback = Parameters<FastifyRateLimitStore['incr']>[1]

/**
 * A `@fastify/rate-limit` store on the auth-server's own database (issue 12, item 3). The plugin's default store
 * counts in each process, so N replicas behind a load balancer allowed N times the configured limit; here every
 * replica increments the same row with one atomic UPSERT. Each route gets its own counters (`child` prefixes the
 * key with the route), like the default store's per-route caches. The plugin's `continueExceeding`,
 * `exponentialBackoff` and `ban` options are not implemented (nothing here uses them): a window is fixed.
 *
 * @fastify/rate-limit 11 constructs the store itself (`new Store(options)`), so the database and clock are bound
 * into the class this returns.
 */
export function databaseRateLimitStore(
  counters: CounterRepository,
  nowMs: () => number,
): FastifyRateLimitStoreCtor {
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    private readonly prefix: string

    constructor(
      options: FastifyRateLimitOptions & {
        groupId?: string
        routeInfo?: { method?: unknown; url?: unknown }
      },
    ) {
      const route = options.routeInfo
      const method = Array.isArray(route?.method) ? route.method.join(',') : String(route?.method ?? '')
      // Routes sharing a `groupId` (the admin endpoints) share one budget.
      this.prefix = options.groupId
        ? `rate:group:${options.groupId}:`
        : `rate:${method} ${String(route?.url ?? '*')}:`
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      const now = nowMs()
      counters.hit(this.prefix + key, timeWindow, now).then(
        ({ count, resetAt }) => callback(null, { current: count, ttl: Math.max(0, resetAt - now) }),
        (error: Error) => callback(error),
      )
    }

    child(routeOptions: FastifyRateLimitOptions): FastifyRateLimitStore {
      return new DatabaseRateLimitStore(routeOptions)
    }
  }
  return DatabaseRateLimitStore
}
