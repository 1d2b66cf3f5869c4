import { createHmac } from 'node:crypto'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import { installErrorHandler } from '@stateless-auth/service-kit/error-handler'
import { fastifyOptions } from '@stateless-auth/service-kit/fastify'
import type { LoggerOptions } from '@stateless-auth/service-kit/logger'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { AuthServerConfig } from './config.js'
import type { AuthServerContext } from './context.js'
import { randomToken } from './crypto.js'
import { authServerErrors } from './error-handler.js'
import { TooManyRequests } from './errors.js'
import { SigningKeys } from './keys/signing-keys.js'
import { LoginThrottle } from './oauth/login-throttle.js'
import { csrfUserInfo } from './oauth/session.js'
import { databaseRateLimitStore } from './rate-limit-store.js'
import admin from './routes/admin.js'
import authorize from './routes/authorize.js'
import clientAuthenticated from './routes/client-authenticated.js'
import health from './routes/health.js'
import logout from './routes/logout.js'
import metadata from './routes/metadata.js'
import statusList from './routes/status-list.js'
import userinfo from './routes/userinfo.js'
import { seedClients, seedDemoUsers } from './seed.js'
import { StatusLists } from './status/status-lists.js'
import { openStorage, type Storage } from './storage/index.js'
import { TokenIssuer } from './tokens.js'

export type { AuthServerConfig } from './config.js'
export * from './errors.js'

export interface AuthServerDeps {
  /** Clock in milliseconds, like `Date.now` (the default); tests pass their own to move time. */
  now?: () => number
  /** An opened storage to use instead of opening `config.databaseUrl`; the caller then closes it. */
  storage?: Storage
  /** Logger options (`loggerOptions` of the service kit); off by default so tests stay quiet. */
  logger?: LoggerOptions | false
}

/**
 * Builds the authorization server without listening: opens and migrates the store, seeds the configured
 * clients and demo users, makes sure a signing key exists, and registers every endpoint.
 *
 * @example
 * const app = await buildApp(loadConfig({ ISSUER: 'http://127.0.0.1:4000', DATABASE_URL: ':memory:' }))
 * await app.listen({ port: 4000, host: '127.0.0.1' })
 */
export async function buildApp(
  config: AuthServerConfig,
  deps: AuthServerDeps = {},
): Promise<FastifyInstance> {
  const clock = deps.now ?? Date.now
  const now = () => Math.floor(clock() / 1000)
  const storage = deps.storage ?? (await openStorage(config.databaseUrl))
  let ctx: AuthServerContext
  try {
    await seedClients(storage, config, now())
    if (config.seedDemoUsers) await seedDemoUsers(storage, config.demoUserPassword, now())
    const keys = new SigningKeys(storage, config, now)
    await keys.ensure()
    const statusLists = new StatusLists(config, storage, keys, now)
    ctx = {
      config,
      storage,
      keys,
      tokens: new TokenIssuer(config, keys, storage, now, statusLists),
      throttle: new LoginThrottle(storage.counters, config.loginMaxFailures, config.rateLimitWindow, clock),
      statusLists,
      now,
    }
  } catch (error) {
    if (!deps.storage) await storage.close()
    throw error
  }

  const app = await serverInstance(ctx, clock, deps.logger)
  app.addHook('onClose', async () => {
    if (!deps.storage) await storage.close()
  })
  // Operator routes get their own instance, listened on ADMIN_HOST:ADMIN_PORT (loopback by default), so the
  // public port never serves them (issue 12, item 1). It shares the context, and closes before the storage:
  // root onClose hooks run last-registered first.
  const adminApp = await serverInstance(ctx, clock, deps.logger)
  app.addHook('onClose', async () => {
    await adminApp.close()
  })
  app.decorate('adminApp', adminApp)
  await adminApp.register(admin)

  const secure = config.issuer.startsWith('https:')
  const cookieSecret = config.cookieSecret ?? randomToken()
  await app.register(cookie, { secret: cookieSecret })
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    // `__Host-` when served over https (issue 12, item 7): Secure, Path=/, no Domain.
    cookieKey: secure ? '__Host-_csrf' : '_csrf',
    cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/', secure },
    getUserInfo: (request) => csrfUserInfo(request, secure),
    csrfOpts: { hmacKey: createHmac('sha256', cookieSecret).update('csrf-user-binding').digest() },
  })

  await app.register(health)
  await app.register(metadata)
  await app.register(authorize)
  await app.register(clientAuthenticated)
  await app.register(userinfo)
  await app.register(logout)
  await app.register(statusList)

  const timers: NodeJS.Timeout[] = []
  if (config.keyRotationInterval > 0) {
    const every = Math.min(config.keyRotationInterval, 60) * 1000
    timers.push(
      setInterval(
        () => app.authServer.keys.rotateIfDue().catch((err) => app.log.error({ err }, 'rotation')),
        every,
      ),
    )
  }
  timers.push(
    setInterval(() => storage.purgeExpired(now()).catch((err) => app.log.error({ err }, 'purge')), 3600_000),
  )
  for (const timer of timers) timer.unref()
  app.addHook('onClose', async () => {
    for (const timer of timers) clearInterval(timer)
  })
  return app
}

/**
 * A Fastify instance with what both listeners share: the context as `app.authServer`, security headers, form
 * bodies only, the rate limiter on the shared database store, the OAuth error handler and `no-store` responses.
 */
async function serverInstance(
  ctx: AuthServerContext,
  clock: () => number,
  logger: LoggerOptions | false | undefined,
): Promise<FastifyInstance> {
  const app = Fastify(
    fastifyOptions({
      logger,
      // Requests to this server are small forms; anything bigger is refused before it is parsed.
      bodyLimit: 16 * 1024,
      maxParamLength: 200,
      errors: authServerErrors,
      // Form fields arrive as text, like query strings: their schemas coerce them.
      strictBodies: false,
    }),
  )
  await app.register(
    fp(
      async (instance) => {
        instance.decorate('authServer', ctx)
      },
      { name: 'auth-server-context', fastify: '5.x' },
    ),
  )
  await app.register(helmet, {
    // JSON and redirects need no sources at all; HTML pages set their own, slightly wider policy.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    hsts: ctx.config.issuer.startsWith('https:'),
  })
  // OAuth endpoints take application/x-www-form-urlencoded only (RFC 6749 §3.2); JSON bodies are refused.
  app.removeAllContentTypeParsers()
  await app.register(formbody)
  await app.register(rateLimit, {
    global: false,
    store: databaseRateLimitStore(ctx.storage.counters, clock),
    errorResponseBuilder: (_request, context) =>
      new TooManyRequests(`rate limit exceeded, retry in ${context.after}`, Math.ceil(context.ttl / 1000)),
  })
  installErrorHandler(app, authServerErrors)
  app.addHook('onSend', async (_request, reply) => {
    // Everything here is personal or security-relevant unless a route says otherwise (metadata, JWKS, CSS).
    // RFC 6749 §5.1 asks token responses for both headers; set here, they cover the errors raised before a
    // handler runs too (body parser, rate limiter).
    if (!reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache')
  })
  return app
}
