import {
  httpUrl,
  int,
  type ServiceConfig,
  type Static,
  serviceConfig,
  serviceEnv,
  Type,
} from '@stateless-auth/service-kit/config'
import type { DpopMode } from '@stateless-auth/verifier'

export interface ResourceServerConfig extends ServiceConfig {
  /** Expected `iss` of every token (RFC 9068 §4): the public issuer URL, even inside containers. */
  issuer: string
  /** This API's identifier; a token's `aud` must contain it (RFC 9068 §4, RFC 8707). */
  audience: string
  /** Where to fetch the JWKS; otherwise the `jwks_uri` of the issuer's RFC 8414 metadata. */
  jwksUri: string | undefined
  /** Where to read RFC 8414 metadata when it is not at the public issuer URL (containers). */
  metadataUri: string | undefined
  databaseUrl: string
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
    /** Verified-token cache (`TOKEN_CACHE`): a hit is still checked against the status list. */
    cache: false | { max: number }
    /**
     * Token Status List checking (`STATUS_LIST_CHECK`, `STATUS_LIST_MAX_STALE`): revocation within the list's ttl.
     * `fetchBase` (`STATUS_LIST_URL`): where lists named at the public issuer are fetched from (containers).
     */
    status: false | { maxStale: number; fetchBase?: string }
    /**
     * DPoP (RFC 9449, `DPOP`, `PUBLIC_URL`, `DPOP_NONCE_SECRET`): which schemes are accepted, the base URL clients
     * use (a proof's `htu` names it; behind a proxy it is not what Node sees), and optional resource-server nonces.
     */
    dpop: { mode: DpopMode; publicUrl?: string; nonce?: { secret: string } }
  }
}

/** What differs between resource servers: their defaults. */
export interface ResourceServerDefaults {
  port: number
  audience: string
  /** Default `DATABASE_URL`: a SQLite file path. */
  databaseUrl: string
}

/**
 * The variables every resource server reads (DESIGN.md: `PORT`, `HOST`, `ISSUER`, `AUDIENCE`, `JWKS_URI`,
 * `DATABASE_URL`…), as TypeBox properties with their defaults; an app spreads them into its own schema.
 */
export function resourceServerEnv(defaults: ResourceServerDefaults) {
  return {
    ...serviceEnv(defaults.port),
    ISSUER: httpUrl(
      'the public issuer URL without query, fragment or trailing slash, e.g. http://localhost:4000',
      { trailingSlash: false, default: 'http://localhost:4000' },
    ),
    AUDIENCE: Type.String({ minLength: 1, maxLength: 512, default: defaults.audience }),
    JWKS_URI: Type.Optional(httpUrl('an http(s) URL')),
    METADATA_URI: Type.Optional(httpUrl('an http(s) URL')),
    DATABASE_URL: Type.String({ minLength: 1, default: defaults.databaseUrl }),
    BODY_LIMIT: int(1024, 10 * 1024 * 1024, 16 * 1024),
    CLOCK_TOLERANCE: int(0, 600, 5),
    JWKS_COOLDOWN_MS: int(0, 3_600_000, 30_000),
    JWKS_REFRESH_INTERVAL_MS: int(1000, 86_400_000, 300_000),
    JWKS_FETCH_TIMEOUT_MS: int(100, 60_000, 5000),
    TOKEN_CACHE: Type.Boolean({ default: true }),
    TOKEN_CACHE_MAX: int(1, 10_000_000, 10_000),
    STATUS_LIST_CHECK: Type.Boolean({ default: true }),
    STATUS_LIST_MAX_STALE: int(0, 86_400, 300),
    STATUS_LIST_URL: Type.Optional(
      httpUrl('an http(s) base URL without trailing slash', { trailingSlash: false }),
    ),
    DPOP: Type.Enum(['disabled', 'allowed', 'required'], { default: 'allowed' }),
    PUBLIC_URL: Type.Optional(
      httpUrl('the URL clients reach this API at, without query, fragment or trailing slash', {
        trailingSlash: false,
      }),
    ),
    DPOP_NONCE_SECRET: Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
  }
}

const shared = Type.Object(resourceServerEnv({ port: 0, audience: '', databaseUrl: '' }))

/** The environment a resource server has read: at least {@link resourceServerEnv}'s variables. */
export type ResourceServerEnv = Static<typeof shared>

/** Maps the shared variables onto the config object the plugin and the apps use. */
export function resourceServerConfig(env: ResourceServerEnv): ResourceServerConfig {
  return {
    ...serviceConfig(env),
    issuer: env.ISSUER,
    audience: env.AUDIENCE,
    jwksUri: env.JWKS_URI,
    metadataUri: env.METADATA_URI,
    databaseUrl: env.DATABASE_URL,
    bodyLimit: env.BODY_LIMIT,
    verifier: {
      clockTolerance: env.CLOCK_TOLERANCE,
      cooldown: env.JWKS_COOLDOWN_MS,
      refreshInterval: env.JWKS_REFRESH_INTERVAL_MS,
      fetchTimeout: env.JWKS_FETCH_TIMEOUT_MS,
      cache: env.TOKEN_CACHE ? { max: env.TOKEN_CACHE_MAX } : false,
      status: env.STATUS_LIST_CHECK
        ? {
            maxStale: env.STATUS_LIST_MAX_STALE,
            ...(env.STATUS_LIST_URL ? { fetchBase: env.STATUS_LIST_URL } : {}),
          }
        : false,
      dpop: {
        mode: env.DPOP,
        ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}),
        ...(env.DPOP_NONCE_SECRET ? { nonce: { secret: env.DPOP_NONCE_SECRET } } : {}),
      },
    },
  }
}
