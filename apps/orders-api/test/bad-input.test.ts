import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

describe('bad input to orders-api is a 4xx in the error format, never a 500', () => {
  let h: Harness
  let headers: Record<string, string>

  beforeEach(async () => {
    h = await harness()
    headers = bearer(await h.userToken('alice'))
  })
  afterEach(async () => {
    await h.close()
  })

  const post = (payload: string, extra: Record<string, string> = {}) =>
    h.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { ...headers, 'content-type': 'application/json', ...extra },
      payload,
    })

  it.each([
    ['malformed JSON', '{"sku":', 400],
    ['an empty body', '', 400],
    ['a missing quantity', '{"sku":"gadget"}', 400],
    ['a string quantity', '{"sku":"gadget","quantity":"two"}', 400],
    ['a fractional quantity', '{"sku":"gadget","quantity":0.5}', 400],
    ['a negative quantity', '{"sku":"gadget","quantity":-1}', 400],
    ['an object sku', '{"sku":{"$gt":""},"quantity":1}', 400],
    ['an array quantity', '{"sku":"gadget","quantity":[1,2]}', 400],
    ['a sku with a slash', '{"sku":"../inventory","quantity":1}', 400],
    ['an unknown field', '{"sku":"gadget","quantity":1,"user":"bob"}', 400],
    ['null', 'null', 400],
    ['a boolean quantity (not read as 1)', '{"sku":"gadget","quantity":true}', 400],
    ['a numeric-string quantity (not read as 2)', '{"sku":"gadget","quantity":"2"}', 400],
    ['a one-element array quantity', '{"sku":"gadget","quantity":[2]}', 400],
    ['a null quantity', '{"sku":"gadget","quantity":null}', 400],
    ['a huge body', JSON.stringify({ sku: 'gadget', quantity: 1, pad: 'x'.repeat(100_000) }), 413],
  ])('%s → %s', async (_, payload, status) => {
    const res = await post(payload)
    expect(res.statusCode).toBe(status)
    expect(res.json()).toMatchObject({ error: 'invalid_request', error_description: expect.any(String) })
    expect(await h.stock('gadget')).toBe(10)
  })

  it('a form body → 415', async () => {
    const res = await post('sku=gadget&quantity=1', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(res.statusCode).toBe(415)
  })

  it.each([
    ['limit=0', 400],
    ['limit=abc', 400],
    ['limit=1000', 400],
    ['other=1', 400],
  ])('GET /orders?%s → %s', async (query, status) => {
    const res = await h.app.inject({ url: `/orders?${query}`, headers })
    expect(res.statusCode).toBe(status)
    expect(res.json().error).toBe('invalid_request')
  })

  it('an unknown SKU → 404', async () => {
    const res = await post('{"sku":"unknown","quantity":1}')
    expect(res.statusCode).toBe(404)
  })

  it('a numeric SKU is a type error (400), not read as the string "42"', async () => {
    const res = await post('{"sku":42,"quantity":1}')
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'body/sku must be string' })
  })
})
