import { buildApp as buildInventory, loadConfig as inventoryConfig } from '@stateless-auth/inventory-api'
import { startTestIssuer, type TestIssuer, tempDatabase } from '@stateless-auth/resource-server/testing'
import type { FastifyInstance } from 'fastify'
import { buildApp, loadConfig, type OrdersConfig } from '../src/app.js'

export const ORDERS = 'urn:stateless-auth:orders-api'
export const INVENTORY = 'urn:stateless-auth:inventory-api'

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export interface Harness {
  issuer: TestIssuer
  inventory: FastifyInstance
  inventoryUrl: string
  app: FastifyInstance
  config: OrdersConfig
  /** A user token for orders-api. */
  userToken(sub: string, scope?: string): Promise<string>
  /** A token inventory-api accepts for reading stock. */
  stock(sku: string): Promise<number>
  /** Rebuilds orders-api on the same database (a restart). */
  restart(): Promise<void>
  close(): Promise<void>
}

/**
 * orders-api against a test issuer (JWKS + client-credentials token endpoint) and a real inventory-api on
 * 127.0.0.1:0; `databaseUrl` is orders-api's own store (by default a fresh SQLite file removed on close).
 */
export async function harness(
  databaseUrl?: string,
  env: NodeJS.ProcessEnv = {},
  options: { fetch?: typeof fetch; tokenTtl?: number } = {},
): Promise<Harness> {
  const issuer = await startTestIssuer({
    audience: ORDERS,
    clients: {
      'orders-api': {
        secret: 'orders-api-secret',
        scope: 'inventory:read inventory:write',
        ...(options.tokenTtl ? { tokenTtl: options.tokenTtl } : {}),
      },
    },
  })
  const ordersDb = databaseUrl === undefined ? tempDatabase() : undefined
  const inventoryDb = tempDatabase()
  const inventory = await buildInventory(
    inventoryConfig({
      ISSUER: issuer.url,
      DATABASE_URL: inventoryDb.url,
      JWKS_COOLDOWN_MS: '0',
      LOG_LEVEL: 'silent',
    }),
  )
  const inventoryUrl = await inventory.listen({ port: 0, host: '127.0.0.1' })
  const config = loadConfig({
    ISSUER: issuer.url,
    DATABASE_URL: databaseUrl ?? ordersDb!.url,
    INVENTORY_API_URL: inventoryUrl,
    JWKS_COOLDOWN_MS: '0',
    INVENTORY_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'silent',
    ...env,
  })
  const build = () => buildApp(config, options.fetch ? { fetch: options.fetch } : {})
  const h: Harness = {
    issuer,
    inventory,
    inventoryUrl,
    app: await build(),
    config,
    userToken: (sub, scope = 'orders:read orders:write') => issuer.token({ sub, client_id: 'web', scope }),
    async stock(sku) {
      const token = await issuer.token({ aud: INVENTORY, scope: 'inventory:read' })
      const res = await inventory.inject({ url: `/inventory/${sku}`, headers: bearer(token) })
      return res.json().stock as number
    },
    async restart() {
      await h.app.close()
      h.app = await build()
    },
    async close() {
      await h.app.close()
      await inventory.close()
      await issuer.close()
      inventoryDb.remove()
      ordersDb?.remove()
    },
  }
  return h
}

export function order(
  h: Harness,
  token: string,
  payload: unknown,
): Promise<Awaited<ReturnType<FastifyInstance['inject']>>> {
  return h.app.inject({ method: 'POST', url: '/orders', headers: bearer(token), payload: payload as object })
}
