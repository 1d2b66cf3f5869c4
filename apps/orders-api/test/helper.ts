import { startTestIssuer, type TestIssuer, tempDatabase } from '@stateless-auth/resource-server/testing'
import type { FastifyInstance } from 'fastify'
import { buildApp, loadConfig, type OrdersConfig } from '../src/app.js'
import { type InventoryStandIn, startInventoryStandIn } from './inventory-stand-in.js'

export const ORDERS = 'urn:stateless-auth:orders-api'
export const INVENTORY = 'urn:stateless-auth:inventory-api'

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export interface Harness {
  issuer: TestIssuer
  inventory: InventoryStandIn
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
 * orders-api against a test issuer (JWKS + client-credentials token endpoint) and inventory-api's contract
 * (a stand-in) on 127.0.0.1:0; `databaseUrl` is orders-api's own store.
 */
export async function harness(
  databaseUrl?: string,
  env: NodeJS.ProcessEnv = {},
  options: {
    fetch?: typeof fetch
    tokenTtl?: number
    /** Nonces the test issuer's token endpoint and the inventory stand-in require of DPoP proofs. */
    dpopNonces?: { issuer: string; inventory: string }
  } = {},
): Promise<Harness> {
  const issuer = await startTestIssuer({
    audience: ORDERS,
    ...(options.dpopNonces ? { dpopNonce: options.dpopNonces.issuer } : {}),
    clients: {
      'orders-api': {
        secret: 'orders-api-secret',
        scope: 'inventory:read inventory:write',
        ...(options.tokenTtl ? { tokenTtl: options.tokenTtl } : {}),
      },
    },
  })
  const ordersDb = databaseUrl === undefined ? tempDatabase() : undefined
  const inventory = await startInventoryStandIn(
    issuer,
    INVENTORY,
    options.dpopNonces ? { dpopNonce: options.dpopNonces.inventory } : {},
  )
  const inventoryUrl = inventory.url
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
      return inventory.stock(sku)
    },
    async restart() {
      await h.app.close()
      h.app = await build()
    },
    async close() {
      await h.app.close()
      await inventory.close()
      await issuer.close()
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
