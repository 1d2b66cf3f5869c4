import { fileURLToPath } from 'node:url'
import { type EnvSchema, httpUrl, int, logLevel, readEnv } from '@stateless-auth/service-kit/env'
import { assertTimings } from './config-rules.js'
import { ConfigError } from './errors.js'

export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

export interface AuthServerConfig {
  production: boolean
  port: number
  host: string
  /** Public URL of this server: the `iss` claim and the base of every advertised endpoint (RFC 8414 §2). */
  issuer: string
  databaseUrl: string
  clientsFile: string
  accessTokenTtl: number
  /** Absolute lifetime of a refresh-token family, counted from the login. */
  refreshTokenTtl: number
  /** A refresh token unused for this long expires even inside its absolute lifetime. */
  refreshTokenIdleTtl: number
  codeTtl: number
  sessionTtl: number
  webClientSecret: string
  ordersApiClientSecret: string
  demoUserPassword: string
  adminToken: string
  /** HMAC secret for the login-session and CSRF cookies; undefined outside production means one per process. */
  cookieSecret: string | undefined
  keyEncryptionSecret: string | undefined
  signingAlg: SigningAlg
  /** Seconds between automatic key rotations; 0 turns scheduled rotation off. */
  keyRotationInterval: number
  jwksMaxAge: number
  clockSkew: number
  rateLimitWindow: number
  rateLimitTokenMax: number
  rateLimitLoginMax: number
  loginMaxFailures: number
  logLevel: string
  seedDemoUsers: boolean
  /** Entries per status list (draft-ietf-oauth-status-list); a new list opens when one fills. */
  statusListSize: number
  /** Seconds a verifier may cache a status list token: the revocation delay, plus clock skew. */
  statusListTtl: number
}

const appDir = fileURLToPath(new URL('..', import.meta.url))

/** Documented local defaults, refused in production (where every secret must be set explicitly). */
export const LOCAL_DEFAULTS = {
  WEB_CLIENT_SECRET: 'web-secret',
  ORDERS_API_CLIENT_SECRET: 'orders-api-secret',
  DEMO_USER_PASSWORD: 'demo-password',
  ADMIN_TOKEN: 'admin-token',
} as const

const SECRET_NAMES = [
  'WEB_CLIENT_SECRET',
  'ORDERS_API_CLIENT_SECRET',
  'DEMO_USER_PASSWORD',
  'ADMIN_TOKEN',
  'COOKIE_SECRET',
  'KEY_ENCRYPTION_SECRET',
] as const

/** A duration in seconds: at most ten years unless a smaller bound is given. */
const seconds = (minimum: number, maximum = 10 * 365 * 86400) => int(minimum, maximum)
const secret = { type: 'string', minLength: 1, maxLength: 512 }

const schema = {
  NODE_ENV: { type: 'string' },
  PORT: int(0, 65535),
  HOST: { type: 'string', minLength: 1 },
  ISSUER: httpUrl('an http(s) URL without query, fragment or trailing slash', { trailingSlash: false }),
  DATABASE_URL: { type: 'string', minLength: 1 },
  CLIENTS_FILE: { type: 'string', minLength: 1 },
  ACCESS_TOKEN_TTL: seconds(10, 86400),
  REFRESH_TOKEN_TTL: seconds(60),
  REFRESH_TOKEN_IDLE_TTL: seconds(60),
  CODE_TTL: seconds(1, 600),
  SESSION_TTL: seconds(60, 7 * 86400),
  WEB_CLIENT_SECRET: secret,
  ORDERS_API_CLIENT_SECRET: secret,
  DEMO_USER_PASSWORD: secret,
  ADMIN_TOKEN: secret,
  COOKIE_SECRET: { type: 'string', minLength: 32, maxLength: 512 },
  KEY_ENCRYPTION_SECRET: { type: 'string', minLength: 16, maxLength: 512 },
  SIGNING_ALG: { type: 'string', enum: [...SIGNING_ALGS] },
  KEY_ROTATION_INTERVAL: seconds(0),
  JWKS_MAX_AGE: seconds(0, 86400),
  CLOCK_SKEW: seconds(0, 600),
  RATE_LIMIT_WINDOW: seconds(1, 86400),
  RATE_LIMIT_TOKEN_MAX: int(1, 1_000_000),
  RATE_LIMIT_LOGIN_MAX: int(1, 1_000_000),
  LOGIN_MAX_FAILURES: int(1, 1000),
  LOG_LEVEL: logLevel,
  SEED_DEMO_USERS: { type: 'boolean' },
  STATUS_LIST_SIZE: { ...int(8, 1 << 24), multipleOf: 8 },
  STATUS_LIST_TTL: seconds(1, 86400),
} satisfies EnvSchema

/**
 * Reads and validates the configuration from environment variables. Outside production the demo secrets
 * fall back to documented local values; with `NODE_ENV=production` every secret must be set, and the local
 * values are refused, so a deployment can never run on them by accident.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AuthServerConfig {
  const input = readEnv(
    env,
    schema,
    (problems) => new ConfigError(`invalid configuration: ${problems.join('; ')}`),
  )
  const production = input.NODE_ENV === 'production'
  if (production) {
    const missing = SECRET_NAMES.filter((name) => input[name] === undefined)
    if (input.ISSUER === undefined) missing.unshift('ISSUER' as never)
    if (missing.length > 0) {
      throw new ConfigError(`NODE_ENV=production requires ${missing.join(', ')} to be set`)
    }
    const local = Object.entries(LOCAL_DEFAULTS).filter(([name, value]) => input[name] === value)
    if (local.length > 0) {
      const names = local.map(([name]) => name).join(', ')
      throw new ConfigError(`NODE_ENV=production refuses the documented local defaults for ${names}`)
    }
  }
  const str = (name: string) => input[name] as string | undefined
  const num = (name: string, fallback: number) => (input[name] as number | undefined) ?? fallback
  const localSecret = (name: keyof typeof LOCAL_DEFAULTS) => str(name) ?? LOCAL_DEFAULTS[name]

  const accessTokenTtl = num('ACCESS_TOKEN_TTL', 300)
  return assertTimings({
    production,
    port: num('PORT', 4000),
    host: str('HOST') ?? '127.0.0.1',
    issuer: str('ISSUER') ?? 'http://localhost:4000',
    databaseUrl: str('DATABASE_URL') ?? `${appDir}data/auth-server.sqlite`,
    clientsFile: str('CLIENTS_FILE') ?? `${appDir}clients.json`,
    accessTokenTtl,
    refreshTokenTtl: num('REFRESH_TOKEN_TTL', 7 * 86400),
    refreshTokenIdleTtl: num('REFRESH_TOKEN_IDLE_TTL', 86400),
    codeTtl: num('CODE_TTL', 60),
    sessionTtl: num('SESSION_TTL', 3600),
    webClientSecret: localSecret('WEB_CLIENT_SECRET'),
    ordersApiClientSecret: localSecret('ORDERS_API_CLIENT_SECRET'),
    demoUserPassword: localSecret('DEMO_USER_PASSWORD'),
    adminToken: localSecret('ADMIN_TOKEN'),
    cookieSecret: str('COOKIE_SECRET'),
    keyEncryptionSecret: str('KEY_ENCRYPTION_SECRET'),
    signingAlg: (str('SIGNING_ALG') as SigningAlg | undefined) ?? 'RS256',
    keyRotationInterval: num('KEY_ROTATION_INTERVAL', 0),
    jwksMaxAge: num('JWKS_MAX_AGE', 300),
    clockSkew: num('CLOCK_SKEW', 60),
    rateLimitWindow: num('RATE_LIMIT_WINDOW', 60),
    rateLimitTokenMax: num('RATE_LIMIT_TOKEN_MAX', 120),
    rateLimitLoginMax: num('RATE_LIMIT_LOGIN_MAX', 20),
    loginMaxFailures: num('LOGIN_MAX_FAILURES', 5),
    logLevel: str('LOG_LEVEL') ?? 'info',
    seedDemoUsers: (input.SEED_DEMO_USERS as boolean | undefined) ?? true,
    statusListSize: num('STATUS_LIST_SIZE', 1 << 16),
    statusListTtl: num('STATUS_LIST_TTL', 30),
  })
}
