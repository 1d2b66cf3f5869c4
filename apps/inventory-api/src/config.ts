import { fileURLToPath } from 'node:url'
import {
  type ResourceServerConfig,
  resourceServerConfig,
  resourceServerEnv,
} from '@stateless-auth/resource-server'
import { readConfig, Type } from '@stateless-auth/service-kit/config'

export type InventoryConfig = ResourceServerConfig

const appDir = fileURLToPath(new URL('..', import.meta.url))

/** DESIGN.md: inventory-api listens on 4002 and is the resource `urn:stateless-auth:inventory-api`. */
export const inventoryEnv = Type.Object(
  resourceServerEnv({
    port: 4002,
    audience: 'urn:stateless-auth:inventory-api',
    databaseUrl: `${appDir}data/inventory-api.sqlite`,
  }),
)

export function loadConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return resourceServerConfig(readConfig(inventoryEnv, env))
}
