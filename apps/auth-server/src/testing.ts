import { freePort } from '@stateless-auth/service-kit/testing'
import type { FastifyInstance } from 'fastify'
import { type AuthServerDeps, buildApp } from './app.js'
import { type AuthServerConfig, loadConfig } from './config.js'

export interface StartedAuthServer {
  /** The issuer, which is also the base URL it listens on: `http://127.0.0.1:<port>`. */
  url: string
  /** Where `/admin/*` listens: `http://127.0.0.1:<another port>` (`ADMIN_PORT`, a free one unless given). */
  adminUrl: string
  app: FastifyInstance
  config: AuthServerConfig
  close(): Promise<void>
}

/**
 * Starts a real auth server on 127.0.0.1 for tests in any workspace. The issuer must equal the URL clients
 * use, so a free port is picked first, `ISSUER` set to `http://127.0.0.1:<port>`, and the server listens there.
 * The operator routes listen on their own port (`ADMIN_PORT`, default: any free one), given as `adminUrl`.
 * Defaults to an in-memory SQLite store; pass `DATABASE_URL` (a temp file or `postgres://…`) to keep state
 * across restarts, and `ISSUER` (with its port) to restart on the same address.
 *
 * @example
 * const auth = await startAuthServer()
 * const metadata = await fetch(`${auth.url}/.well-known/oauth-authorization-server`).then((r) => r.json())
 * await auth.close()
 */
export async function startAuthServer(
  overrides: Record<string, string> = {},
  deps: AuthServerDeps = {},
): Promise<StartedAuthServer> {
  for (let attempt = 0; ; attempt++) {
    const issuer = overrides.ISSUER ?? `http://127.0.0.1:${await freePort()}`
    const port = Number(new URL(issuer).port)
    const config = loadConfig({
      DATABASE_URL: ':memory:',
      ADMIN_PORT: '0',
      ...overrides,
      ISSUER: issuer,
      PORT: String(port),
    })
    const app = await buildApp(config, deps)
    try {
      await app.adminApp.listen({ port: config.adminPort, host: '127.0.0.1' })
      await app.listen({ port, host: '127.0.0.1' })
      return {
        url: issuer,
        adminUrl: app.adminApp.listeningOrigin,
        app,
        config,
        close: () => app.close(),
      }
    } catch (error) {
      await app.close()
      // Another process may take the port between picking and listening: pick again, a few times.
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
      if (!inUse || overrides.ISSUER !== undefined || attempt >= 4) throw error
    }
  }
}
