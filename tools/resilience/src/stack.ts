import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@stateless-auth/service-kit/testing'
import { type Database, openDatabase } from '@stateless-auth/sql'
import { backends } from '@stateless-auth/sql/testing'
import { type AppName, AppProcess, appDir, track } from './apps.js'

export const ORDERS_AUDIENCE = 'urn:stateless-auth:orders-api'
export const INVENTORY_AUDIENCE = 'urn:stateless-auth:inventory-api'

/** Where a run keeps its databases: PostgreSQL (one fresh database per app and stack) or SQLite files. */
export type Backend = 'postgres' | 'sqlite'

export interface RunContext {
  backend: Backend
  log: (line: string) => void
  /** Cleanups run when the scenario ends, last registered first. */
  defer(cleanup: () => Promise<void> | void): void
}

/** A fresh, empty database for one app: a new PostgreSQL database, or a SQLite file in a new folder. */
export async function freshDatabase(ctx: RunContext, app: AppName): Promise<string> {
  if (ctx.backend === 'postgres') {
    const postgres = backends().find((b) => b.name === 'postgres')
    if (!postgres) throw new Error('TEST_DATABASE_URL is not set')
    const store = await postgres.createStore()
    ctx.defer(() => store.drop())
    return store.url
  }
  const dir = mkdtempSync(join(tmpdir(), `stateless-auth-resilience-${app}-`))
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, `${app}.sqlite`)
}

/** Opens an app's database for the invariant checks (read-only use), closed with the scenario. */
export async function inspect(ctx: RunContext, url: string): Promise<Database> {
  const db = await openDatabase(url, { poolSize: 2 })
  ctx.defer(() => db.close())
  return db
}

export interface StackOptions {
  /** Which APIs to start besides the auth-server. */
  apis?: ReadonlyArray<'orders-api' | 'inventory-api'>
  auth?: Record<string, string>
  orders?: Record<string, string>
  inventory?: Record<string, string>
  /** Called once the auth-server is ready, before the APIs start (e.g. to point a proxy at it). */
  onAuthReady?: (auth: AppProcess) => void
  /** The inventory-api URL orders-api calls (a fault proxy in scenario 5); the real one by default. */
  inventoryUrlFor?: (inventory: AppProcess) => Promise<string>
  /** Also start the web app (after both APIs) with this environment on top of what it needs. */
  web?: Record<string, string>
}

export interface Stack {
  auth: AppProcess
  orders?: AppProcess
  inventory?: AppProcess
  web?: AppProcess
  databases: Partial<Record<AppName, string>>
  all: AppProcess[]
}

/**
 * The auth-server and the APIs a scenario needs, each a built app on its own free port and fresh database: quiet
 * logs, long-lived access tokens, no rate limit in the way of scripted load, no scheduled key rotation.
 */
export async function startStack(ctx: RunContext, options: StackOptions = {}): Promise<Stack> {
  const apis = options.apis ?? ['orders-api', 'inventory-api']
  const databases: Partial<Record<AppName, string>> = {}
  const authPort = await freePort()
  const issuer = `http://127.0.0.1:${authPort}`
  databases['auth-server'] = await freshDatabase(ctx, 'auth-server')
  const webPort = options.web ? await freePort() : undefined
  const auth = track(
    new AppProcess('auth-server', authPort, {
      ISSUER: issuer,
      DATABASE_URL: databases['auth-server'],
      ACCESS_TOKEN_TTL: '3600',
      KEY_ROTATION_INTERVAL: '0',
      RATE_LIMIT_TOKEN_MAX: '1000000',
      RATE_LIMIT_LOGIN_MAX: '1000000',
      RATE_LIMIT_AUTHORIZE_MAX: '1000000',
      // Concurrent correct sign-ins of one account from 127.0.0.1 hold failure slots until their password is
      // checked; more than LOGIN_MAX_FAILURES at once would be told to wait (429).
      LOGIN_MAX_FAILURES: '1000',
      // The admin listener gets its own port where the auth-server has one (never a fixed default).
      ADMIN_PORT: String(await freePort()),
      ...(webPort ? { CLIENTS_FILE: clientsFileFor(ctx, `http://127.0.0.1:${webPort}`) } : {}),
      ...options.auth,
    }),
  )
  ctx.defer(() => auth.stop())
  await auth.start()
  options.onAuthReady?.(auth)
  const stack: Stack = { auth, databases, all: [auth] }
  const api = async (name: 'orders-api' | 'inventory-api', env: Record<string, string>) => {
    databases[name] = await freshDatabase(ctx, name)
    const app = track(
      new AppProcess(name, await freePort(), {
        ISSUER: issuer,
        DATABASE_URL: databases[name]!,
        JWKS_COOLDOWN_MS: '1000',
        ...env,
      }),
    )
    ctx.defer(() => app.stop())
    return app
  }
  if (apis.includes('inventory-api')) {
    stack.inventory = await api('inventory-api', options.inventory ?? {})
    await stack.inventory.start()
    stack.all.push(stack.inventory)
  }
  if (apis.includes('orders-api')) {
    const inventoryUrl = stack.inventory
      ? ((await options.inventoryUrlFor?.(stack.inventory)) ?? stack.inventory.url)
      : 'http://127.0.0.1:9'
    stack.orders = await api('orders-api', { INVENTORY_API_URL: inventoryUrl, ...options.orders })
    await stack.orders.start()
    stack.all.push(stack.orders)
  }
  if (options.web && webPort) {
    databases.web = await freshDatabase(ctx, 'web')
    const web = track(
      new AppProcess('web', webPort, {
        PUBLIC_URL: `http://127.0.0.1:${webPort}`,
        PUBLIC_ISSUER: issuer,
        ORDERS_API_URL: stack.orders?.url ?? 'http://127.0.0.1:9',
        INVENTORY_API_URL: stack.inventory?.url ?? 'http://127.0.0.1:9',
        DATABASE_URL: databases.web,
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        ...options.web,
      }),
    )
    ctx.defer(() => web.stop())
    stack.web = web
    await web.start()
    stack.all.push(web)
  }
  ctx.log(stack.all.map((app) => `${app.name} ${app.url} pid ${app.pid}`).join(', '))
  return stack
}

/**
 * The auth-server's registered clients with the web client's redirect and post-logout URIs also at `webUrl` (the
 * web app runs on a free port, not the documented localhost:3000), in a file of its own removed with the scenario.
 */
function clientsFileFor(ctx: RunContext, webUrl: string): string {
  const registered = JSON.parse(readFileSync(join(appDir('auth-server'), 'clients.json'), 'utf8')) as {
    clients: Array<{ client_id: string; redirect_uris?: string[]; post_logout_redirect_uris?: string[] }>
  }
  for (const client of registered.clients) {
    if (client.client_id !== 'web') continue
    client.redirect_uris = [...(client.redirect_uris ?? []), `${webUrl}/auth/callback`]
    client.post_logout_redirect_uris = [...(client.post_logout_redirect_uris ?? []), `${webUrl}/`]
  }
  const dir = mkdtempSync(join(tmpdir(), 'stateless-auth-resilience-clients-'))
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'clients.json')
  writeFileSync(path, JSON.stringify(registered))
  return path
}
