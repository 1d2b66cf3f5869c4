import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { installErrorHandler } from '../src/error-handler.js'
import { healthRoutes } from '../src/health.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('/health and /ready through under-pressure', () => {
  it('answers ready while every check passes, and 503 naming the failed check via healthCheck', async () => {
    let databaseUp = true
    const app = Fastify()
    installErrorHandler(app)
    await app.register(healthRoutes, {
      checks: {
        database: async () => {
          if (!databaseUp) throw new Error('connection refused')
        },
        keys: async () => undefined,
      },
    })
    app.get('/work', async () => ({ done: true }))
    await app.ready()

    const ready = await app.inject({ url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', keys: 'ok' } })
    expect((await app.inject({ url: '/health' })).json()).toEqual({ status: 'ok' })

    databaseUp = false
    const down = await app.inject({ url: '/ready' })
    expect(down.statusCode).toBe(503)
    expect(down.headers['retry-after']).toBe('5')
    expect(down.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Not ready: database',
      checks: { database: 'failed', keys: 'ok' },
    })
    // Readiness is for the load balancer: other routes keep answering.
    expect((await app.inject({ url: '/work' })).statusCode).toBe(200)
    await app.close()
  })

  it('does not run the checks while the app boots (a dependency may start later)', async () => {
    const check = vi.fn(async () => {
      throw new Error('not yet')
    })
    const app = Fastify()
    await app.register(healthRoutes, { checks: { issuer: check } })
    await app.ready()
    expect(check).not.toHaveBeenCalled()
    expect((await app.inject({ url: '/health' })).statusCode).toBe(200)
    await app.close()
  })

  it('answers 503 on every route while the heap is over its limit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const app = Fastify()
    installErrorHandler(app)
    await app.register(healthRoutes, { checks: {}, maxHeapUsedBytes: 1, sampleInterval: 10 })
    await app.ready()
    vi.advanceTimersByTime(20)
    for (const url of ['/health', '/ready']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(503)
      expect(res.json(), url).toEqual({
        error: 'temporarily_unavailable',
        error_description: 'The service is under pressure; retry later',
      })
    }
    await app.close()
  })
})
