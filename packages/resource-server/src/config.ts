import { type EnvSchema, httpUrl, int, logLevel, readEnv } from './env.js'

export interface ResourceServerConfig {
  production: boolean
  port: number
  host: string
  /** Expected `iss` of every token (RFC 9068 §4): the public issuer URL, even inside containers. */
  issuer: string
  /** This API's identifier; a token's `aud` must contain it (RFC 9068 §4, RFC 8707). */
  audience: string
  /** Where to fetch the JWKS; otherwise the `jwks_uri` of the issuer's RFC 8414 metadata. */
  jwksUri: string | undefined
  /** Where to read RFC 8414 metadata when it is not at the public issuer URL (containers). */
  metadataUri: string | undefined
  databaseUrl: string
  logLevel: string
  /** Largest request body accepted, in bytes. */
  bodyLimit: number
  verifier: {
    /** Seconds of clock skew allowed on `exp`/`nbf`/`iat`. */
    clockTolerance: number
    /** Minimum ms between two JWKS fetches caused by unknown `kid`s or failures. */
    cooldown: number
    /** Age in ms after which the JWKS is refetched in the background. */
    refreshInterval: number
    /** JWKS/metadata request timeout in ms. */
    fetchTimeout: number
  }
}

/** What differs between resource servers: their defaults. */
export interface ResourceServerDefaults {
  port: number
  audience: string
  /** Default `DATABASE_URL`: a SQLite file path. */
  databaseUrl: string
}

export const resourceServerEnvSchema = {
  NODE_ENV: { type: 'string' },
  PORT: int(0, 65535),
  HOST: { type: 'string', minLength: 1 },
  ISSUER: httpUrl(
    'the public issuer URL without query, fragment or trailing slash, e.g. http://localhost:4000',
    {
      trailingSlash: false,
    },
  ),
  AUDIENCE: { type: 'string', minLength: 1, maxLength: 512 },
  JWKS_URI: httpUrl('an http(s) URL'),
  METADATA_URI: httpUrl('an http(s) URL'),
  DATABASE_URL: { type: 'string', minLength: 1 },
  LOG_LEVEL: logLevel,
  BODY_LIMIT: int(1024, 10 * 1024 * 1024),
  CLOCK_TOLERANCE: int(0, 600),
  JWKS_COOLDOWN_MS: int(0, 3_600_000),
  JWKS_REFRESH_INTERVAL_MS: int(1000, 86_400_000),
  JWKS_FETCH_TIMEOUT_MS: int(100, 60_000),
} satisfies EnvSchema

/**
 * Reads the settings every resource server shares (DESIGN.md: `PORT`, `HOST`, `ISSUER`, `AUDIENCE`, `JWKS_URI`,
 * `DATABASE_URL`…) and validates them; an app adds its own variables with {@link readEnv}.
 */
export function loadResourceServerConfig(
  env: NodeJS.ProcessEnv,
  defaults: ResourceServerDefaults,
): ResourceServerConfig {
  const input = readEnv(env, resourceServerEnvSchema)
  const str = (name: string) => input[name] as string | undefined
  const num = (name: string, fallback: number) => (input[name] as number | undefined) ?? fallback
  return {
    production: input.NODE_ENV === 'production',
    port: num('PORT', defaults.port),
    host: str('HOST') ?? '127.0.0.1',
    issuer: str('ISSUER') ?? 'http://localhost:4000',
    audience: str('AUDIENCE') ?? defaults.audience,
    jwksUri: str('JWKS_URI'),
    metadataUri: str('METADATA_URI'),
    databaseUrl: str('DATABASE_URL') ?? defaults.databaseUrl,
    logLevel: str('LOG_LEVEL') ?? 'info',
    bodyLimit: num('BODY_LIMIT', 16 * 1024),
    verifier: {
      clockTolerance: num('CLOCK_TOLERANCE', 5),
      cooldown: num('JWKS_COOLDOWN_MS', 30_000),
      refreshInterval: num('JWKS_REFRESH_INTERVAL_MS', 300_000),
      fetchTimeout: num('JWKS_FETCH_TIMEOUT_MS', 5000),
    },
  }
}
