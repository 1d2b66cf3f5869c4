import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { installErrorHandler } from '../src/error-handler.js'
import { fastifyOptions } from '../src/fastify-options.js'

// What a service accepts as input: JSON bodies keep their JSON types; only the parts of a request that
// arrive as text (path parameters, query string) are read as the numbers their schema asks for.

let app: FastifyInstance

beforeEach(async () => {
  app = Fastify(fastifyOptions({ bodyLimit: 1024 }))
  installErrorHandler(app)
  app.post<{ Params: { sku: string }; Querystring: { dry?: boolean } }>(
    '/items/:sku',
    {
      schema: {
        params: { type: 'object', properties: { sku: { type: 'string', pattern: '^[a-z0-9-]+$' } } },
        querystring: { type: 'object', properties: { dry: { type: 'boolean' } } },
        body: {
          type: 'object',
          required: ['quantity'],
          additionalProperties: false,
          properties: {
            quantity: { type: 'integer', minimum: 1 },
            id: { type: 'string', format: 'uuid' },
          },
        },
      },
    },
    async (request) => ({ body: request.body, dry: request.query.dry }),
  )
  app.get<{ Querystring: { limit: number } }>(
    '/items',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        },
      },
    },
    async (request) => ({ limit: request.query.limit }),
  )
  await app.ready()
})
afterEach(() => app.close())

const post = (payload: string, url = '/items/gadget') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload })

describe('request validation', () => {
  it.each([
    ['a boolean', '{"quantity":true}', 'body/quantity must be integer'],
    ['a numeric string', '{"quantity":"5"}', 'body/quantity must be integer'],
    ['an array holding a number', '{"quantity":[2]}', 'body/quantity must be integer'],
    ['null', '{"quantity":null}', 'body/quantity must be integer'],
    ['a number where a string is expected', '{"quantity":1,"id":5}', 'body/id must be string'],
  ])('refuses %s in a JSON body instead of converting it', async (_, payload, description) => {
    const res = await post(payload)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: description })
  })

  it('still checks string formats in bodies', async () => {
    const res = await post('{"quantity":1,"id":"not-a-uuid"}')
    expect(res.statusCode).toBe(400)
    expect(res.json().error_description).toBe('body/id must match format "uuid"')
  })

  it('accepts a well-typed body as sent', async () => {
    const res = await post('{"quantity":2,"id":"0b1c7c1e-8f7a-4d43-9a43-2f0f3e1f6b7a"}')
    expect(res.statusCode).toBe(200)
    expect(res.json().body).toEqual({ quantity: 2, id: '0b1c7c1e-8f7a-4d43-9a43-2f0f3e1f6b7a' })
  })

  it('reads query-string numbers and booleans, and applies defaults', async () => {
    expect((await app.inject({ url: '/items?limit=10' })).json()).toEqual({ limit: 10 })
    expect((await app.inject({ url: '/items' })).json()).toEqual({ limit: 50 })
    expect((await post('{"quantity":1}', '/items/gadget?dry=true')).json().dry).toBe(true)
    const bad = await app.inject({ url: '/items?limit=many' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toEqual({
      error: 'invalid_request',
      error_description: 'querystring/limit must be integer',
    })
  })

  it('answers a URL the router cannot decode in the error format', async () => {
    for (const url of ['/items/%', '/items/%E0%A4%A']) {
      const res = await app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      })
      expect(res.statusCode, url).toBe(400)
      expect(res.json(), url).toEqual({
        error: 'invalid_request',
        error_description: expect.stringContaining('not a valid url component'),
      })
    }
  })
})
