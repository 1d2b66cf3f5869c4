import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { installErrorHandler, ResourceServerError } from '../src/index.js'

describe('one error format', () => {
  it('sends ResourceServerErrors as { error, error_description, ...details } with their headers', async () => {
    const app = Fastify()
    installErrorHandler(app, 'test')
    app.get('/busy', async () => {
      throw new ResourceServerError('X_ERR_BUSY', 503, 'temporarily_unavailable', 'busy', {
        headers: { 'retry-after': '5' },
        details: { queue: 3 },
      })
    })
    app.get('/bug', async () => {
      throw new TypeError('secret internals')
    })
    const busy = await app.inject({ url: '/busy' })
    expect(busy.statusCode).toBe(503)
    expect(busy.headers['retry-after']).toBe('5')
    expect(busy.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'busy', queue: 3 })
    const bug = await app.inject({ url: '/bug' })
    expect(bug.statusCode).toBe(500)
    expect(bug.json()).toEqual({ error: 'server_error', error_description: 'An unexpected error occurred' })
    await app.close()
  })
})
