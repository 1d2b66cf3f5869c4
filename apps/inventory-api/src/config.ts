import { fileURLToPath } from 'node:url'
import { loadResourceServerConfig, type ResourceServerConfig } from '@stateless-auth/resource-server'

export type InventoryConfig = ResourceServerConfig

const appDir = fileURLToPath(new URL('..', import.meta.url))

/** DESIGN.md: inventory-api listens on 4002 and is the resource `urn:stateless-auth:inventory-api`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): InventoryConfig {
  return loadResourceServerConfig(env, {
    port: 4002,
    audience: 'urn:stateless-auth:inventory-api',
    databaseUrl: `${appDir}data/inventory-api.sqlite`,
  })
}
