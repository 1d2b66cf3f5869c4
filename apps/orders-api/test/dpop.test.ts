import { afterEach, describe, expect, it } from 'vitest'
import { type Harness, harness, order } from './helper.js'

// orders-api → inventory-api with DPoP (RFC 9449): a service token bound to orders-api's own key, and a fresh proof
// for each call, so the token copied from a log or a proxy is useless to anyone else.

describe('orders-api calls inventory-api with DPoP', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  it('by default: a DPoP-bound token (cnf.jkt) and a fresh proof per call for the URL it calls', async () => {
    h = await harness()
    const alice = await h.userToken('alice')
    expect((await order(h, alice, { sku: 'gadget', quantity: 1 })).statusCode).toBe(201)
    expect((await order(h, alice, { sku: 'widget-red', quantity: 2 })).statusCode).toBe(201)
    const calls = h.inventory.calls
    expect(calls).toHaveLength(2)
    for (const call of calls) {
      expect(call.scheme).toBe('DPoP')
      expect(call.claims.cnf).toEqual({ jkt: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) })
      expect(call.proof).toMatchObject({ htm: 'POST', ath: expect.any(String), jti: expect.any(String) })
    }
    expect(calls.map((c) => c.proof?.htu)).toEqual([
      `${h.inventoryUrl}/inventory/gadget/reserve`,
      `${h.inventoryUrl}/inventory/widget-red/reserve`,
    ])
    // One cached token, one key, two distinct proofs.
    expect(calls[0]?.claims.jti).toBe(calls[1]?.claims.jti)
    expect(calls[0]?.proof?.jti).not.toBe(calls[1]?.proof?.jti)
    expect(h.issuer.requests.token).toBe(1)
  })

  it('retries once with the nonce the auth-server and inventory-api ask for, then reuses it', async () => {
    const seen: string[] = []
    const fetchSpy: typeof fetch = async (input, init) => {
      const url = String(input)
      const res = await fetch(input, init)
      if (url.endsWith('/token') || url.includes('/inventory/')) {
        seen.push(`${url.endsWith('/token') ? 'token' : 'inventory'} ${res.status}`)
      }
      return res
    }
    const nonces = { issuer: 'as-nonce-1', inventory: 'rs-nonce-1' }
    h = await harness(undefined, {}, { fetch: fetchSpy, dpopNonces: nonces })
    const alice = await h.userToken('alice')
    expect((await order(h, alice, { sku: 'gadget', quantity: 1 })).statusCode).toBe(201)
    expect((await order(h, alice, { sku: 'gadget', quantity: 1 })).statusCode).toBe(201)
    expect(seen).toEqual(['token 400', 'token 200', 'inventory 401', 'inventory 201', 'inventory 201'])
    expect(h.inventory.calls.map((c) => c.proof?.nonce)).toEqual(['rs-nonce-1', 'rs-nonce-1'])
  })

  it('INVENTORY_DPOP=false: a plain Bearer token, no proof', async () => {
    h = await harness(undefined, { INVENTORY_DPOP: 'false' })
    expect((await order(h, await h.userToken('alice'), { sku: 'gadget', quantity: 1 })).statusCode).toBe(201)
    expect(h.inventory.calls).toHaveLength(1)
    expect(h.inventory.calls[0]).toMatchObject({ scheme: 'Bearer' })
    expect(h.inventory.calls[0]?.claims.cnf).toBeUndefined()
  })

  it('a token endpoint that ignores the proof (token_type Bearer) → 502, the token is not used unbound', async () => {
    const fetchSpy: typeof fetch = async (input, init) => {
      if (!String(input).endsWith('/token')) return fetch(input, init)
      const headers = new Headers(init?.headers)
      headers.delete('dpop')
      return fetch(input, { ...init, headers })
    }
    h = await harness(undefined, {}, { fetch: fetchSpy })
    const res = await order(h, await h.userToken('alice'), { sku: 'gadget', quantity: 1 })
    expect(res.statusCode).toBe(502)
    expect(res.json().error_description).toBe('The token endpoint answered without a DPoP-bound access token')
    expect(h.inventory.calls).toEqual([])
  })
})
