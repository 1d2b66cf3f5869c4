import { test } from '@fast-check/vitest'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

// Issue 15, scenario 6: with a valid service token, whatever SKU, body, query or path a client sends to
// inventory-api, the answer is a 2xx where the request is valid and otherwise a 4xx with an OAuth-style JSON
// body, never a 5xx. PROPERTY_RUNS=10000 for the full run (docs/properties.md).
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
    { sub: 'orders-api', client_id: 'orders-api', scope: 'inventory:read inventory:write' },
    { expiresIn: 86_400 },
  )
  headers = bearer(token)
})

afterAll(async () => {
  // The token still opened the API at the end, so no case was refused merely for want of a valid token.
  expect((await h.app.inject({ url: '/inventory', headers })).statusCode).toBe(200)
  await h?.close()
})

function expectAnswered(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBeLessThan(500)
  if (res.statusCode < 400) return
  expect(res.headers['content-type'], res.body).toMatch(/^application\/json/)
  expect(res.json()).toMatchObject({ error: expect.any(String), error_description: expect.any(String) })
}

/** A SKU path segment: a seeded one, a near miss, raw percent junk, or any string encoded. */
const sku = fc.oneof(
  fc.constantFrom(
    'gadget',
    'widget-blue',
    'widget-red',
    'unknown',
    'GADGET',
    '.',
    '..',
    '%zz',
    '%00',
    '%2F',
    'a%20b',
  ),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
)
const reservationId = fc.oneof(
  fc.uuid(),
  fc.constantFrom('r-1', 'r:2', ''),
  fc.string({ maxLength: 140 }),
  fc.jsonValue(),
)
const quantity = fc.oneof(fc.integer({ min: -2, max: 1001 }), fc.double(), fc.jsonValue())
/** Reserve- and release-shaped JSON (right, nearly right, wrong types, extra fields) or any JSON at all. */
const json = fc.oneof(
  fc.record({ quantity, reservation_id: reservationId }, { requiredKeys: [] }),
  fc
    .tuple(
      fc.record({ quantity, reservation_id: reservationId }),
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 }),
    )
    .map(([fields, extra]) => ({ ...extra, ...fields })),
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
const query = fc
  .array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 20 })), { maxLength: 3 })
  .map((pairs) => new URLSearchParams(pairs).toString())

describe('arbitrary input to inventory-api with a valid token: 2xx or a 4xx with a body, never a 5xx', () => {
  test.prop([fc.constantFrom('reserve', 'release'), sku, body], { numRuns })(
    'POST /inventory/:sku/reserve and /release',
    async (action, segment, { type, payload }) => {
      const res = await h.app.inject({
        method: 'POST',
        url: `/inventory/${segment}/${action}`,
        headers: { ...headers, 'content-type': type },
        payload,
      })
      expectAnswered(res)
    },
    timeout,
  )

  test.prop([sku, query], { numRuns })(
    'GET /inventory and /inventory/:sku with an arbitrary query',
    async (segment, search) => {
      expectAnswered(await h.app.inject({ url: `/inventory?${search}`, headers }))
      expectAnswered(await h.app.inject({ url: `/inventory/${segment}?${search}`, headers }))
    },
    timeout,
  )

  test.prop(
    [
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
      fc.oneof(
        fc.constantFrom('/inventory/', '/inventory/gadget/x', '//inventory', '/inventory/%zz/reserve'),
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
