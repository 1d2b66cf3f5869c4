import helmet from '@fastify/helmet'
import { type Database, openDatabase } from '@stateless-auth/sql'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { createApiClient } from './apis.js'
import type { WebConfig } from './config.js'
import { createAdminClient, createDemoControl } from './control.js'
import { discover, type IssuerEndpoints } from './oauth/metadata.js'
import oauthPlugin from './oauth/plugin.js'
import { RefreshRefused } from './oauth/tokens.js'
import { apiRoutes } from './routes/api.js'
import { authRoutes } from './routes/auth.js'
import { pageRoutes } from './routes/page.js'
import sessionPlugin from './session/plugin.js'
import { createSealer } from './session/seal.js'
import { createSessionStore, migrations } from './session/store.js'
import { renderError } from './views/page.js'

// Health checks poll every few seconds (containers, the launcher): their request logs would drown the real ones.
const probe = { logLevel: 'warn' } as const

export interface BuildOptions {
  /** Fastify's own options (logger, etc.); tests leave it empty. */
  fastify?: FastifyServerOptions
  /** An already open database; otherwise `config.databaseUrl` is opened (and closed with the app). */
  db?: Database
}

/**
 * The web app: a backend-for-frontend that signs users in at the auth-server, keeps their tokens in a
 * server-side session and shows the APIs verifying those tokens locally. Nothing listens until the caller
 * calls `listen`; boot waits for the auth-server's metadata (up to `discoveryTimeout`).
 */
export async function buildApp(config: WebConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const endpoints: IssuerEndpoints = await discover(
    config.publicIssuer,
    config.internalIssuer,
    config.discoveryTimeout,
  )
  const db = options.db ?? (await openDatabase(config.databaseUrl))
  await db.migrate(migrations)
  const store = createSessionStore(db, createSealer(config.sessionSecret), config.sessionTtl)

  const app = Fastify({ bodyLimit: 16 * 1024, ...options.fastify })
  if (!options.db) app.addHook('onClose', () => db.close())

  // Set before any plugin is registered: an encapsulated plugin keeps the handler it saw when it loaded.
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/api/')) {
      return reply
        .code(404)
        .send({ error: 'not_found', error_description: `no route ${request.method} ${request.url}` })
    }
    return reply.code(404).type('text/html; charset=utf-8').send(renderError(404, 'There is no such page.'))
  })

  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = err.statusCode ?? 500
    let error = err.code ?? 'server_error'
    let description = err.message
    if (err instanceof RefreshRefused) {
      status = 401
      error = 'session_expired'
      description = `${err.message}; sign in again`
    } else if (err.validation) {
      status = 400
      error = 'invalid_request'
    } else if (status >= 500) {
      request.log.error({ err }, 'request failed')
      if (!error.startsWith('WEB_ERR_')) description = 'something went wrong; see the server log'
    }
    reply.code(status)
    if (request.url.startsWith('/api/')) return reply.send({ error, error_description: description })
    return reply.type('text/html; charset=utf-8').send(renderError(status, description))
  })

  await app.register(helmet, {
    // HSTS only means something on https; on http://localhost it would pin the browser to https.
    hsts: config.publicUrl.startsWith('https:'),
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
  })
  await app.register(sessionPlugin, { config, store })
  await app.register(oauthPlugin, { config, endpoints, store })
  await app.register(authRoutes, { config, endpoints })

  const admin = createAdminClient(config)
  const control = createDemoControl(config)
  await app.register(pageRoutes, {
    issuer: config.publicIssuer,
    adminAvailable: admin !== undefined,
    controlAvailable: control !== undefined,
  })
  await app.register(apiRoutes, {
    apis: createApiClient({ orders: config.ordersApiUrl, inventory: config.inventoryApiUrl }),
    admin,
    control,
    publicUrl: config.publicUrl,
  })

  app.get('/health', probe, async () => ({ status: 'ok' }))
  app.get('/ready', probe, async (_request, reply) => {
    try {
      await db.one('SELECT 1 AS ok')
      return { status: 'ready', issuer: endpoints.issuer }
    } catch (err) {
      return reply.code(503).send({ status: 'not_ready', error_description: (err as Error).message })
    }
  })

  return app
}
