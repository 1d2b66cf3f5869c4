import { fileURLToPath } from 'node:url'
import { type EnvSchema, httpUrl, int, logLevel, readEnv } from '@stateless-auth/service-kit/env'
import { ConfigError } from './errors.js'

export interface WebConfig {
  production: boolean
  port: number
  host: string
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
  /** The demo control endpoint (see control.ts), which can really stop/start the auth-server; optional. */
  controlUrl: string | undefined
  controlToken: string | undefined
  /** How long boot waits for the auth-server's metadata (it may still be starting). */
  discoveryTimeout: number
  logLevel: string
}

const appDir = fileURLToPath(new URL('..', import.meta.url))

/** Documented local defaults, refused in production. */
export const LOCAL_DEFAULTS = {
  CLIENT_SECRET: 'web-secret',
  SESSION_SECRET: 'local-only-session-secret-do-not-use-in-production',
  ADMIN_TOKEN: 'admin-token',
} as const

// Base URLs (paths are appended to them) and issuers (compared exactly, RFC 8414 §3.3): no trailing slash.
const url = httpUrl('an http(s) URL without query, fragment or trailing slash', { trailingSlash: false })

const schema = {
  NODE_ENV: { type: 'string' },
  PORT: int(0, 65535),
  HOST: { type: 'string', minLength: 1 },
  PUBLIC_URL: url,
  PUBLIC_ISSUER: url,
  INTERNAL_ISSUER: url,
  CLIENT_ID: { type: 'string', minLength: 1, maxLength: 200 },
  CLIENT_SECRET: { type: 'string', minLength: 1, maxLength: 512 },
  ORDERS_API_URL: url,
  INVENTORY_API_URL: url,
  ORDERS_AUDIENCE: { type: 'string', minLength: 1 },
  INVENTORY_AUDIENCE: { type: 'string', minLength: 1 },
  SESSION_SECRET: { type: 'string', minLength: 32, maxLength: 512 },
  SESSION_TTL: int(60, 30 * 86400),
  REFRESH_MARGIN: int(0, 3600),
  DATABASE_URL: { type: 'string', minLength: 1 },
  ADMIN_TOKEN: { type: 'string', minLength: 1, maxLength: 512 },
  DEMO_CONTROL_URL: url,
  DEMO_CONTROL_TOKEN: { type: 'string', minLength: 16, maxLength: 512 },
  DISCOVERY_TIMEOUT: int(0, 600),
  LOG_LEVEL: logLevel,
} satisfies EnvSchema

/**
 * Reads and validates the configuration from environment variables. Outside production the client secret,
 * session secret and admin token fall back to documented local values; with `NODE_ENV=production` the first
 * two must be set (and differ from those values), and the admin experiments are off unless `ADMIN_TOKEN` is set.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  // The error's own message starts "invalid configuration: ".
  const input = readEnv(env, schema, (problems) => new ConfigError(problems.join('; ')))
  const str = (name: string) => input[name] as string | undefined
  const num = (name: string, fallback: number) => (input[name] as number | undefined) ?? fallback
  const production = input.NODE_ENV === 'production'
  if (production) {
    const missing = ['CLIENT_SECRET', 'SESSION_SECRET', 'PUBLIC_URL', 'PUBLIC_ISSUER'].filter((n) => !str(n))
    if (missing.length > 0) throw new ConfigError(`NODE_ENV=production requires ${missing.join(', ')}`)
    const local = Object.entries(LOCAL_DEFAULTS).filter(([name, value]) => str(name) === value)
    if (local.length > 0) {
      throw new ConfigError(
        `NODE_ENV=production refuses the local defaults for ${local.map(([n]) => n).join(', ')}`,
      )
    }
  }
  const local = (name: keyof typeof LOCAL_DEFAULTS) =>
    str(name) ?? (production ? undefined : LOCAL_DEFAULTS[name])
  const controlUrl = str('DEMO_CONTROL_URL')
  const controlToken = str('DEMO_CONTROL_TOKEN')
  if ((controlUrl === undefined) !== (controlToken === undefined)) {
    throw new ConfigError('DEMO_CONTROL_URL and DEMO_CONTROL_TOKEN go together')
  }
  const publicIssuer = str('PUBLIC_ISSUER') ?? 'http://localhost:4000'
  return {
    production,
    port: num('PORT', 3000),
    host: str('HOST') ?? '127.0.0.1',
    publicUrl: str('PUBLIC_URL') ?? 'http://localhost:3000',
    publicIssuer,
    internalIssuer: str('INTERNAL_ISSUER') ?? publicIssuer,
    clientId: str('CLIENT_ID') ?? 'web',
    clientSecret: local('CLIENT_SECRET') as string,
    ordersApiUrl: str('ORDERS_API_URL') ?? 'http://localhost:4001',
    inventoryApiUrl: str('INVENTORY_API_URL') ?? 'http://localhost:4002',
    ordersAudience: str('ORDERS_AUDIENCE') ?? 'urn:stateless-auth:orders-api',
    inventoryAudience: str('INVENTORY_AUDIENCE') ?? 'urn:stateless-auth:inventory-api',
    sessionSecret: local('SESSION_SECRET') as string,
    sessionTtl: num('SESSION_TTL', 8 * 3600),
    refreshMargin: num('REFRESH_MARGIN', 15),
    databaseUrl: str('DATABASE_URL') ?? `${appDir}data/web.sqlite`,
    adminToken: local('ADMIN_TOKEN'),
    controlUrl,
    controlToken,
    discoveryTimeout: num('DISCOVERY_TIMEOUT', 30),
    logLevel: str('LOG_LEVEL') ?? 'info',
  }
}
