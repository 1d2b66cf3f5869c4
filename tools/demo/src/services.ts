import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

export type ServiceName = 'auth-server' | 'orders-api' | 'inventory-api' | 'web'

export interface ServiceSpec {
  name: ServiceName
  /** The app's folder; the launcher runs `node dist/server.js` there. */
  dir: string
  port: number
  /** ANSI colour of its log prefix. */
  colour: number
}

/** An app's folder, found through this tool's dependency on it (its code is run, never imported). */
// Static specifiers, so that tools reading the imports (knip) see each dependency used.
const manifests: Record<ServiceName, string> = {
  'auth-server': import.meta.resolve('@stateless-auth/auth-server/package.json'),
  'orders-api': import.meta.resolve('@stateless-auth/orders-api/package.json'),
  'inventory-api': import.meta.resolve('@stateless-auth/inventory-api/package.json'),
  web: import.meta.resolve('@stateless-auth/web/package.json'),
}
const appDir = (name: ServiceName) => dirname(fileURLToPath(manifests[name]))

/** DESIGN.md's local ports. */
export const DEFAULT_PORTS: Record<ServiceName, number> = {
  'auth-server': 4000,
  'orders-api': 4001,
  'inventory-api': 4002,
  web: 3000,
}

/** The auth-server's operator listener (`ADMIN_PORT`), on 127.0.0.1 only, apart from its public port. */
export const DEFAULT_ADMIN_PORT = 4003

/** Each service's port, and optionally the auth-server's operator port (default {@link DEFAULT_ADMIN_PORT}). */
export type DemoPorts = Record<ServiceName, number> & { admin?: number }

export const ORDERS_AUDIENCE = 'urn:stateless-auth:orders-api'
export const INVENTORY_AUDIENCE = 'urn:stateless-auth:inventory-api'

/** Documented local defaults of the services (their READMEs); the launcher is a local-only tool. */
export const LOCAL_ADMIN_TOKEN = 'admin-token'
export const DEMO_PASSWORD = 'demo-password'

export function serviceSpecs(ports: Record<ServiceName, number> = DEFAULT_PORTS): ServiceSpec[] {
  return [
    { name: 'auth-server', dir: appDir('auth-server'), port: ports['auth-server'], colour: 35 },
    { name: 'orders-api', dir: appDir('orders-api'), port: ports['orders-api'], colour: 36 },
    { name: 'inventory-api', dir: appDir('inventory-api'), port: ports['inventory-api'], colour: 33 },
    { name: 'web', dir: appDir('web'), port: ports.web, colour: 32 },
  ]
}

/** The URLs the four services answer on, from their ports. */
export function serviceUrls(ports: DemoPorts, host = 'localhost') {
  return {
    issuer: `http://${host}:${ports['auth-server']}`,
    /** `/admin/*` (ADMIN_HOST stays loopback): never served on the issuer's port. */
    admin: `http://127.0.0.1:${ports.admin ?? DEFAULT_ADMIN_PORT}`,
    orders: `http://${host}:${ports['orders-api']}`,
    inventory: `http://${host}:${ports['inventory-api']}`,
    web: `http://${host}:${ports.web}`,
  }
}

export interface DemoSettings {
  /** Seconds an access token lives; short so expiry can be watched. */
  accessTokenTtl: number
  /** Seconds a new signing key is published before it signs (the auth-server's JWKS max-age). */
  jwksMaxAge: number
  /** Seconds an API holds a status list (`STATUS_LIST_TTL`): how long a revoked token may still pass. */
  statusListTtl?: number
}

/**
 * Each service's environment. The caller's own environment wins over these defaults, except for the values
 * that tie the four together (ports, issuer, URLs), which the launcher owns.
 */
export function serviceEnv(
  spec: ServiceSpec,
  ports: DemoPorts,
  settings: DemoSettings,
  control?: { url: string; token: string },
  host = 'localhost',
): Record<string, string> {
  const urls = serviceUrls(ports, host)
  // Settings that name one service's own resources must not leak from the caller's shell into all four.
  // CLIENT_ID/CLIENT_SECRET mean different clients to web and orders-api, so each takes its secret from the name the
  // auth-server reads (WEB_CLIENT_SECRET, ORDERS_API_CLIENT_SECRET): one shell variable configures both ends.
  const {
    DATABASE_URL: _db,
    AUDIENCE: _aud,
    CLIENT_ID: _id,
    CLIENT_SECRET: _secret,
    ...inherited
  } = process.env as Record<string, string>
  const secretFrom = (name: string): Record<string, string> => {
    const secret = inherited[name]
    return secret ? { CLIENT_SECRET: secret } : {}
  }
  const common = { PORT: String(spec.port), HOST: '127.0.0.1' }
  switch (spec.name) {
    case 'auth-server':
      return {
        ACCESS_TOKEN_TTL: String(settings.accessTokenTtl),
        JWKS_MAX_AGE: String(settings.jwksMaxAge),
        ...(settings.statusListTtl ? { STATUS_LIST_TTL: String(settings.statusListTtl) } : {}),
        ...inherited,
        ...common,
        ISSUER: urls.issuer,
        ADMIN_PORT: String(ports.admin ?? DEFAULT_ADMIN_PORT),
      }
    case 'orders-api':
    case 'inventory-api':
      return {
        // An unknown kid may trigger a JWKS fetch every 2 s (default 30 s), so a rotation shows up promptly.
        JWKS_COOLDOWN_MS: '2000',
        ...inherited,
        ...common,
        ...(spec.name === 'orders-api' ? secretFrom('ORDERS_API_CLIENT_SECRET') : {}),
        ISSUER: urls.issuer,
        INVENTORY_API_URL: urls.inventory,
      }
    case 'web':
      return {
        ...inherited,
        ...common,
        ...secretFrom('WEB_CLIENT_SECRET'),
        PUBLIC_URL: urls.web,
        PUBLIC_ISSUER: urls.issuer,
        INTERNAL_ISSUER: urls.issuer,
        ADMIN_URL: urls.admin,
        ORDERS_API_URL: urls.orders,
        INVENTORY_API_URL: urls.inventory,
        ...(control ? { DEMO_CONTROL_URL: control.url, DEMO_CONTROL_TOKEN: control.token } : {}),
      }
  }
}
