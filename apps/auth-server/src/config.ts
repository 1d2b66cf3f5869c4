import {
  appPath,
  baseUrl,
  host,
  int,
  port,
  readServiceConfig,
  type ServiceConfig,
  serviceSchema,
  Type,
} from '@stateless-auth/service-kit/config'
import { assertConfig } from './config-rules.js'

export const SIGNING_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const
export type SigningAlg = (typeof SIGNING_ALGS)[number]

export interface AuthServerConfig extends ServiceConfig {
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
  /** Where the operator routes (`/admin/*`) listen: never on the public port (issue 12, item 1). */
  adminPort: number
  adminHost: string
  /** HMAC secret for the login-session and CSRF cookies; undefined outside production means one per process. */
  cookieSecret: string | undefined
  keyEncryptionSecret: string | undefined
  /** RFC 9449 §8: when set, /token requires DPoP proofs to carry a server nonce (an HMAC over a time step). */
  dpopNonceSecret: string | undefined
  signingAlg: SigningAlg
  /** Seconds between automatic key rotations; 0 turns scheduled rotation off. */
  keyRotationInterval: number
  jwksMaxAge: number
  clockSkew: number
  rateLimitWindow: number
  rateLimitTokenMax: number
  rateLimitLoginMax: number
  /** GET and POST /authorize per source address and window (issue 12, item 12). */
  rateLimitAuthorizeMax: number
  loginMaxFailures: number
  seedDemoUsers: boolean
  /** Entries per status list (draft-ietf-oauth-status-list); a new list opens when one fills. */
  statusListSize: number
  /** Seconds a verifier may cache a status list token: the revocation delay, plus clock skew. */
  statusListTtl: number
}

/** Documented local defaults, refused in production (where every secret must be set explicitly). */
export const LOCAL_DEFAULTS = {
  WEB_CLIENT_SECRET: 'web-secret',
  ORDERS_API_CLIENT_SECRET: 'orders-api-secret',
  DEMO_USER_PASSWORD: 'demo-password',
  ADMIN_TOKEN: 'admin-token',
} as const

/** What production needs set explicitly: the issuer and every secret. */
const PRODUCTION_REQUIRED = [
  'ISSUER',
  'WEB_CLIENT_SECRET',
  'ORDERS_API_CLIENT_SECRET',
  'DEMO_USER_PASSWORD',
  'ADMIN_TOKEN',
  'COOKIE_SECRET',
  'KEY_ENCRYPTION_SECRET',
] as const

/** A duration in seconds: at most ten years unless a smaller bound is given. */
const seconds = (minimum: number, fallback: number, maximum = 10 * 365 * 86400) =>
  int(minimum, maximum, fallback)
const secret = (fallback: string) => Type.String({ minLength: 1, maxLength: 512, default: fallback })

export const authServerEnv = serviceSchema(4000, {
  ISSUER: baseUrl('http://localhost:4000'),
  DATABASE_URL: Type.String({ minLength: 1, default: appPath(import.meta.url, 'data/auth-server.sqlite') }),
  CLIENTS_FILE: Type.String({ minLength: 1, default: appPath(import.meta.url, 'clients.json') }),
  ACCESS_TOKEN_TTL: seconds(10, 300, 86400),
  REFRESH_TOKEN_TTL: seconds(60, 7 * 86400),
  REFRESH_TOKEN_IDLE_TTL: seconds(60, 86400),
  CODE_TTL: seconds(1, 60, 600),
  SESSION_TTL: seconds(60, 3600, 7 * 86400),
  WEB_CLIENT_SECRET: secret(LOCAL_DEFAULTS.WEB_CLIENT_SECRET),
  ORDERS_API_CLIENT_SECRET: secret(LOCAL_DEFAULTS.ORDERS_API_CLIENT_SECRET),
  DEMO_USER_PASSWORD: secret(LOCAL_DEFAULTS.DEMO_USER_PASSWORD),
  ADMIN_TOKEN: secret(LOCAL_DEFAULTS.ADMIN_TOKEN),
  ADMIN_PORT: port(4003),
  ADMIN_HOST: host(),
  COOKIE_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
  KEY_ENCRYPTION_SECRET: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
  DPOP_NONCE_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
  SIGNING_ALG: Type.Enum(SIGNING_ALGS, { default: 'RS256' }),
  KEY_ROTATION_INTERVAL: seconds(0, 0),
  JWKS_MAX_AGE: seconds(0, 300, 86400),
  CLOCK_SKEW: seconds(0, 60, 600),
  RATE_LIMIT_WINDOW: seconds(1, 60, 86400),
  RATE_LIMIT_TOKEN_MAX: int(1, 1_000_000, 120),
  RATE_LIMIT_LOGIN_MAX: int(1, 1_000_000, 20),
  RATE_LIMIT_AUTHORIZE_MAX: int(1, 1_000_000, 60),
  LOGIN_MAX_FAILURES: int(1, 1000, 5),
  SEED_DEMO_USERS: Type.Boolean({ default: true }),
  STATUS_LIST_SIZE: Type.Integer({ minimum: 8, maximum: 1 << 24, multipleOf: 8, default: 1 << 16 }),
  STATUS_LIST_TTL: seconds(1, 30, 86400),
})

/**
 * Reads and validates the configuration from environment variables. Outside production the demo secrets
 * fall back to documented local values; with `NODE_ENV=production` every secret must be set, and the local
 * values are refused, so a deployment can never run on them by accident.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AuthServerConfig {
  const { input, service } = readServiceConfig(authServerEnv, env, {
    required: PRODUCTION_REQUIRED,
    localDefaults: Object.keys(LOCAL_DEFAULTS) as (keyof typeof LOCAL_DEFAULTS)[],
  })
  const production = input.NODE_ENV === 'production'
  return assertConfig(
    {
      ...service,
      issuer: input.ISSUER,
      databaseUrl: input.DATABASE_URL,
      clientsFile: input.CLIENTS_FILE,
      accessTokenTtl: input.ACCESS_TOKEN_TTL,
      refreshTokenTtl: input.REFRESH_TOKEN_TTL,
      refreshTokenIdleTtl: input.REFRESH_TOKEN_IDLE_TTL,
      codeTtl: input.CODE_TTL,
      sessionTtl: input.SESSION_TTL,
      webClientSecret: input.WEB_CLIENT_SECRET,
      ordersApiClientSecret: input.ORDERS_API_CLIENT_SECRET,
      demoUserPassword: input.DEMO_USER_PASSWORD,
      adminToken: input.ADMIN_TOKEN,
      adminPort: input.ADMIN_PORT,
      adminHost: input.ADMIN_HOST,
      cookieSecret: input.COOKIE_SECRET,
      keyEncryptionSecret: input.KEY_ENCRYPTION_SECRET,
      dpopNonceSecret: input.DPOP_NONCE_SECRET,
      signingAlg: input.SIGNING_ALG,
      keyRotationInterval: input.KEY_ROTATION_INTERVAL,
      jwksMaxAge: input.JWKS_MAX_AGE,
      clockSkew: input.CLOCK_SKEW,
      rateLimitWindow: input.RATE_LIMIT_WINDOW,
      rateLimitTokenMax: input.RATE_LIMIT_TOKEN_MAX,
      rateLimitLoginMax: input.RATE_LIMIT_LOGIN_MAX,
      rateLimitAuthorizeMax: input.RATE_LIMIT_AUTHORIZE_MAX,
      loginMaxFailures: input.LOGIN_MAX_FAILURES,
      // Production seeds demo users only when SEED_DEMO_USERS=true is set explicitly (issue 12, item 7).
      seedDemoUsers: production ? env.SEED_DEMO_USERS === 'true' : input.SEED_DEMO_USERS,
      statusListSize: input.STATUS_LIST_SIZE,
      statusListTtl: input.STATUS_LIST_TTL,
    },
    env,
  )
}
