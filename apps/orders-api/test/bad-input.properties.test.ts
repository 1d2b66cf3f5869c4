import { test } from '@fast-check/vitest'
import { anyMethodOnAnyPath, propertySubject, sentBodies } from '@stateless-auth/resource-server/testing'
import fc from 'fast-check'
import { describe } from 'vitest'
import { harness } from './helper.js'

// Issue 15, scenario 6: with a valid token, whatever body, query, path or header a client sends to orders-api, the
// answer is a 2xx where the request is valid and otherwise a 4xx with an OAuth-style JSON body, never a 5xx.
// PROPERTY_RUNS=10000 for the full run (docs/properties.md).
const subject = propertySubject(
  () => harness(),
  { sub: 'alice', client_id: 'web', scope: 'orders:read orders:write' },
  '/orders',
)

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
const body = sentBodies(json)
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
  test.prop([body, idempotencyKey], subject.runs)(
    'POST /orders',
    ({ type, payload }, key) =>
      subject.answers({
        method: 'POST',
        url: '/orders',
        headers: { 'content-type': type, ...(key ? { 'idempotency-key': key } : {}) },
        payload,
      }),
    subject.timeout,
  )

  test.prop([query], subject.runs)(
    'GET /orders with an arbitrary query',
    (search) => subject.answers({ url: `/orders?${search}` }),
    subject.timeout,
  )

  anyMethodOnAnyPath(subject, ['/orders/', '/orders/1', '/orders/%zz', '//orders', '/orders/..'], body)
})
