import { DpopClient, DpopKey } from '@stateless-auth/dpop-client'
import { openAppDatabase, resourceServer } from '@stateless-auth/resource-server'
import { fastifyOptions } from '@stateless-auth/service-kit/fastify'
import type { LoggerOptions } from '@stateless-auth/service-kit/logger'
import { metadataUrlFor } from '@stateless-auth/verifier'
import Fastify, { type FastifyInstance } from 'fastify'
import type { OrdersConfig } from './config.js'
import { createInventoryClient } from './inventory/client.js'
import { createTokenSource } from './inventory/token-source.js'
import orderRoutes from './routes/orders.js'
import { createIdempotencyKeyStore } from './storage/idempotency-keys.js'
import { migrations } from './storage/migrations.js'
import { createOrderStore } from './storage/orders.js'

export { loadConfig, type OrdersConfig } from './config.js'

/**
 * Builds orders-api without listening: tests inject requests or listen on port 0, `server.ts` adds the
 * process concerns. Opens (and migrates) the database; `app.close()` closes it.
 */
export async function buildApp(
  config: OrdersConfig,
  options: {
    logger?: LoggerOptions | false
    /** fetch for every outgoing call (auth-server, inventory-api); tests use it to count them. */
    fetch?: typeof fetch
  } = {},
): Promise<FastifyInstance> {
  const db = await openAppDatabase(config.databaseUrl, migrations)
  const app = Fastify(fastifyOptions({ bodyLimit: config.bodyLimit, logger: options.logger }))
  app.addHook('onClose', () => db.close())
  // One DPoP key per process, made at start and never written anywhere: a token copied from a log is useless.
  const dpop = config.inventory.dpop ? new DpopClient(DpopKey.generate(), options.fetch) : undefined
  const tokens = createTokenSource({
    issuer: config.issuer,
    metadataUri: config.metadataUri ?? metadataUrlFor(config.issuer),
    tokenEndpoint: config.client.tokenEndpoint,
    clientId: config.client.id,
    clientSecret: config.client.secret,
    resource: config.inventory.audience,
    scope: config.inventory.scope,
    timeoutMs: config.inventory.timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(dpop ? { dpop } : {}),
  })
  const inventory = createInventoryClient({
    baseUrl: config.inventory.url,
    tokens,
    timeoutMs: config.inventory.timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(dpop ? { dpop } : {}),
  })
  try {
    await app.register(resourceServer, {
      config,
      realm: 'orders-api',
      docs: {
        title: 'orders-api',
        description:
          "A user's orders. Every route checks a JWT access token locally against the issuer JWKS; placing an " +
          'order reserves stock at inventory-api with orders-api’s own client-credentials token.',
        version: '0.1.0',
        scopes: { 'orders:read': 'list your own orders', 'orders:write': 'place orders' },
      },
      readinessChecks: { database: () => db.query('SELECT 1') },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    })
    // A request holds its Idempotency-Key at most this long: its calls to the auth-server and inventory-api
    // (with one retry each) all time out well before; after it, a key left by a crashed process is taken over.
    const leaseMs = Math.max(60_000, 10 * config.inventory.timeoutMs)
    await app.register(orderRoutes, {
      store: createOrderStore(db),
      keys: createIdempotencyKeyStore(db, { leaseMs }),
      inventory,
    })
    await app.ready()
  } catch (error) {
    await app.close()
    throw error
  }
  return app
}
