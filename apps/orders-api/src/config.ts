import { fileURLToPath } from 'node:url'
import {
  ConfigError,
  httpUrl,
  int,
  loadResourceServerConfig,
  type ResourceServerConfig,
  readEnv,
} from '@stateless-auth/resource-server'

export interface OrdersConfig extends ResourceServerConfig {
  /** How orders-api reaches inventory-api, as itself (client credentials, RFC 6749 §4.4). */
  inventory: {
    url: string
    /** The `resource` requested (RFC 8707) and so the `aud` of orders-api's own token. */
    audience: string
    scope: string
    timeoutMs: number
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

const appDir = fileURLToPath(new URL('..', import.meta.url))

const schema = {
  CLIENT_ID: { type: 'string', minLength: 1, maxLength: 256 },
  CLIENT_SECRET: { type: 'string', minLength: 1, maxLength: 512 },
  TOKEN_ENDPOINT: httpUrl('an http(s) URL'),
  INVENTORY_API_URL: httpUrl('an http(s) URL such as http://localhost:4002'),
  INVENTORY_AUDIENCE: { type: 'string', minLength: 1, maxLength: 512 },
  INVENTORY_SCOPE: {
    type: 'string',
    pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$',
  },
  INVENTORY_TIMEOUT_MS: int(100, 60_000),
}

/** DESIGN.md: orders-api listens on 4001 and is the resource `urn:stateless-auth:orders-api`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const base = loadResourceServerConfig(env, {
    port: 4001,
    audience: 'urn:stateless-auth:orders-api',
    databaseUrl: `${appDir}data/orders-api.sqlite`,
  })
  const input = readEnv(env, schema)
  const str = (name: keyof typeof schema) => input[name] as string | undefined
  const secret = str('CLIENT_SECRET')
  if (base.production && secret === undefined) {
    throw new ConfigError(
      'NODE_ENV=production requires CLIENT_SECRET (the orders-api client secret) to be set',
    )
  }
  if (base.production && secret === LOCAL_CLIENT_SECRET) {
    throw new ConfigError('NODE_ENV=production refuses the documented local default CLIENT_SECRET')
  }
  return {
    ...base,
    inventory: {
      url: (str('INVENTORY_API_URL') ?? 'http://localhost:4002').replace(/\/+$/, ''),
      audience: str('INVENTORY_AUDIENCE') ?? 'urn:stateless-auth:inventory-api',
      scope: str('INVENTORY_SCOPE') ?? 'inventory:write',
      timeoutMs: (input.INVENTORY_TIMEOUT_MS as number | undefined) ?? 5000,
    },
    client: {
      id: str('CLIENT_ID') ?? 'orders-api',
      secret: secret ?? LOCAL_CLIENT_SECRET,
      tokenEndpoint: str('TOKEN_ENDPOINT'),
    },
  }
}
