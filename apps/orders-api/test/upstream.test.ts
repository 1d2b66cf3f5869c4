import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createInventoryClient } from '../src/inventory/client.js'
import type { TokenSource } from '../src/inventory/token-source.js'
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

describe('the retry after a 401', () => {
  it('releases the refused response before retrying, and sends the same reservation id with the new token', async () => {
    const calls: Array<{ authorization: string | null; body: unknown }> = []
    let refusedBodyReleased = false
    const fetchSpy: typeof fetch = async (_input, init) => {
      const headers = new Headers(init?.headers)
      calls.push({ authorization: headers.get('authorization'), body: JSON.parse(String(init?.body)) })
      if (calls.length === 1) {
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"error":"invalid_token"'))
          },
          cancel() {
            refusedBodyReleased = true
          },
        })
        return new Response(body, { status: 401, headers: { 'content-type': 'application/json' } })
      }
      return Response.json({ remaining: 7 }, { status: 201 })
    }
    let issued = 0
    const tokens: TokenSource = {
      get: async () => `token-${issued || ++issued}`,
      invalidate: () => {
        issued++
      },
      fetches: 0,
    }
    const client = createInventoryClient({
      baseUrl: 'http://127.0.0.1:1',
      tokens,
      timeoutMs: 1000,
      fetch: fetchSpy,
    })
    await expect(client.reserve({ sku: 'gadget', quantity: 3, reservationId: 'order-1' })).resolves.toEqual({
      remaining: 7,
    })
    // An unread body keeps its connection busy until garbage collection.
    expect(refusedBodyReleased).toBe(true)
    expect(calls.map((c) => c.authorization)).toEqual(['Bearer token-1', 'Bearer token-2'])
    expect(calls[0]?.body).toEqual(calls[1]?.body)
  })
})
