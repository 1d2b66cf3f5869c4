import { backends, type TestStore } from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

describe.each(backends())('releasing a reservation on %s', (backend) => {
  let store: TestStore
  let h: Harness
  let headers: Record<string, string>

  beforeEach(async () => {
    store = await backend.createStore()
    h = await harness(store.url)
    headers = bearer(await h.serviceToken())
  })
  afterEach(async () => {
    await h.close()
    await store.drop()
  })

  const reserve = (quantity: number, id: string, sku = 'gadget') =>
    h.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/reserve`,
      headers,
      payload: { quantity, reservation_id: id },
    })
  const release = (id: string, sku = 'gadget', with_ = headers) =>
    h.app.inject({
      method: 'POST',
      url: `/inventory/${sku}/release`,
      headers: with_,
      payload: { reservation_id: id },
    })
  const stock = async (sku = 'gadget') =>
    (await h.app.inject({ url: `/inventory/${sku}`, headers })).json().stock as number

  it('gives the stock back once, however often it is released', async () => {
    expect((await reserve(4, 'order-1')).statusCode).toBe(201)
    expect(await stock()).toBe(6)
    const first = await release('order-1')
    expect(first.statusCode).toBe(200)
    expect(first.json()).toEqual({ reservation_id: 'order-1', sku: 'gadget', quantity: 4, remaining: 10 })
    const again = await release('order-1')
    expect(again.statusCode).toBe(200)
    expect(again.json()).toEqual({ reservation_id: 'order-1', sku: 'gadget', quantity: 4, remaining: 10 })
    expect(await stock()).toBe(10)
  })

  it('never reserves again under a released id (a late retry of the first request takes nothing)', async () => {
    await reserve(4, 'order-1')
    await release('order-1')
    const late = await reserve(4, 'order-1')
    expect(late.statusCode).toBe(409)
    expect(late.json()).toEqual({
      error: 'reservation_released',
      error_description: 'Reservation "order-1" was released; reserve under a new id',
    })
    expect(await stock()).toBe(10)
  })

  it('answers 404 for an unknown id, another SKU, or another client’s reservation, and releases nothing', async () => {
    await reserve(4, 'order-1')
    const unknown = await release('order-2')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({
      error: 'not_found',
      error_description: 'No reservation "order-2" of "gadget" by this client',
    })
    expect((await release('order-1', 'widget-blue')).statusCode).toBe(404)
    const other = bearer(
      await h.issuer.token({ sub: 'billing', client_id: 'billing', scope: 'inventory:write' }),
    )
    expect((await release('order-1', 'gadget', other)).statusCode).toBe(404)
    expect(await stock()).toBe(6)
    expect(await stock('widget-blue')).toBe(100)
  })

  it('needs inventory:write, like reserving', async () => {
    await reserve(4, 'order-1')
    const user = bearer(await h.issuer.token({ sub: 'alice', client_id: 'web', scope: 'inventory:read' }))
    const refused = await release('order-1', 'gadget', user)
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['www-authenticate']).toContain('scope="inventory:write"')
    const anonymous = await release('order-1', 'gadget', {})
    expect(anonymous.statusCode).toBe(401)
    expect(await stock()).toBe(6)
  })

  it('refuses a body without a valid reservation_id with 400 invalid_request', async () => {
    for (const payload of [
      {},
      { reservation_id: '' },
      { reservation_id: 'a b' },
      { reservation_id: 'x', more: 1 },
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/inventory/gadget/release', headers, payload })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.json().error).toBe('invalid_request')
    }
  })

  it('gives the stock back exactly once under 10 concurrent releases', async () => {
    await reserve(7, 'order-1')
    const results = await Promise.all(Array.from({ length: 10 }, () => release('order-1')))
    expect(results.map((res) => res.statusCode)).toEqual(Array(10).fill(200))
    expect(await stock()).toBe(10)
  })
})
