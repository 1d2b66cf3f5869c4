import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ApiStack, startApiStack } from './helpers/api-stack.js'
import { signIn } from './helpers/auth-flow.js'
import type { CountingProxy } from './helpers/services.js'

const ORDERS = 'urn:stateless-auth:orders-api'
const INVENTORY = 'urn:stateless-auth:inventory-api'

/**
 * The built auth-server, orders-api and inventory-api as processes on 127.0.0.1, everything over HTTP. The
 * issuer URL is a counting proxy in front of the auth-server, so every request that reaches it is seen.
 */
describe('full path with the real auth-server', () => {
  let stack: ApiStack
  let proxy: CountingProxy
  let ordersUrl: string
  let inventoryUrl: string
  let toAuthServer: string[]

  beforeEach(async () => {
    stack = await startApiStack('full-path', {
      auth: { JWKS_MAX_AGE: '0' },
      apis: { JWKS_COOLDOWN_MS: '0' },
    })
    proxy = stack.proxy
    toAuthServer = proxy.seen
    inventoryUrl = stack.inventory.url
    ordersUrl = stack.orders.url
  })
  afterEach(async () => {
    await stack?.stop()
  })

  const call = (base: string, path: string, token: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    })
  const userToken = (username: string, resource = ORDERS, scope = 'orders:read orders:write') =>
    signIn(proxy.url, { username, scope, resource })

  it('alice signs in, orders-api accepts her token, and her order reserves stock with orders-api’s own token', async () => {
    const alice = await userToken('alice')
    expect((await call(ordersUrl, '/orders', alice)).status).toBe(200)
    const tokensBefore = toAuthServer.filter((path) => path === '/token').length

    const placed = await call(ordersUrl, '/orders', alice, {
      method: 'POST',
      body: JSON.stringify({ sku: 'gadget', quantity: 2 }),
    })
    expect(placed.status).toBe(201)
    // orders-api asked the auth-server for its own token: metadata (for the token endpoint) and one token.
    expect(toAuthServer.filter((path) => path === '/token')).toHaveLength(tokensBefore + 1)
    // That token is DPoP-bound (RFC 9449): it names orders-api's key, and copied from the wire it is refused as
    // Bearer, because whoever holds it cannot sign a proof with that key.
    const serviceToken = proxy.issuedTokens.at(-1)!
    const claims = JSON.parse(Buffer.from(serviceToken.split('.')[1]!, 'base64url').toString('utf8'))
    expect(claims).toMatchObject({
      client_id: 'orders-api',
      aud: INVENTORY,
      cnf: { jkt: expect.any(String) },
    })
    const stolen = await call(inventoryUrl, '/inventory/gadget/reserve', serviceToken, {
      method: 'POST',
      body: JSON.stringify({ quantity: 1, reservation_id: 'thief-1' }),
    })
    expect(stolen.status).toBe(401)
    expect(stolen.headers.get('www-authenticate')).toContain('DPoP realm="inventory-api"')

    const reader = await userToken('alice', INVENTORY, 'inventory:read')
    const stock = (await (await call(inventoryUrl, '/inventory/gadget', reader)).json()) as { stock: number }
    expect(stock.stock).toBe(8)
  })

  it('a token for one API is refused by the other (401 invalid_token), and users see only their own orders', async () => {
    const forInventory = await userToken('alice', INVENTORY, 'inventory:read')
    const refused = await call(ordersUrl, '/orders', forInventory)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_token')
    const forOrders = await userToken('bob')
    const refusedToo = await call(inventoryUrl, '/inventory', forOrders)
    expect(refusedToo.status).toBe(401)

    const alice = await userToken('alice')
    await call(ordersUrl, '/orders', alice, {
      method: 'POST',
      body: JSON.stringify({ sku: 'gizmo', quantity: 1 }),
    })
    await call(ordersUrl, '/orders', alice, {
      method: 'POST',
      body: JSON.stringify({ sku: 'widget-red', quantity: 1 }),
    })
    const bobs = (await (await call(ordersUrl, '/orders', forOrders)).json()) as { orders: unknown[] }
    expect(bobs.orders).toEqual([])
    const alices = (await (await call(ordersUrl, '/orders', alice)).json()) as { orders: { sku: string }[] }
    expect(alices.orders.map((o) => o.sku)).toEqual(['widget-red'])
  })

  it('after the first JWKS fetch, 1,000 calls to orders-api cause zero requests to the auth-server', async () => {
    const alice = await userToken('alice')
    expect((await call(ordersUrl, '/orders', alice)).status).toBe(200)
    const afterFirst = toAuthServer.length
    expect(toAuthServer).toContain('/.well-known/oauth-authorization-server')
    for (let batch = 0; batch < 10; batch++) {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async () => (await call(ordersUrl, '/orders', alice)).status),
      )
      expect(statuses.every((status) => status === 200)).toBe(true)
    }
    expect(toAuthServer.length).toBe(afterFirst)
  })

  it('auth-server stopped: valid tokens keep working on both APIs; a rotated key is picked up with one fetch once it is back', async () => {
    const alice = await userToken('alice')
    const reader = await userToken('alice', INVENTORY, 'inventory:read')
    expect((await call(ordersUrl, '/orders', alice)).status).toBe(200)
    expect((await call(inventoryUrl, '/inventory', reader)).status).toBe(200)

    // A new key signs from now on (JWKS_MAX_AGE=0); the APIs have not seen it.
    const rotate = await fetch(`${stack.adminUrl}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token' },
    })
    expect(rotate.status).toBe(200)
    const rotated = await userToken('alice')

    await stack.auth.stop()
    expect((await call(ordersUrl, '/orders', alice)).status).toBe(200)
    expect((await call(inventoryUrl, '/inventory', reader)).status).toBe(200)
    expect([401, 503]).toContain((await call(ordersUrl, '/orders', rotated)).status)

    await stack.restartAuth()
    toAuthServer.length = 0
    for (let i = 0; i < 5; i++) expect((await call(ordersUrl, '/orders', rotated)).status).toBe(200)
    expect(toAuthServer).toEqual(['/jwks'])
  })
})
