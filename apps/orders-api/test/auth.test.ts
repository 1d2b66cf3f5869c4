import { harnessPerTest } from '@stateless-auth/resource-server/testing'
import { describe, expect, it } from 'vitest'
import { bearer, harness, INVENTORY, order } from './helper.js'

describe('who may call orders-api', () => {
  const h = harnessPerTest(harness)

  it('asks for a Bearer or DPoP token when none is sent (DPOP=allowed by default)', async () => {
    const res = await h().app.inject({ url: '/orders' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders-api", DPoP realm="orders-api", algs="ES256 EdDSA PS256 RS256"',
    )
  })

  it('refuses a token issued for inventory-api with 401 invalid_token', async () => {
    const token = await h().issuer.token({ aud: INVENTORY, scope: 'orders:read inventory:read' })
    const res = await h().app.inject({ url: '/orders', headers: bearer(token) })
    expect(res.statusCode).toBe(401)
    expect(res.json().error).toBe('invalid_token')
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"')
  })

  it('answers 403 insufficient_scope naming orders:write when placing an order with read access only', async () => {
    const res = await order(h(), await h().userToken('alice', 'orders:read'), { sku: 'gadget', quantity: 1 })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toBe('insufficient_scope')
    expect(res.headers['www-authenticate']).toContain('scope="orders:write"')
    expect(await h().stock('gadget')).toBe(10)
  })

  it('answers 403 naming orders:read when listing with write access only', async () => {
    const res = await h().app.inject({
      url: '/orders',
      headers: bearer(await h().userToken('alice', 'orders:write')),
    })
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toContain('scope="orders:read"')
  })
})
