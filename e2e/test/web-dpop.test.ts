import { describe, expect, it } from 'vitest'
import { signedInStack } from './helpers/stack.js'
import { postJson } from './helpers/web-sign-in.js'

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'))

// The web app (BFF) holds one DPoP key per session, server-side: every token it gets is bound to it (RFC 9449),
// and it calls both APIs with the DPoP scheme and a proof; the private key never reaches the browser.
describe('web app with DPoP', () => {
  // Every call refreshes first, so the refresh goes through the DPoP path too.
  const suite = signedInStack({ REFRESH_MARGIN: '3600' })

  it('redeems, refreshes and calls both APIs with proofs of one session key', async () => {
    const orders = await postJson(suite.stack.webUrl, '/api/call/orders', suite.jar)
    const inventory = await postJson(suite.stack.webUrl, '/api/call/inventory', suite.jar)
    for (const call of [orders, inventory]) {
      expect(call.status).toBe(200)
      expect(call.body.status).toBe(200)
      expect(call.body.request.scheme).toBe('DPoP')
    }
    const access = suite.stack.issuedTokens.filter((t) => t.split('.').length === 3).map(claimsOf)
    // The code's token and the two refreshed ones: all bound, all to the same key.
    expect(access.length).toBeGreaterThanOrEqual(3)
    expect(access.every((claims) => typeof claims.cnf?.jkt === 'string')).toBe(true)
    expect(new Set(access.map((claims) => claims.cnf.jkt)).size).toBe(1)
  })

  it('a bound token the session holds is refused when sent as Bearer', async () => {
    const token = suite.stack.issuedTokens.filter((t) => t.split('.').length === 3).at(-1)!
    expect(claimsOf(token).cnf).toBeDefined()
    const aud = claimsOf(token).aud
    const base = [aud].flat().includes('urn:stateless-auth:inventory-api')
      ? suite.stack.inventoryUrl
      : suite.stack.ordersUrl
    const path = base === suite.stack.inventoryUrl ? '/inventory' : '/orders'
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('DPoP')
  })

  it('never sends the private key to the browser', async () => {
    const page = await fetch(`${suite.stack.webUrl}/`, { headers: { cookie: suite.jar.header() } })
    const partial = await fetch(`${suite.stack.webUrl}/partials/token`, {
      headers: { cookie: suite.jar.header() },
    })
    for (const text of [await page.text(), await partial.text()]) {
      expect(text).not.toMatch(/"d"\s*:/)
      expect(text).not.toContain('dpopKey')
    }
  })
})
