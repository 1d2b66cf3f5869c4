import { startTestIssuer, type TestIssuer, tempDatabase } from '@stateless-auth/resource-server/testing'
import type { FastifyInstance } from 'fastify'
import { buildApp, type InventoryConfig, loadConfig } from '../src/app.js'

export const AUDIENCE = 'urn:stateless-auth:inventory-api'

/** Config for a test app trusting `issuer`, on a given database, with fast JWKS retries. */
export function testConfig(
  issuer: TestIssuer,
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
): InventoryConfig {
  return loadConfig({
    ISSUER: issuer.url,
    DATABASE_URL: databaseUrl,
    JWKS_COOLDOWN_MS: '0',
    LOG_LEVEL: 'silent',
    ...env,
  })
}

export interface Harness {
  issuer: TestIssuer
  app: FastifyInstance
  /** The database the app runs on (a restart reopens it). */
  databaseUrl: string
  /** A token orders-api would hold: client credentials, `inventory:read inventory:write`. */
  serviceToken(scope?: string): Promise<string>
  close(): Promise<void>
}

/** inventory-api against a test issuer, on `databaseUrl` or, by default, a fresh SQLite file removed on close. */
export async function harness(databaseUrl?: string, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const temp = databaseUrl === undefined ? tempDatabase() : undefined
  const issuer = await startTestIssuer({ audience: AUDIENCE, clientId: 'orders-api' })
  const url = databaseUrl ?? temp!.url
  const app = await buildApp(testConfig(issuer, url, env))
  return {
    issuer,
    app,
    databaseUrl: url,
    serviceToken: (scope = 'inventory:read inventory:write') =>
      issuer.token({ sub: 'orders-api', client_id: 'orders-api', scope }),
    async close() {
      await app.close()
      await issuer.close()
      temp?.remove()
    },
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
