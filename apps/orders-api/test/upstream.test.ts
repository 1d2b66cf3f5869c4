import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness, order } from './helper.js'

describe('when inventory-api or the auth-server fails, callers get a clear 502/503', () => {
  let dir: string
  let h: Harness | undefined

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orders-upstream-'))
  })
  afterEach(async () => {
    await h?.close()
    h = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  it('inventory-api down → 503 temporarily_unavailable with Retry-After, and no order', async () => {
    h = await harness(join(dir, 'orders.sqlite'))
    await h.inventory.close()
    const alice = await h.userToken('alice')
    const res = await order(h, alice, { sku: 'gadget', quantity: 1 })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('5')
    expect(res.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'inventory-api cannot be reached',
    })
    expect((await h.app.inject({ url: '/orders', headers: bearer(alice) })).json().orders).toEqual([])
  })

  it('auth-server down before orders-api has a service token → 503', async () => {
    h = await harness(join(dir, 'orders.sqlite'))
    const alice = await h.userToken('alice')
    // orders-api has the keys already (so alice's token verifies) but no service token yet.
    expect((await h.app.inject({ url: '/orders', headers: bearer(alice) })).statusCode).toBe(200)
    await h.issuer.stop()
    const res = await order(h, alice, { sku: 'gadget', quantity: 1 })
    expect(res.statusCode).toBe(503)
    expect(res.json().error).toBe('temporarily_unavailable')
  })

  it('a wrong client secret → 502 bad_gateway (retrying will not help)', async () => {
    h = await harness(join(dir, 'orders.sqlite'), { CLIENT_SECRET: 'wrong' })
    const res = await order(h, await h.userToken('alice'), { sku: 'gadget', quantity: 1 })
    expect(res.statusCode).toBe(502)
    expect(res.json().error).toBe('bad_gateway')
    expect(res.json().error_description).not.toContain('wrong')
  })

  it('a service token refused by inventory-api (401) is replaced once and the order goes through', async () => {
    const seen: string[] = []
    let forged = true
    // The first inventory call carries a token inventory-api cannot accept; orders-api must fetch a new one.
    const fetchSpy: typeof fetch = async (input, init) => {
      const url = String(input)
      if (url.includes('/inventory/') && forged) {
        forged = false
        seen.push('inventory (stale token)')
        const headers = new Headers(init?.headers)
        headers.set('authorization', 'Bearer stale.token.value')
        return fetch(input, { ...init, headers })
      }
      seen.push(url.includes('/token') ? 'token' : url.includes('/inventory/') ? 'inventory' : 'other')
      return fetch(input, init)
    }
    h = await harness(join(dir, 'orders.sqlite'), {}, { fetch: fetchSpy })
    const res = await order(h, await h.userToken('alice'), { sku: 'gadget', quantity: 3 })
    expect(res.statusCode).toBe(201)
    expect(seen.filter((s) => s !== 'other')).toEqual([
      'token',
      'inventory (stale token)',
      'token',
      'inventory',
    ])
    expect(await h.stock('gadget')).toBe(7)
  })

  it('a second 401 from inventory-api → 502, not an endless loop', async () => {
    const fetchSpy: typeof fetch = async (input, init) => {
      if (!String(input).includes('/inventory/')) return fetch(input, init)
      const headers = new Headers(init?.headers)
      headers.set('authorization', 'Bearer stale.token.value')
      return fetch(input, { ...init, headers })
    }
    h = await harness(join(dir, 'orders.sqlite'), {}, { fetch: fetchSpy })
    const res = await order(h, await h.userToken('alice'), { sku: 'gadget', quantity: 1 })
    expect(res.statusCode).toBe(502)
    expect(h.issuer.requests.token).toBe(2)
  })
})
