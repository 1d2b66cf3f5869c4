import { test } from '@fast-check/vitest'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

// Issue 15, scenario 6: with a valid token, whatever body, query, path or header a client sends to orders-api, the
// answer is a 2xx where the request is valid and otherwise a 4xx with an OAuth-style JSON body, never a 5xx.
// PROPERTY_RUNS=10000 for the full run (docs/properties.md).
const numRuns = Number(process.env.PROPERTY_RUNS) || 200
// A safety net, not a speed check: a loaded machine may take far longer than usual per case.
const timeout = 60_000 + numRuns * 500

let h: Harness
let headers: Record<string, string>

beforeAll(async () => {
  h = await harness()
  // Valid for a day: a full run outlasts the default five minutes, and an expired token would turn every case
  // into the same 401.
  const token = await h.issuer.token(
    { sub: 'alice', client_id: 'web', scope: 'orders:read orders:write' },
    { expiresIn: 86_400 },
  )
  headers = bearer(token)
})

afterAll(async () => {
  // The token still opened the API at the end, so no case was refused merely for want of a valid token.
  expect((await h.app.inject({ url: '/orders', headers })).statusCode).toBe(200)
  await h?.close()
})

function expectAnswered(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBeLessThan(500)
  if (res.statusCode < 400) return
  expect(res.headers['content-type'], res.body).toMatch(/^application\/json/)
  expect(res.json()).toMatchObject({ error: expect.any(String), error_description: expect.any(String) })
}

const sku = fc.oneof(
  fc.constantFrom('gadget', 'widget-blue', 'widget-red', 'unknown', '../x', ''),
  fc.string(),
)
const quantity = fc.oneof(fc.integer({ min: -2, max: 1001 }), fc.double(), fc.jsonValue())
/** Order-shaped JSON (right, nearly right, wrong types, extra fields) or any JSON at all. */
const json = fc.oneof(
  fc.record({ sku, quantity }, { requiredKeys: [] }),
  fc
    .tuple(fc.record({ sku, quantity }), fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 }))
    .map(([order, extra]) => ({ ...extra, ...order })),
  fc.jsonValue(),
)
/** A body as sent: JSON, broken JSON, or something else under any content type. */
const body = fc.oneof(
  { weight: 3, arbitrary: json.map((v) => ({ type: 'application/json', payload: JSON.stringify(v) ?? '' })) },
  fc.tuple(json, fc.nat()).map(([v, cut]) => {
    const text = JSON.stringify(v) ?? ''
    return { type: 'application/json', payload: text.slice(0, cut % (text.length + 1)) }
  }),
  fc
    .tuple(
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'x/y'),
      fc.string(),
    )
    .map(([type, payload]) => ({ type, payload })),
)
const idempotencyKey = fc.option(
  fc.oneof(
    fc.uuid().map((u) => `"${u}"`),
    fc.string({ maxLength: 70 }).filter((k) => !/[\r\n]/.test(k)),
  ),
)
const queryValue = fc.oneof(
  fc.constantFrom('1', '50', '100', '0', '101', '-1', 'abc', '1e2', ''),
  fc.string(),
)
const query = fc
  .array(fc.tuple(fc.oneof(fc.constant('limit'), fc.string({ maxLength: 6 })), queryValue), { maxLength: 3 })
  .map((pairs) => new URLSearchParams(pairs).toString())

describe('arbitrary input to orders-api with a valid token: 2xx or a 4xx with a body, never a 5xx', () => {
  test.prop([body, idempotencyKey], { numRuns })(
    'POST /orders',
    async ({ type, payload }, key) => {
      const res = await h.app.inject({
        method: 'POST',
        url: '/orders',
        headers: { ...headers, 'content-type': type, ...(key ? { 'idempotency-key': key } : {}) },
        payload,
      })
      expectAnswered(res)
    },
    timeout,
  )

  test.prop([query], { numRuns })(
    'GET /orders with an arbitrary query',
    async (search) => {
      expectAnswered(await h.app.inject({ url: `/orders?${search}`, headers }))
    },
    timeout,
  )

  test.prop(
    [
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      fc.oneof(
        fc.constantFrom('/orders/', '/orders/1', '/orders/%zz', '//orders', '/orders/..'),
        fc.string(),
      ),
      body,
    ],
    { numRuns },
  )(
    'any method on any path',
    async (method, path, { type, payload }) => {
      const url = path.startsWith('/') ? path : `/${encodeURIComponent(path)}`
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers: { ...headers, 'content-type': type },
        ...(method === 'GET' ? {} : { payload }),
      })
      expectAnswered(res)
    },
    timeout,
  )
})
