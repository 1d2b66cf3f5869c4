import { harnessPerTest } from '@stateless-auth/resource-server/testing'
import { backends } from '@stateless-auth/sql/testing'
import { describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { bearer, harness, testConfig } from './helper.js'

describe.each(backends())('inventory on %s', (backend) => {
  const h = harnessPerTest(harness, backend)

  it('lists the seeded stock to a token with inventory:read', async () => {
    const res = await h().app.inject({
      url: '/inventory',
      headers: bearer(await h().serviceToken('inventory:read')),
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().items).toEqual([
      { sku: 'gadget', name: 'Gadget', stock: 10 },
      { sku: 'gizmo', name: 'Gizmo (sold out)', stock: 0 },
      { sku: 'widget-blue', name: 'Blue widget', stock: 100 },
      { sku: 'widget-red', name: 'Red widget', stock: 25 },
    ])
  })

  it('shows one SKU, and answers 404 not_found for an unknown one', async () => {
    const headers = bearer(await h().serviceToken('inventory:read'))
    const found = await h().app.inject({ url: '/inventory/gadget', headers })
    expect(found.json()).toEqual({ sku: 'gadget', name: 'Gadget', stock: 10 })
    const missing = await h().app.inject({ url: '/inventory/nope', headers })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ error: 'not_found', error_description: 'Unknown SKU "nope"' })
  })

  it('reserves stock and reports what is left', async () => {
    const res = await h().app.inject({
      method: 'POST',
      url: '/inventory/gadget/reserve',
      headers: bearer(await h().serviceToken()),
      payload: { quantity: 3, reservation_id: 'r-1' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({ reservation_id: 'r-1', sku: 'gadget', quantity: 3, remaining: 7 })
  })

  it('reserves once per reservation_id, so a retried request takes nothing more', async () => {
    const headers = bearer(await h().serviceToken())
    const send = (quantity: number) =>
      h().app.inject({
        method: 'POST',
        url: '/inventory/gadget/reserve',
        headers,
        payload: { quantity, reservation_id: 'order-42' },
      })
    expect((await send(4)).statusCode).toBe(201)
    const again = await send(4)
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ reservation_id: 'order-42', remaining: 6 })
    const conflicting = await send(5)
    expect(conflicting.statusCode).toBe(409)
    expect(conflicting.json().error).toBe('reservation_conflict')
    const after = await h().app.inject({ url: '/inventory/gadget', headers })
    expect(after.json().stock).toBe(6)
  })

  it('answers 409 insufficient_stock with what is available, and reserves nothing', async () => {
    const headers = bearer(await h().serviceToken())
    const res = await h().app.inject({
      method: 'POST',
      url: '/inventory/gadget/reserve',
      headers,
      payload: { quantity: 11 },
    })
    expect(res.statusCode).toBe(409)
    expect(res.json()).toEqual({
      error: 'insufficient_stock',
      error_description: 'Only 10 of "gadget" left, 11 requested',
      sku: 'gadget',
      requested: 11,
      available: 10,
    })
    expect((await h().app.inject({ url: '/inventory/gadget', headers })).json().stock).toBe(10)
  })

  it('never lets stock go negative under 50 concurrent reservations', async () => {
    const headers = bearer(await h().serviceToken())
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        h().app.inject({
          method: 'POST',
          url: '/inventory/widget-red/reserve',
          headers,
          payload: { quantity: 1 },
        }),
      ),
    )
    const codes = results.map((res) => res.statusCode)
    expect(codes.filter((code) => code === 201)).toHaveLength(25)
    expect(codes.filter((code) => code === 409)).toHaveLength(25)
    const remaining = results.filter((res) => res.statusCode === 201).map((res) => res.json().remaining)
    expect(new Set(remaining).size).toBe(25)
    expect(Math.min(...remaining)).toBe(0)
    expect((await h().app.inject({ url: '/inventory/widget-red', headers })).json().stock).toBe(0)
  })

  it('keeps stock across a restart on the same database', async () => {
    await h().app.inject({
      method: 'POST',
      url: '/inventory/widget-blue/reserve',
      headers: bearer(await h().serviceToken()),
      payload: { quantity: 30 },
    })
    await h().app.close()
    h().app = await buildApp(testConfig(h().issuer, h().databaseUrl))
    const res = await h().app.inject({
      url: '/inventory/widget-blue',
      headers: bearer(await h().serviceToken()),
    })
    expect(res.json().stock).toBe(70)
  })
})
