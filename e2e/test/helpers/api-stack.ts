import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@stateless-auth/service-kit/testing'
import { type CountingProxy, countingProxy, type Service, startService } from './services.js'

/** The built auth-server behind a counting proxy that is its issuer URL, and both APIs trusting that issuer. */
export interface ApiStack {
  proxy: CountingProxy
  /** The auth-server's operator listener (`/admin/*`, issue 12 item 1): never behind the public issuer URL. */
  adminUrl: string
  /** The running auth-server: {@link ApiStack.restartAuth} replaces it. */
  auth: Service
  inventory: Service
  orders: Service
  /** Starts the auth-server again, on its port, database and environment (after a test stopped it). */
  restartAuth(): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts the stack on 127.0.0.1 with a SQLite file per app in a fresh directory named after `name`; `env.auth`
 * and `env.apis` add to each side's environment (the auth-server's rate limits are lifted for scripted sign-ins).
 */
export async function startApiStack(
  name: string,
  env: { auth?: Record<string, string>; apis?: Record<string, string> } = {},
): Promise<ApiStack> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`))
  const [proxyPort, authPort, adminPort, ordersPort, inventoryPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ])
  const proxy = await countingProxy(proxyPort!, authPort!)
  const authEnv = {
    ISSUER: proxy.url,
    DATABASE_URL: join(dir, 'auth.sqlite'),
    ADMIN_PORT: String(adminPort),
    RATE_LIMIT_TOKEN_MAX: '10000',
    RATE_LIMIT_LOGIN_MAX: '10000',
    RATE_LIMIT_AUTHORIZE_MAX: '10000',
    ...env.auth,
  }
  const auth = await startService('auth-server', authPort!, authEnv)
  const api = { ISSUER: proxy.url, ...env.apis }
  const inventory = await startService('inventory-api', inventoryPort!, {
    ...api,
    DATABASE_URL: join(dir, 'inventory.sqlite'),
  })
  const orders = await startService('orders-api', ordersPort!, {
    ...api,
    DATABASE_URL: join(dir, 'orders.sqlite'),
    INVENTORY_API_URL: inventory.url,
  })
  const stack: ApiStack = {
    proxy,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    auth,
    inventory,
    orders,
    async restartAuth() {
      stack.auth = await startService('auth-server', authPort!, authEnv)
    },
    async stop() {
      await stack.orders.stop()
      await stack.inventory.stop()
      await stack.auth.stop()
      await stack.proxy.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return stack
}
