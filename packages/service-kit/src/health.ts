/**
 * Liveness and readiness through `@fastify/under-pressure`: `/health` says the process answers, `/ready` runs the
 * service's own checks (database reachable, keys loaded or loadable). When the event loop lags or the heap
 * is over its limit, every request, these two included, answers 503 with `Retry-After`, so a load balancer
 * backs off before the process falls over.
 */
import underPressure from '@fastify/under-pressure'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ServiceError } from './errors.js'

export interface HealthOptions {
  /** Readiness checks by name; each resolves when its dependency is usable and rejects otherwise. */
  checks: Record<string, () => Promise<unknown>>
  /** Mean event-loop delay in ms above which requests answer 503. Default 0: off. */
  maxEventLoopDelay?: number
  /** Heap in bytes above which requests answer 503. Default: off. */
  maxHeapUsedBytes?: number
  /** `Retry-After` seconds of a 503. Default 5. */
  retryAfter?: number
  /** How often the pressure metrics are sampled, in ms. Default 1000. */
  sampleInterval?: number
}

// Probes poll every few seconds (containers, the launcher): their request logs would drown the real ones.
const probe = { logLevel: 'warn' } as const

type Report = Record<string, 'ok' | 'failed'>

const checks = { type: 'object', additionalProperties: { type: 'string' } }
const errorBody = { error: { type: 'string' }, error_description: { type: 'string' } }

/** The answer to a failed `/ready`, or to any request while the process is under pressure. */
export class NotReadyError extends ServiceError {
  constructor(description: string, retryAfter: number, checks?: Report) {
    super('SERVICE_ERR_NOT_READY', 503, 'temporarily_unavailable', description, {
      headers: { 'retry-after': String(retryAfter) },
      ...(checks ? { details: { checks } } : {}),
    })
  }
}

async function health(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const retryAfter = options.retryAfter ?? 5
  // under-pressure also runs the check once while it registers and, without an interval, would then refuse
  // every request for good if a dependency was down at that moment (a resource server starts before its
  // issuer). Readiness is for the load balancer: it is answered live on /ready and never gates other routes.
  let booted = false
  app.addHook('onReady', async () => {
    booted = true
  })
  let lastFailure: Report | undefined

  const run = async (): Promise<Report> => {
    const results = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await check()
          return [name, 'ok'] as const
        } catch (err) {
          app.log.warn({ check: name, err }, 'readiness check failed')
          return [name, 'failed'] as const
        }
      }),
    )
    return Object.fromEntries(results)
  }

  await app.register(underPressure, {
    ...(options.maxEventLoopDelay ? { maxEventLoopDelay: options.maxEventLoopDelay } : {}),
    ...(options.maxHeapUsedBytes ? { maxHeapUsedBytes: options.maxHeapUsedBytes } : {}),
    sampleInterval: options.sampleInterval ?? 1000,
    retryAfter,
    customError: class UnderPressure extends NotReadyError {
      constructor() {
        super('The service is under pressure; retry later', retryAfter)
      }
    },
    healthCheck: async () => {
      if (!booted) return true
      const checks = await run()
      if (Object.values(checks).includes('failed')) {
        lastFailure = checks
        return false
      }
      return { status: 'ready', checks }
    },
    exposeStatusRoute: {
      url: '/ready',
      routeOpts: {
        ...probe,
        // A failed check is reported with what failed; under pressure, the shared answer.
        errorHandler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
          const checks = lastFailure
          lastFailure = undefined
          const failed = Object.entries(checks ?? {}).filter(([, status]) => status === 'failed')
          const answer = checks
            ? new NotReadyError(`Not ready: ${failed.map(([name]) => name).join(', ')}`, retryAfter, checks)
            : error instanceof ServiceError
              ? error
              : new NotReadyError(error.message, retryAfter)
          request.log.warn({ code: answer.code, reason: answer.message }, 'not ready')
          return reply.code(answer.statusCode).headers(answer.headers).send(answer.toJSON())
        },
      },
      routeSchemaOpts: {
        tags: ['operations'],
        summary: 'Dependencies are usable',
        response: { 503: { type: 'object', properties: { ...errorBody, checks } } },
      },
      routeResponseSchemaOpts: { checks },
    },
  })

  app.get('/health', probe, async () => ({ status: 'ok' }))
}

/**
 * `/health` and `/ready` (see the module comment). Register it after whatever the checks use.
 *
 * @example
 * ```ts
 * await app.register(healthRoutes, { checks: { database: () => db.query('SELECT 1') } })
 * ```
 */
export const healthRoutes = fp(health, { name: '@stateless-auth/service-kit/health', fastify: '5.x' })
