import { openAppDatabase, resourceServer } from '@stateless-auth/resource-server'
import { fastifyOptions } from '@stateless-auth/service-kit/fastify'
import type { LoggerOptions } from '@stateless-auth/service-kit/logger'
import Fastify, { type FastifyInstance } from 'fastify'
import type { InventoryConfig } from './config.js'
import inventoryRoutes from './routes/inventory.js'
import { createInventoryStore } from './storage/inventory.js'
import { migrations } from './storage/migrations.js'

export { type InventoryConfig, loadConfig } from './config.js'

/**
 * Builds inventory-api without listening: tests inject requests or listen on port 0, `server.ts` adds the
 * process concerns. Opens (and migrates) the database; `app.close()` closes it.
 */
export async function buildApp(
  config: InventoryConfig,
  options: { logger?: LoggerOptions | false } = {},
): Promise<FastifyInstance> {
  const db = await openAppDatabase(config.databaseUrl, migrations)
  const app = Fastify(fastifyOptions({ bodyLimit: config.bodyLimit, logger: options.logger }))
  app.addHook('onClose', () => db.close())
  try {
    await app.register(resourceServer, {
      config,
      realm: 'inventory-api',
      docs: {
        title: 'inventory-api',
        description: 'Stock levels. Every route checks a JWT access token locally against the issuer JWKS.',
        version: '0.1.0',
        scopes: {
          'inventory:read': 'read stock levels',
          'inventory:write': 'reserve stock (held by the orders-api client only)',
        },
      },
      readinessChecks: { database: () => db.query('SELECT 1') },
    })
    await app.register(inventoryRoutes, { store: createInventoryStore(db) })
    await app.ready()
  } catch (error) {
    await app.close()
    throw error
  }
  return app
}
