import { readFileSync } from 'node:fs'
import { ConfigError } from './errors.js'

/** The settings, in seconds, that key rotation depends on (named as in AuthServerConfig). */
interface Timings {
  keyRotationInterval: number
  jwksMaxAge: number
  accessTokenTtl: number
  clockSkew: number
}

/**
 * Settings that are each valid but cannot work together, as readable sentences (empty when all is well).
 *
 * Rotation (issue 12, item 2): a new key is pending for JWKS_MAX_AGE, then signs; the key it replaces stays
 * published for ACCESS_TOKEN_TTL + CLOCK_SKEW after that. An interval at least that long means a rotation only
 * comes due once the previous one has settled, so the JWKS holds a bounded handful of keys. A shorter one
 * (config accepted 1 s) piled up keys until verifiers that keep a bounded number dropped the one that signs.
 */
export function timingProblems(config: Timings): string[] {
  const problems: string[] = []
  const { keyRotationInterval, jwksMaxAge, accessTokenTtl, clockSkew } = config
  const minimum = jwksMaxAge + accessTokenTtl + clockSkew
  if (keyRotationInterval > 0 && keyRotationInterval < minimum) {
    problems.push(
      `KEY_ROTATION_INTERVAL (${keyRotationInterval} s) must be 0 (off) or at least ` +
        `JWKS_MAX_AGE + ACCESS_TOKEN_TTL + CLOCK_SKEW = ${jwksMaxAge} + ${accessTokenTtl} + ${clockSkew} = ${minimum} s`,
    )
  }
  return problems
}

/**
 * Secrets a production deployment generates: at least 32 random bytes' worth, i.e. 43 characters (the length of
 * 32 bytes in base64url, `openssl rand -base64 32` gives 44). A length rule cannot measure entropy; it refuses the
 * short, typed-in values the review started the server with (one character). DEMO_USER_PASSWORD is a password
 * for demo users, who exist in production only with SEED_DEMO_USERS=true, so it is not held to this.
 */
export const MIN_SECRET_LENGTH = 43
export const PRODUCTION_SECRETS = [
  'WEB_CLIENT_SECRET',
  'ORDERS_API_CLIENT_SECRET',
  'ADMIN_TOKEN',
  'COOKIE_SECRET',
  'KEY_ENCRYPTION_SECRET',
] as const

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost'])

/** Redirect URIs a production clients file may not hold: non-https ones, except loopback for native clients. */
function clientFileProblems(clientsFile: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(clientsFile, 'utf8'))
  } catch (error) {
    return [`CLIENTS_FILE ${clientsFile} cannot be read: ${(error as Error).message}`]
  }
  const clients = (parsed as { clients?: unknown }).clients
  if (!Array.isArray(clients)) return [`CLIENTS_FILE ${clientsFile} has no clients array`]
  const problems: string[] = []
  for (const client of clients as Record<string, unknown>[]) {
    const methods = Array.isArray(client.token_endpoint_auth_methods)
      ? client.token_endpoint_auth_methods
      : []
    const native = methods.includes('none')
    const uris = [
      ...(Array.isArray(client.redirect_uris) ? client.redirect_uris : []),
      ...(Array.isArray(client.post_logout_redirect_uris) ? client.post_logout_redirect_uris : []),
    ] as unknown[]
    for (const uri of uris) {
      let url: URL
      try {
        url = new URL(String(uri))
      } catch {
        problems.push(`client ${String(client.client_id)}: redirect URI ${String(uri)} is not a URL`)
        continue
      }
      if (url.protocol === 'https:') continue
      // RFC 8252 §7.3: a native (public) client's loopback redirect is http by necessity.
      if (native && url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) continue
      problems.push(
        `client ${String(client.client_id)}: redirect URI ${String(uri)} must be https (http only on loopback for native clients)`,
      )
    }
  }
  return problems
}

/** What NODE_ENV=production refuses (issue 12, item 7), as sentences (empty when all is well). */
export function productionProblems(
  config: { issuer: string; jwksMaxAge: number; clientsFile: string },
  env: NodeJS.ProcessEnv,
): string[] {
  const problems: string[] = []
  for (const name of PRODUCTION_SECRETS) {
    const value = env[name]
    if (value !== undefined && value.length < MIN_SECRET_LENGTH) {
      problems.push(`${name} must be at least ${MIN_SECRET_LENGTH} characters (32 random bytes, base64url)`)
    }
  }
  if (!config.issuer.startsWith('https://'))
    problems.push(`ISSUER must be an https URL (got ${config.issuer})`)
  if (config.jwksMaxAge === 0) {
    problems.push('JWKS_MAX_AGE must be above 0: a new key must be published before it signs')
  }
  problems.push(...clientFileProblems(config.clientsFile))
  return problems
}

/** Throws one ConfigError naming every problem (timings; in production, the production rules too). */
export function assertConfig<
  T extends Timings & {
    production: boolean
    issuer: string
    clientsFile: string
    port: number
    adminPort: number
  },
>(config: T, env: NodeJS.ProcessEnv): T {
  const problems = timingProblems(config)
  // The operator routes must never share the public port (issue 12, item 1); 0 picks a free one for each.
  if (config.adminPort !== 0 && config.adminPort === config.port)
    problems.push(`ADMIN_PORT must differ from PORT (${config.port})`)
  if (config.production) problems.push(...productionProblems(config, env))
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  return config
}
