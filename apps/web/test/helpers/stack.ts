import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type StartedAuthServer, startAuthServer } from '@stateless-auth/auth-server/testing'
import { buildApp as buildInventory, loadConfig as inventoryConfig } from '@stateless-auth/inventory-api'
import { buildApp as buildOrders, loadConfig as ordersConfig } from '@stateless-auth/orders-api'
import { freePort } from '@stateless-auth/service-kit/testing'
import type { FastifyInstance } from 'fastify'
import { buildApp, loadConfig } from '../../src/app.js'

export interface Stack {
  web: FastifyInstance
  webUrl: string
  auth: () => StartedAuthServer | undefined
  ordersUrl: string
  inventoryUrl: string
  close(): Promise<void>
}

const listen = async (app: FastifyInstance) => {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return `http://127.0.0.1:${port}`
}

/**
 * The four services in this process on 127.0.0.1: the real auth-server (with the web client's redirect URI
 * pointed at this test's port), both APIs, the web app, and a stand-in for the launcher's control endpoint
 * that really closes and restarts the auth-server on the same address and database.
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'web-test-'))
  const webPort = await freePort()
  const webUrl = `http://127.0.0.1:${webPort}`
  const clients = JSON.parse(
    readFileSync(new URL('../../../auth-server/clients.json', import.meta.url), 'utf8'),
  )
  for (const client of clients.clients) {
    if (client.client_id === 'web') client.redirect_uris = [`${webUrl}/auth/callback`]
  }
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clients))
  const authEnv = {
    CLIENTS_FILE: join(dir, 'clients.json'),
    DATABASE_URL: join(dir, 'auth.sqlite'),
    ACCESS_TOKEN_TTL: '60',
    JWKS_MAX_AGE: '0',
    LOG_LEVEL: 'silent',
  }
  let auth: StartedAuthServer | undefined = await startAuthServer(authEnv)
  const issuer = auth.url

  const inventory = await buildInventory(
    inventoryConfig({ ISSUER: issuer, DATABASE_URL: ':memory:', LOG_LEVEL: 'silent', JWKS_COOLDOWN_MS: '0' }),
  )
  const inventoryUrl = await listen(inventory)
  const orders = await buildOrders(
    ordersConfig({
      ISSUER: issuer,
      DATABASE_URL: ':memory:',
      INVENTORY_API_URL: inventoryUrl,
      LOG_LEVEL: 'silent',
      JWKS_COOLDOWN_MS: '0',
    }),
  )
  const ordersUrl = await listen(orders)

  const controlToken = randomBytes(24).toString('base64url')
  const control: Server = createHttpServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (req.headers.authorization !== `Bearer ${controlToken}`) return reply(401, { error: 'unauthorized' })
    if (req.url === '/services/auth-server/stop') {
      const current = auth
      auth = undefined
      void (current ? current.close() : Promise.resolve()).then(() => reply(200, { state: 'stopped' }))
    } else if (req.url === '/services/auth-server/start') {
      void startAuthServer({ ...authEnv, ISSUER: issuer }).then((started) => {
        auth = started
        reply(200, { state: 'running' })
      })
    } else reply(404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve))
  const controlUrl = `http://127.0.0.1:${(control.address() as { port: number }).port}`

  const web = await buildApp(
    loadConfig({
      PORT: String(webPort),
      PUBLIC_URL: webUrl,
      PUBLIC_ISSUER: issuer,
      ORDERS_API_URL: ordersUrl,
      INVENTORY_API_URL: inventoryUrl,
      DATABASE_URL: ':memory:',
      LAUNCHER_CONTROL_URL: controlUrl,
      LAUNCHER_CONTROL_TOKEN: controlToken,
      DISCOVERY_TIMEOUT: '5',
      ...env,
    }),
  )
  await web.listen({ port: webPort, host: '127.0.0.1' })

  return {
    web,
    webUrl,
    auth: () => auth,
    ordersUrl,
    inventoryUrl,
    async close() {
      await web.close()
      await new Promise<void>((resolve) => control.close(() => resolve()))
      await Promise.all([orders.close(), inventory.close()])
      await auth?.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
