import {
  type ResourceServerConfig,
  resourceServerConfig,
  resourceServerEnv,
} from '@stateless-auth/resource-server'
import { appPath, readConfig, Type } from '@stateless-auth/service-kit/config'

export type InventoryConfig = ResourceServerConfig

/** DESIGN.md: inventory-api listens on 4002 and is the resource `urn:stateless-auth:inventory-api`. */
export const inventoryEnv = Type.Object(
  resourceServerEnv({
    port: 4002,
    audience: 'urn:stateless-auth:inventory-api',
    databaseUrl: appPath(import.meta.url, 'data/inventory-api.sqlite'),
  }),
)

export function loadConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return resourceServerConfig(readConfig(inventoryEnv, env))
}
