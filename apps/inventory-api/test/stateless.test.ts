import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { bearer, type Harness, harness } from './helper.js'

describe('stateless verification: the issuer is not called per request', () => {
  let h: Harness
  let base: string

  beforeEach(async () => {
    h = await harness()
    base = await h.app.listen({ port: 0, host: '127.0.0.1' })
  })
  afterEach(async () => {
    await h.close()
  })

  const get = (token: string) => fetch(`${base}/inventory/gadget`, { headers: bearer(token) })

  it('after the first JWKS fetch, 1,000 API calls cause zero more requests to the issuer', async () => {
    const token = await h.serviceToken('inventory:read')
    expect((await get(token)).status).toBe(200)
    expect(h.issuer.requests).toEqual({ metadata: 1, jwks: 1, token: 0, total: 2 })

    const others = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.issuer.token({ sub: `user-${i}`, scope: 'inventory:read' })),
    )
    for (let batch = 0; batch < 10; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => (await get(others[i % others.length]!)).status),
      )
      expect(statuses.every((status) => status === 200)).toBe(true)
    }
    expect(h.issuer.requests).toEqual({ metadata: 1, jwks: 1, token: 0, total: 2 })
  }, 60_000) // 1,000 real HTTP round trips: generous on a loaded CI machine, and no speed is asserted

  it('keeps accepting valid tokens while the issuer is down, and picks up a rotated key with one fetch when it is back', async () => {
    const before = await h.serviceToken('inventory:read')
    expect((await get(before)).status).toBe(200)

    await h.issuer.stop()
    expect((await get(before)).status).toBe(200)
    expect((await get(await h.serviceToken('inventory:read'))).status).toBe(200)

    await h.issuer.rotate()
    const rotated = await h.serviceToken('inventory:read')
    // An unknown kid while the JWKS cannot be fetched: a new key or a forged kid, we cannot tell, so 503.
    const refused = await get(rotated)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/)
    expect(await refused.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'The signing keys cannot be loaded right now',
    })
    expect((await get(before)).status).toBe(200)

    await h.issuer.start()
    h.issuer.resetCounts()
    for (let i = 0; i < 5; i++) expect((await get(rotated)).status).toBe(200)
    expect(h.issuer.requests).toEqual({ metadata: 0, jwks: 1, token: 0, total: 1 })
  })
})
