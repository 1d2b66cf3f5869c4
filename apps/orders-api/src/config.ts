import {
  type ResourceServerConfig,
  resourceServerConfig,
  resourceServerEnv,
} from '@stateless-auth/resource-server'
import { appPath, httpUrl, int, readConfig, Type } from '@stateless-auth/service-kit/config'

export interface OrdersConfig extends ResourceServerConfig {
  /** How orders-api reaches inventory-api, as itself (client credentials, RFC 6749 §4.4). */
  inventory: {
    url: string
    /** The `resource` requested (RFC 8707) and so the `aud` of orders-api's own token. */
    audience: string
    scope: string
    timeoutMs: number
    /** `INVENTORY_DPOP`: a DPoP-bound service token and a proof on every call (RFC 9449); one key per process. */
    dpop: boolean
  }
  client: {
    id: string
    secret: string
    /** Token endpoint; otherwise read from the issuer's RFC 8414 metadata. */
    tokenEndpoint: string | undefined
  }
}

/** Documented local default (README), refused in production. Matches the auth-server's local default. */
export const LOCAL_CLIENT_SECRET = 'orders-api-secret'

/** DESIGN.md: orders-api listens on 4001 and is the resource `urn:stateless-auth:orders-api`. */
export const ordersEnv = Type.Object({
  ...resourceServerEnv({
    port: 4001,
    audience: 'urn:stateless-auth:orders-api',
    databaseUrl: appPath(import.meta.url, 'data/orders-api.sqlite'),
  }),
  CLIENT_ID: Type.String({ minLength: 1, maxLength: 256, default: 'orders-api' }),
  CLIENT_SECRET: Type.String({ minLength: 1, maxLength: 512, default: LOCAL_CLIENT_SECRET }),
  TOKEN_ENDPOINT: Type.Optional(httpUrl('an http(s) URL')),
  INVENTORY_API_URL: httpUrl('an http(s) URL such as http://localhost:4002', {
    default: 'http://localhost:4002',
  }),
  INVENTORY_AUDIENCE: Type.String({
    minLength: 1,
    maxLength: 512,
    default: 'urn:stateless-auth:inventory-api',
  }),
  // RFC 6749 §3.3: space-separated scope tokens.
  INVENTORY_SCOPE: Type.String({
    pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$',
    default: 'inventory:write',
  }),
  INVENTORY_TIMEOUT_MS: int(100, 60_000, 5000),
  INVENTORY_DPOP: Type.Boolean({ default: true }),
})

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const input = readConfig(ordersEnv, env, {
    required: ['CLIENT_SECRET'],
    localDefaults: ['CLIENT_SECRET'],
  })
  return {
    ...resourceServerConfig(input),
    inventory: {
      url: input.INVENTORY_API_URL.replace(/\/+$/, ''),
      audience: input.INVENTORY_AUDIENCE,
      scope: input.INVENTORY_SCOPE,
      timeoutMs: input.INVENTORY_TIMEOUT_MS,
      dpop: input.INVENTORY_DPOP,
    },
    client: {
      id: input.CLIENT_ID,
      secret: input.CLIENT_SECRET,
      tokenEndpoint: input.TOKEN_ENDPOINT,
    },
  }
}
