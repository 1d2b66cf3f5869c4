import { harnessPerTest } from '@stateless-auth/resource-server/testing'
import { backends } from '@stateless-auth/sql/testing'
import { describe, expect, it } from 'vitest'
import { bearer, harness, order } from './helper.js'

describe.each(backends())('orders on %s', (backend) => {
  const h = harnessPerTest(harness, backend)

  it('places an order: stock is reserved at inventory-api with orders-api’s own token', async () => {
    const alice = await h().userToken('alice')
    const res = await order(h(), alice, { sku: 'gadget', quantity: 2 })
    expect(res.statusCode).toBe(201)
    const placed = res.json()
    expect(placed).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sku: 'gadget',
      quantity: 2,
      status: 'confirmed',
      created_at: expect.any(String),
    })
    expect(res.headers.location).toBe(`/orders/${placed.id}`)
    expect(await h().stock('gadget')).toBe(8)
    expect(h().issuer.requests.token).toBe(1)
    const list = await h().app.inject({ url: '/orders', headers: bearer(alice) })
    expect(list.json()).toEqual({ orders: [placed] })
  })

  it('keeps users apart: alice never sees bob’s orders', async () => {
    const alice = await h().userToken('alice')
    const bob = await h().userToken('bob')
    await order(h(), alice, { sku: 'gadget', quantity: 1 })
    await order(h(), bob, { sku: 'widget-blue', quantity: 3 })
    await order(h(), bob, { sku: 'widget-red', quantity: 1 })
    const aliceOrders = (await h().app.inject({ url: '/orders', headers: bearer(alice) })).json().orders
    const bobOrders = (await h().app.inject({ url: '/orders', headers: bearer(bob) })).json().orders
    expect(aliceOrders.map((o: { sku: string }) => o.sku)).toEqual(['gadget'])
    expect(bobOrders.map((o: { sku: string }) => o.sku).sort()).toEqual(['widget-blue', 'widget-red'])
  })

  it('answers 409 insufficient_stock when stock runs out, and records no order', async () => {
    const alice = await h().userToken('alice')
    const res = await order(h(), alice, { sku: 'gadget', quantity: 11 })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      error: 'insufficient_stock',
      sku: 'gadget',
      requested: 11,
      available: 10,
    })
    expect((await h().app.inject({ url: '/orders', headers: bearer(alice) })).json().orders).toEqual([])
    expect(await h().stock('gadget')).toBe(10)
  })

  it('answers 404 for an unknown SKU', async () => {
    const res = await order(h(), await h().userToken('alice'), { sku: 'no-such-thing', quantity: 1 })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ error: 'not_found', error_description: 'Unknown SKU "no-such-thing"' })
  })

  it('keeps orders across a restart', async () => {
    const alice = await h().userToken('alice')
    const placed = (await order(h(), alice, { sku: 'widget-blue', quantity: 5 })).json()
    await h().restart()
    const list = await h().app.inject({ url: '/orders', headers: bearer(alice) })
    expect(list.json().orders).toEqual([placed])
  })

  it('gets one service token for many concurrent orders (cached, single-flight)', async () => {
    const alice = await h().userToken('alice')
    const results = await Promise.all(
      Array.from({ length: 20 }, () => order(h(), alice, { sku: 'widget-blue', quantity: 1 })),
    )
    expect(results.every((res) => res.statusCode === 201)).toBe(true)
    expect(h().issuer.requests.token).toBe(1)
    expect(await h().stock('widget-blue')).toBe(80)
  })
})
