import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiStack, startApiStack } from './helpers/api-stack.js'
import { signIn } from './helpers/auth-flow.js'
import type { CountingProxy, Service } from './helpers/services.js'

const ORDERS = 'urn:stateless-auth:orders-api'
const INVENTORY = 'urn:stateless-auth:inventory-api'
const TTL = 2
const MARGIN_MS = 3000

/** Sum of a Prometheus counter over all its label sets. */
function counter(metrics: string, name: string): number {
  let sum = 0
  for (const line of metrics.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop())
  }
  return sum
}

/**
 * Issue 14 end to end: the built auth-server (status lists with a 2 s ttl) behind a counting proxy that is also
 * the issuer URL, and both APIs checking status. A token revoked at /revoke is refused by both within ttl + a
 * margin; each API fetched the list about once per ttl, and nothing else reached the auth-server per request.
 */
describe('revocation through the token status list', () => {
  let stack: ApiStack
  let proxy: CountingProxy
  let orders: Service
  let inventory: Service

  beforeAll(async () => {
    stack = await startApiStack('revocation', {
      auth: { STATUS_LIST_TTL: String(TTL) },
      apis: { STATUS_LIST_CHECK: 'true', TOKEN_CACHE: 'true' },
    })
    ;({ proxy, orders, inventory } = stack)
  }, 120_000)
  afterAll(async () => {
    await stack?.stop()
  })

  const get = (base: string, path: string, token: string) =>
    fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
  const revoke = (token: string) =>
    fetch(`${proxy.url}/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    })
  const listFetches = async (service: Service) =>
    counter(await (await fetch(`${service.url}/metrics`)).text(), 'status_list_fetches_total')

  it('both APIs refuse a revoked token within ttl, fetching the list about once per ttl', async () => {
    const forOrders = await signIn(proxy.url, { username: 'alice', scope: 'orders:read', resource: ORDERS })
    const forInventory = await signIn(proxy.url, {
      username: 'alice',
      scope: 'inventory:read',
      resource: INVENTORY,
    })
    const seenBefore = proxy.seen.length
    const started = Date.now()

    // Warm: many requests, and the APIs reach the auth-server only for the list (and the JWKS at start).
    for (let i = 0; i < 20; i++) {
      expect((await get(orders.url, '/orders', forOrders)).status).toBe(200)
      expect((await get(inventory.url, '/inventory', forInventory)).status).toBe(200)
    }
    const warmPaths = proxy.seen.slice(seenBefore)
    expect(warmPaths.every((path) => path.startsWith('/status-lists/') || path.startsWith('/jwks'))).toBe(
      true,
    )
    expect(warmPaths.filter((path) => path.startsWith('/status-lists/')).length).toBeLessThan(10)

    expect((await revoke(forOrders)).status).toBe(200)
    expect((await revoke(forInventory)).status).toBe(200)
    const revokedAt = Date.now()

    const refused = { orders: 0, inventory: 0 }
    while (
      Date.now() - revokedAt < TTL * 1000 + MARGIN_MS &&
      (refused.orders === 0 || refused.inventory === 0)
    ) {
      const [o, i] = await Promise.all([
        get(orders.url, '/orders', forOrders),
        get(inventory.url, '/inventory', forInventory),
      ])
      for (const [name, res] of [
        ['orders', o],
        ['inventory', i],
      ] as const) {
        if (res.status === 401 && refused[name] === 0) {
          refused[name] = Date.now()
          expect(res.headers.get('www-authenticate')).toContain(
            'error="invalid_token", error_description="The access token has been revoked"',
          )
          expect(await res.json()).toEqual({
            error: 'invalid_token',
            error_description: 'The access token has been revoked',
          })
        } else {
          await res.body?.cancel()
        }
      }
      await sleep(100)
    }
    expect(refused.orders).toBeGreaterThan(0)
    expect(refused.inventory).toBeGreaterThan(0)
    // And it stays refused (the verified-token cache is on: its hits are checked against the list too).
    expect((await get(orders.url, '/orders', forOrders)).status).toBe(401)
    expect((await get(inventory.url, '/inventory', forInventory)).status).toBe(401)

    // About one fetch per ttl per API (each list is one URI), however many requests they served.
    const elapsed = (Date.now() - started) / 1000
    for (const service of [orders, inventory]) {
      const fetches = await listFetches(service)
      expect(fetches).toBeGreaterThanOrEqual(1)
      expect(fetches).toBeLessThanOrEqual(Math.ceil(elapsed / TTL) + 2)
    }
    // Nothing but list and key fetches reached the auth-server from the APIs: no introspection per request.
    const fromApis = proxy.seen.slice(seenBefore).filter((path) => path !== '/revoke')
    expect(fromApis.every((path) => path.startsWith('/status-lists/') || path.startsWith('/jwks'))).toBe(true)
  }, 60_000)
})
