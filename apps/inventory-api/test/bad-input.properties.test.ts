import { test } from '@fast-check/vitest'
import { anyMethodOnAnyPath, propertySubject, sentBodies } from '@stateless-auth/resource-server/testing'
import fc from 'fast-check'
import { describe } from 'vitest'
import { harness } from './helper.js'

// Issue 15, scenario 6: with a valid service token, whatever SKU, body, query or path a client sends to
// inventory-api, the answer is a 2xx where the request is valid and otherwise a 4xx with an OAuth-style JSON
// body, never a 5xx. PROPERTY_RUNS=10000 for the full run (docs/properties.md).
const subject = propertySubject(
  harness,
  { sub: 'orders-api', client_id: 'orders-api', scope: 'inventory:read inventory:write' },
  '/inventory',
)

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
const body = sentBodies(json)
const query = fc
  .array(fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 20 })), { maxLength: 3 })
  .map((pairs) => new URLSearchParams(pairs).toString())

describe('arbitrary input to inventory-api with a valid token: 2xx or a 4xx with a body, never a 5xx', () => {
  test.prop([fc.constantFrom('reserve', 'release'), sku, body], subject.runs)(
    'POST /inventory/:sku/reserve and /release',
    (action, segment, { type, payload }) =>
      subject.answers({
        method: 'POST',
        url: `/inventory/${segment}/${action}`,
        headers: { 'content-type': type },
        payload,
      }),
    subject.timeout,
  )

  test.prop([sku, query], subject.runs)(
    'GET /inventory and /inventory/:sku with an arbitrary query',
    async (segment, search) => {
      await subject.answers({ url: `/inventory?${search}` })
      await subject.answers({ url: `/inventory/${segment}?${search}` })
    },
    subject.timeout,
  )

  anyMethodOnAnyPath(
    subject,
    ['/inventory/', '/inventory/gadget/x', '//inventory', '/inventory/%zz/reserve'],
    body,
  )
})
