import {
  appPath,
  baseUrl,
  ConfigError,
  int,
  readServiceConfig,
  type ServiceConfig,
  serviceSchema,
  Type,
} from '@stateless-auth/service-kit/config'

export interface WebConfig extends ServiceConfig {
  /** Where browsers reach this app; the OAuth callback is `${publicUrl}/auth/callback`. */
  publicUrl: string
  /** The issuer a browser sees: the authorize redirect and the expected `iss` (RFC 9207, RFC 8414 §3.3). */
  publicIssuer: string
  /** Where this server reaches the same issuer (metadata, token, revocation); differs inside containers. */
  internalIssuer: string
  clientId: string
  clientSecret: string
  ordersApiUrl: string
  inventoryApiUrl: string
  ordersAudience: string
  inventoryAudience: string
  sessionSecret: string
  sessionTtl: number
  /** Seconds before `exp` at which an access token is refreshed rather than sent. */
  refreshMargin: number
  databaseUrl: string
  /** The auth-server's admin credential, for the disable-user and rotate-key experiments; optional. */
  adminToken: string | undefined
  /** The auth-server's operator listener (`ADMIN_HOST:ADMIN_PORT`), apart from its public port. */
  adminUrl: string
  /** The demo control endpoint (see control.ts), which can really stop/start the auth-server; optional. */
  controlUrl: string | undefined
  controlToken: string | undefined
  /** The rotate experiment runs at most once per this many seconds in this process, whoever asks. */
  rotateInterval: number
  /** How long boot waits for the auth-server's metadata (it may still be starting). */
  discoveryTimeout: number
}

/** Documented local defaults, refused in production. */
export const LOCAL_DEFAULTS = {
  CLIENT_SECRET: 'web-secret',
  SESSION_SECRET: 'local-only-session-secret-do-not-use-in-production',
  ADMIN_TOKEN: 'admin-token',
} as const

// Base URLs (paths are appended to them) and issuers (compared exactly, RFC 8414 §3.3): no trailing slash.
export const webEnv = serviceSchema(3000, {
  PUBLIC_URL: baseUrl('http://localhost:3000'),
  PUBLIC_ISSUER: baseUrl('http://localhost:4000'),
  // Defaults to PUBLIC_ISSUER.
  INTERNAL_ISSUER: Type.Optional(baseUrl()),
  CLIENT_ID: Type.String({ minLength: 1, maxLength: 200, default: 'web' }),
  CLIENT_SECRET: Type.String({ minLength: 1, maxLength: 512, default: LOCAL_DEFAULTS.CLIENT_SECRET }),
  ORDERS_API_URL: baseUrl('http://localhost:4001'),
  INVENTORY_API_URL: baseUrl('http://localhost:4002'),
  ORDERS_AUDIENCE: Type.String({ minLength: 1, default: 'urn:stateless-auth:orders-api' }),
  INVENTORY_AUDIENCE: Type.String({ minLength: 1, default: 'urn:stateless-auth:inventory-api' }),
  SESSION_SECRET: Type.String({ minLength: 32, maxLength: 512, default: LOCAL_DEFAULTS.SESSION_SECRET }),
  SESSION_TTL: int(60, 30 * 86400, 8 * 3600),
  REFRESH_MARGIN: int(0, 3600, 15),
  DATABASE_URL: Type.String({ minLength: 1, default: appPath(import.meta.url, 'data/web.sqlite') }),
  // In production the admin experiments are off unless ADMIN_TOKEN and DEMO_EXPERIMENTS=true are set.
  ADMIN_TOKEN: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, default: LOCAL_DEFAULTS.ADMIN_TOKEN }),
  ),
  // The auth-server serves /admin/* on its own listener, loopback by default (issue 12, item 1).
  ADMIN_URL: baseUrl('http://127.0.0.1:4003'),
  // ADMIN_TOKEN in production only with this explicit opt-in (issue 12, item 1).
  DEMO_EXPERIMENTS: Type.Optional(Type.Boolean()),
  EXPERIMENT_ROTATE_INTERVAL: int(0, 86400, 300),
  DEMO_CONTROL_URL: Type.Optional(baseUrl()),
  DEMO_CONTROL_TOKEN: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  DISCOVERY_TIMEOUT: int(0, 600, 30),
})

/**
 * Reads and validates the configuration from environment variables. Outside production the client secret,
 * session secret and admin token fall back to documented local values; with `NODE_ENV=production` the first
 * two must be set (and differ from those values), and `ADMIN_TOKEN` is refused unless `DEMO_EXPERIMENTS=true`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const { input, service } = readServiceConfig(webEnv, env, {
    required: ['CLIENT_SECRET', 'SESSION_SECRET', 'PUBLIC_URL', 'PUBLIC_ISSUER'],
    localDefaults: ['CLIENT_SECRET', 'SESSION_SECRET', 'ADMIN_TOKEN'],
  })
  if ((input.DEMO_CONTROL_URL === undefined) !== (input.DEMO_CONTROL_TOKEN === undefined)) {
    throw new ConfigError('DEMO_CONTROL_URL and DEMO_CONTROL_TOKEN go together')
  }
  if (input.NODE_ENV === 'production' && input.ADMIN_TOKEN !== undefined && input.DEMO_EXPERIMENTS !== true) {
    throw new ConfigError(
      'NODE_ENV=production refuses ADMIN_TOKEN: it is the auth-server operator credential, and this app would use it on behalf of any signed-in user; set DEMO_EXPERIMENTS=true only for a demo deployment',
    )
  }
  return {
    ...service,
    publicUrl: input.PUBLIC_URL,
    publicIssuer: input.PUBLIC_ISSUER,
    internalIssuer: input.INTERNAL_ISSUER ?? input.PUBLIC_ISSUER,
    clientId: input.CLIENT_ID,
    clientSecret: input.CLIENT_SECRET,
    ordersApiUrl: input.ORDERS_API_URL,
    inventoryApiUrl: input.INVENTORY_API_URL,
    ordersAudience: input.ORDERS_AUDIENCE,
    inventoryAudience: input.INVENTORY_AUDIENCE,
    sessionSecret: input.SESSION_SECRET,
    sessionTtl: input.SESSION_TTL,
    refreshMargin: input.REFRESH_MARGIN,
    databaseUrl: input.DATABASE_URL,
    adminToken: input.ADMIN_TOKEN,
    adminUrl: input.ADMIN_URL,
    controlUrl: input.DEMO_CONTROL_URL,
    controlToken: input.DEMO_CONTROL_TOKEN,
    rotateInterval: input.EXPERIMENT_ROTATE_INTERVAL,
    discoveryTimeout: input.DISCOVERY_TIMEOUT,
  }
}
