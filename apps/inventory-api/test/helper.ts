import { startTestIssuer, type TestIssuer } from '@stateless-auth/resource-server/testing'
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
  /** A token orders-api would hold: client credentials, `inventory:read inventory:write`. */
  serviceToken(scope?: string): Promise<string>
  close(): Promise<void>
}

export async function harness(databaseUrl: string, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const issuer = await startTestIssuer({ audience: AUDIENCE, clientId: 'orders-api' })
  const app = await buildApp(testConfig(issuer, databaseUrl, env))
  return {
    issuer,
    app,
    serviceToken: (scope = 'inventory:read inventory:write') =>
      issuer.token({ sub: 'orders-api', client_id: 'orders-api', scope }),
    async close() {
      await app.close()
      await issuer.close()
    },
  }
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
