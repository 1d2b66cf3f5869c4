import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

describe('bad input to inventory-api is a 4xx in the error format, never a 500', () => {
  let h: Harness
  let headers: Record<string, string>

  beforeEach(async () => {
    h = await harness()
    headers = bearer(await h.serviceToken())
  })
  afterEach(async () => {
    await h.close()
  })

  const reserve = (payload: string | object, extra: Record<string, string> = {}, sku = 'gadget') =>
    h.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/reserve`,
      headers: { ...headers, 'content-type': 'application/json', ...extra },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    })

  it.each([
    ['malformed JSON', '{"quantity": ', 400],
    ['an empty body', '', 400],
    ['a string quantity', { quantity: 'lots' }, 400],
    ['a fractional quantity', { quantity: 1.5 }, 400],
    ['a zero quantity', { quantity: 0 }, 400],
    ['a negative quantity', { quantity: -5 }, 400],
    ['an absurd quantity', { quantity: 1e9 }, 400],
    ['an array body', [1, 2], 400],
    ['an unknown field', { quantity: 1, price: 0 }, 400],
    ['a boolean quantity (not read as 1)', { quantity: true }, 400],
    ['a numeric-string quantity (not read as 5)', { quantity: '5' }, 400],
    ['a one-element array quantity', { quantity: [2] }, 400],
    ['a null quantity', { quantity: null }, 400],
    ['a numeric reservation id', { quantity: 1, reservation_id: 5 }, 400],
    ['a bad reservation id', { quantity: 1, reservation_id: 'has spaces' }, 400],
    ['a huge body', { quantity: 1, pad: 'x'.repeat(100_000) }, 413],
  ])('%s → %s', async (_, payload, status) => {
    const res = await reserve(payload)
    expect(res.statusCode).toBe(status)
    expect(res.json()).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) })
    expect((await h.app.inject({ url: '/inventory/gadget', headers })).json().stock).toBe(10)
  })

  it('an unsupported content type → 415', async () => {
    const res = await reserve('quantity=1', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(res.statusCode).toBe(415)
    expect(res.json().error).toBe('invalid_request')
  })

  it.each([
    ['an unknown SKU', 'no-such-sku', 404],
    ['a SKU that breaks the pattern', '..%2F..%2Fetc', 400],
    ['an over-long SKU (fastify: maxParamLength)', 'a'.repeat(200), 414],
  ])('reserving %s → %s', async (_, sku, status) => {
    const res = await reserve({ quantity: 1 }, {}, sku)
    expect(res.statusCode).toBe(status)
    expect(res.json().error).toEqual(expect.any(String))
  })

  it.each(['/inventory/%', '/inventory/%E0%A4%A'])(
    'a URL that cannot be decoded (%s) → 400 in the error format',
    async (url) => {
      const res = await h.app.inject({ url, headers })
      expect(res.statusCode).toBe(400)
      expect(res.json()).toEqual({
        error: 'invalid_request',
        error_description: expect.stringContaining('is not a valid url component'),
      })
    },
  )

  it('an unknown route → 404 not_found', async () => {
    const res = await h.app.inject({ url: '/nope', headers })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'not_found', error_description: 'No route GET /nope' })
  })

  it('a reservation of a sold-out SKU → 409', async () => {
    const res = await reserve({ quantity: 1 }, {}, 'gizmo')
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ error: 'insufficient_stock', available: 0 })
  })
})
