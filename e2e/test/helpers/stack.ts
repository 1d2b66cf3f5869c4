import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@stateless-auth/service-kit/testing'
import { afterAll, beforeAll } from 'vitest'
import { appDir, type CountingProxy, countingProxy, type Service, startService } from './services.js'
import { type Jar, signIn } from './web-sign-in.js'

export interface Stack {
  webUrl: string
  /** The issuer URL: a counting proxy in front of the auth-server process. */
  issuer: string
  /** Every request that reached the auth-server, by path. */
  toAuthServer: string[]
  /** The auth-server's operator listener (ADMIN_PORT), through a counting proxy; never the issuer's port. */
  adminUrl: string
  /** Every request that reached the operator listener, by path. */
  toAdmin: string[]
  /** Every access and refresh token the auth-server issued (through the proxy). */
  issuedTokens: string[]
  /** Whether the auth-server process is running (the stop experiment really stops it). */
  authRunning: () => boolean
  ordersUrl: string
  inventoryUrl: string
  /** What the web app process logged so far. */
  webLog(): string
  /** Another web app process with the same configuration (a replica; share a DATABASE_URL file for that). */
  startWebReplica(): Promise<Service>
  close(): Promise<void>
}

/**
 * The four built services as processes on 127.0.0.1 (free ports): the real auth-server (with the web client's
 * redirect URI pointed at this test's port), both APIs, the web app, and the web app's demo control contract
 * (apps/web/src/control.ts) implemented here by really stopping and restarting the auth-server process.
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-stack-'))
  const [webPort, authPort, proxyPort, ordersPort, inventoryPort, adminPort, adminProxyPort] =
    await Promise.all(Array.from({ length: 7 }, () => freePort()))
  const webUrl = `http://127.0.0.1:${webPort}`
  const clients = JSON.parse(readFileSync(join(appDir('auth-server'), 'clients.json'), 'utf8'))
  for (const client of clients.clients) {
    if (client.client_id !== 'web') continue
    client.redirect_uris = [`${webUrl}/auth/callback`]
    client.post_logout_redirect_uris = [`${webUrl}/`]
  }
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clients))
  const proxy: CountingProxy = await countingProxy(proxyPort!, authPort!)
  const issuer = proxy.url
  const adminProxy: CountingProxy = await countingProxy(adminProxyPort!, adminPort!)
  const authEnv = {
    ISSUER: issuer,
    CLIENTS_FILE: join(dir, 'clients.json'),
    DATABASE_URL: join(dir, 'auth.sqlite'),
    ADMIN_PORT: String(adminPort),
    ACCESS_TOKEN_TTL: '60',
    JWKS_MAX_AGE: '0',
    // Every test signs in through /authorize from 127.0.0.1; the per-source limit is not what is tested here.
    RATE_LIMIT_AUTHORIZE_MAX: '10000',
  }
  let auth: Service | undefined = await startService('auth-server', authPort!, authEnv)

  const [inventory, orders] = await Promise.all([
    startService('inventory-api', inventoryPort!, {
      ISSUER: issuer,
      DATABASE_URL: ':memory:',
      JWKS_COOLDOWN_MS: '0',
    }),
    startService('orders-api', ordersPort!, {
      ISSUER: issuer,
      DATABASE_URL: ':memory:',
      INVENTORY_API_URL: `http://127.0.0.1:${inventoryPort}`,
      JWKS_COOLDOWN_MS: '0',
    }),
  ])

  const controlToken = randomBytes(24).toString('base64url')
  const control: Server = createHttpServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (req.headers.authorization !== `Bearer ${controlToken}`) return reply(401, { error: 'unauthorized' })
    if (req.method === 'POST' && req.url === '/auth-server/stop') {
      const current = auth
      auth = undefined
      void (current ? current.stop() : Promise.resolve()).then(() =>
        reply(200, { service: 'auth-server', state: 'stopped' }),
      )
    } else if (req.method === 'POST' && req.url === '/auth-server/start') {
      void startService('auth-server', authPort!, authEnv).then(
        (started) => {
          auth = started
          reply(200, { service: 'auth-server', state: 'running' })
        },
        (err: Error) => reply(500, { error: 'control_failed', error_description: err.message }),
      )
    } else reply(404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  const controlUrl = `http://127.0.0.1:${(control.address() as { port: number }).port}`

  const webEnv = {
    PUBLIC_URL: webUrl,
    PUBLIC_ISSUER: issuer,
    ADMIN_URL: adminProxy.url,
    ORDERS_API_URL: orders.url,
    INVENTORY_API_URL: inventory.url,
    DATABASE_URL: ':memory:',
    DEMO_CONTROL_URL: controlUrl,
    DEMO_CONTROL_TOKEN: controlToken,
    DISCOVERY_TIMEOUT: '5',
    ...env,
  }
  const web = await startService('web', webPort!, webEnv)
  const replicas: Service[] = []

  return {
    webUrl,
    issuer,
    toAuthServer: proxy.seen,
    adminUrl: adminProxy.url,
    toAdmin: adminProxy.seen,
    issuedTokens: proxy.issuedTokens,
    authRunning: () => auth !== undefined,
    ordersUrl: orders.url,
    inventoryUrl: inventory.url,
    webLog: () => web.output(),
    async startWebReplica() {
      const replica = await startService('web', await freePort(), webEnv)
      replicas.push(replica)
      return replica
    },
    async close() {
      await Promise.all(replicas.map((replica) => replica.stop()))
      await web.stop()
      await new Promise<void>((resolve) => control.close(() => resolve()))
      await Promise.all([orders.stop(), inventory.stop()])
      await auth?.stop()
      await Promise.all([proxy.close(), adminProxy.close()])
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A request to the web app over HTTP, answered in the shape of Fastify's `inject` (redirects not followed). */
export async function inject(
  stack: Stack,
  options: { method?: string; url: string; headers?: Record<string, string>; body?: string },
) {
  const res = await fetch(`${stack.webUrl}${options.url}`, {
    method: options.method ?? 'GET',
    redirect: 'manual',
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
  })
  const body = await res.text()
  const headers: Record<string, string | string[]> = Object.fromEntries(res.headers)
  headers['set-cookie'] = res.headers.getSetCookie()
  return { statusCode: res.status, headers, body, json: () => JSON.parse(body) }
}

/** One stack for a whole `describe` (started in `beforeAll` with `env`, closed in `afterAll`), alice signed in. */
export function signedInStack(env: Record<string, string> = {}): {
  readonly stack: Stack
  readonly jar: Jar
} {
  const suite = {} as { stack: Stack; jar: Jar }
  beforeAll(async () => {
    suite.stack = await startStack(env)
    suite.jar = await signIn(suite.stack.webUrl)
  })
  afterAll(() => suite.stack?.close())
  return suite
}
