import helmet from '@fastify/helmet'
import { installErrorHandler } from '@stateless-auth/service-kit/error-handler'
import { fastifyOptions } from '@stateless-auth/service-kit/fastify'
import { healthRoutes } from '@stateless-auth/service-kit/health'
import { type Database, openDatabase } from '@stateless-auth/sql'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { createApiClient } from './apis.js'
import type { WebConfig } from './config.js'
import { createAdminClient, createDemoControl } from './control.js'
import { webErrors } from './error-handler.js'
import { discover, type IssuerEndpoints } from './oauth/metadata.js'
import oauthPlugin from './oauth/plugin.js'
import { createRevocationAccess } from './revoke-experiment.js'
import { apiRoutes } from './routes/api.js'
import { authRoutes } from './routes/auth.js'
import { pageRoutes } from './routes/page.js'
import sessionPlugin from './session/plugin.js'
import { createSealer } from './session/seal.js'
import { createSessionStore, migrations } from './session/store.js'

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

  const app = Fastify({
    // Form and JSON bodies of this app are small; fields keep Fastify's usual coercion.
    ...fastifyOptions({ bodyLimit: 16 * 1024, errors: webErrors, strictBodies: false }),
    ...options.fastify,
  })
  if (!options.db) app.addHook('onClose', () => db.close())

  // Set before any plugin is registered: an encapsulated plugin keeps the handler it saw when it loaded.
  installErrorHandler(app, webErrors)

  await app.register(helmet, {
    // HSTS only means something on https; on http://localhost it would pin the browser to https.
    hsts: config.publicUrl.startsWith('https:'),
    // Helmet's no-referrer makes browsers send `Origin: null` on this app's own form posts, which the Origin check
    // of /logout and the JSON routes refuses; same-origin keeps the real origin on them and still tells other
    // sites nothing (a cross-site post then says `Origin: null`, refused as foreign).
    referrerPolicy: { policy: 'same-origin' },
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        // Sign-out posts here, then redirects to the auth-server's end_session_endpoint: browsers hold form
        // redirects to form-action too.
        formAction: ["'self'", new URL(endpoints.endSessionEndpoint ?? config.publicUrl).origin],
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
    apis: createApiClient({ orders: config.ordersApiUrl, inventory: config.inventoryApiUrl }, 5000, (token) =>
      app.tokens.keyFor(token),
    ),
    admin,
    control,
    publicUrl: config.publicUrl,
    rotateInterval: config.rotateInterval,
    revocation: endpoints.revocationEndpoint
      ? createRevocationAccess({
          revocationEndpoint: endpoints.revocationEndpoint,
          client: { id: config.clientId, secret: config.clientSecret },
          publicIssuer: config.publicIssuer,
          internalIssuer: config.internalIssuer,
          apiUrls: { orders: config.ordersApiUrl, inventory: config.inventoryApiUrl },
        })
      : undefined,
  })

  await app.register(healthRoutes, {
    checks: { database: () => db.one('SELECT 1 AS ok') },
    ...config.pressure,
  })

  return app
}
