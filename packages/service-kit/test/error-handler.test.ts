import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { installErrorHandler } from '../src/error-handler.js'
import { defineError, ServiceError } from '../src/errors.js'
import { fastifyOptions } from '../src/fastify-options.js'

class LibraryError extends Error {}
class StoreDownError extends Error {}

async function app() {
  const format = {
    map: (error: Error) =>
      error instanceof LibraryError
        ? new ServiceError('X_ERR_UPSTREAM', 502, 'bad_gateway', 'upstream')
        : undefined,
    outages: [
      { dependency: 'database', retryAfter: 2, test: (error: unknown) => error instanceof StoreDownError },
    ],
  }
  const instance = Fastify(fastifyOptions({ bodyLimit: 64, errors: format }))
  installErrorHandler(instance, format)
  instance.get('/busy', async () => {
    throw new ServiceError('X_ERR_BUSY', 503, 'temporarily_unavailable', 'busy', {
      headers: { 'retry-after': '5' },
      details: { queue: 3 },
    })
  })
  instance.get('/bug', async () => {
    throw new TypeError('secret internals')
  })
  instance.get('/library', async () => {
    throw new LibraryError('raw')
  })
  instance.get('/store', async () => {
    throw new StoreDownError('connect ECONNREFUSED')
  })
  instance.post('/items/:id', async (request) => request.body)
  await instance.ready()
  return instance
}

describe('one error handler', () => {
  it('sends ServiceErrors as { error, error_description, ...details } with their headers', async () => {
    const a = await app()
    const busy = await a.inject({ url: '/busy' })
    expect(busy.statusCode).toBe(503)
    expect(busy.headers['retry-after']).toBe('5')
    expect(busy.json()).toEqual({ error: 'temporarily_unavailable', error_description: 'busy', queue: 3 })
    await a.close()
  })

  it('maps library errors through the service’s own mapping, and hides internals behind a 500', async () => {
    const a = await app()
    expect((await a.inject({ url: '/library' })).json()).toEqual({
      error: 'bad_gateway',
      error_description: 'upstream',
    })
    const bug = await a.inject({ url: '/bug' })
    expect(bug.statusCode).toBe(500)
    expect(bug.json()).toEqual({ error: 'server_error', error_description: 'An unexpected error occurred' })
    await a.close()
  })

  it('answers an outage of a dependency with 503 temporarily_unavailable and Retry-After, not a 500', async () => {
    const a = await app()
    const down = await a.inject({ url: '/store' })
    expect(down.statusCode).toBe(503)
    expect(down.headers['retry-after']).toBe('2')
    expect(down.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The database is unavailable; retry shortly',
    })
    await a.close()
  })

  it.each([
    ['a body over the limit', { payload: JSON.stringify({ a: 'x'.repeat(100) }) }, 413],
    ['malformed JSON', { payload: '{"a":' }, 400],
    ['an unsupported media type', { payload: 'a', headers: { 'content-type': 'text/x-nope' } }, 415],
    ['a URL the router cannot decode', { url: '/items/%E0%A4%A', payload: '{}' }, 400],
  ])('answers %s with a 4xx in the same format, never a 500', async (_, request, status) => {
    const a = await app()
    const res = await a.inject({
      method: 'POST',
      url: '/items/1',
      headers: { 'content-type': 'application/json' },
      ...request,
    })
    expect(res.statusCode).toBe(status)
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) })
    await a.close()
  })

  it('answers an unknown route 404 in the same format', async () => {
    const a = await app()
    const res = await a.inject({ url: '/nope?x=1' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'not_found', error_description: 'No route GET /nope' })
    await a.close()
  })
})

describe('ServiceError on @fastify/error', () => {
  it('carries a stable code and status, and instanceof follows the class', () => {
    const Busy = defineError<[string]>('X_ERR_BUSY', 503, 'busy: %s', 'temporarily_unavailable')
    const Gone = defineError<[]>('X_ERR_GONE', 410, 'gone')
    const error = new Busy('queue full')
    expect(error).toBeInstanceOf(ServiceError)
    expect(error).toBeInstanceOf(Busy)
    expect(error).not.toBeInstanceOf(Gone)
    expect(error).toMatchObject({ code: 'X_ERR_BUSY', statusCode: 503, message: 'busy: queue full' })
    expect(error.toJSON()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'busy: queue full',
    })
    expect(new Gone().toJSON()).toEqual({ error: 'X_ERR_GONE', error_description: 'gone' })
  })
})
