import { readFile } from 'node:fs/promises'
import { Ajv } from 'ajv'
import type { AuthServerConfig } from './config.js'
import { hashSecret } from './crypto.js'
import { ConfigError } from './errors.js'
import { hashClientSecret } from './oauth/client-secret.js'
import type { ClientMetadata, Storage } from './storage/index.js'

/** The only environment variables a client entry may take its secret from. */
const SECRET_SOURCES = {
  WEB_CLIENT_SECRET: (c: AuthServerConfig) => c.webClientSecret,
  ORDERS_API_CLIENT_SECRET: (c: AuthServerConfig) => c.ordersApiClientSecret,
} as const

export const SCOPES = [
  'openid',
  'profile',
  'offline_access',
  'orders:read',
  'orders:write',
  'inventory:read',
  'inventory:write',
] as const

export const RESOURCES = ['urn:stateless-auth:orders-api', 'urn:stateless-auth:inventory-api'] as const

const clientsSchema = {
  type: 'object',
  required: ['clients'],
  properties: {
    clients: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'client_id',
          'client_name',
          'token_endpoint_auth_methods',
          'redirect_uris',
          'grant_types',
          'scopes',
          'resources',
        ],
        properties: {
          client_id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
          client_name: { type: 'string', minLength: 1 },
          secret_env: { type: 'string', enum: Object.keys(SECRET_SOURCES) },
          token_endpoint_auth_methods: {
            type: 'array',
            minItems: 1,
            items: { enum: ['client_secret_basic', 'client_secret_post', 'none'] },
          },
          redirect_uris: { type: 'array', items: { type: 'string', pattern: '^https?://[^#]+$' } },
          post_logout_redirect_uris: {
            type: 'array',
            items: { type: 'string', pattern: '^https?://[^#]+$' },
          },
          allow_loopback_any_port: { type: 'boolean' },
          grant_types: {
            type: 'array',
            items: { enum: ['authorization_code', 'refresh_token', 'client_credentials'] },
          },
          scopes: { type: 'array', items: { enum: [...SCOPES] } },
          resources: { type: 'array', minItems: 1, items: { enum: [...RESOURCES] } },
          skip_consent: { type: 'boolean' },
          dpop_bound_access_tokens: { type: 'boolean' },
          resource_server_for: { enum: [...RESOURCES] },
        },
      },
    },
  },
} as const

type ClientEntry = ClientMetadata & { secret_env?: keyof typeof SECRET_SOURCES }

export async function readClientsFile(path: string): Promise<ClientEntry[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new ConfigError(`cannot read clients file ${path}: ${(error as Error).message}`)
  }
  const validate = new Ajv({ allErrors: true, strict: false }).compile(clientsSchema)
  if (!validate(parsed)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ')
    throw new ConfigError(`invalid clients file ${path}: ${problems}`)
  }
  const clients = (parsed as { clients: ClientEntry[] }).clients
  for (const client of clients) {
    const publicClient = client.token_endpoint_auth_methods.includes('none')
    if (publicClient === Boolean(client.secret_env)) {
      throw new ConfigError(
        `client ${client.client_id}: a confidential client needs secret_env, a public one none`,
      )
    }
    if (publicClient && client.grant_types.includes('client_credentials')) {
      throw new ConfigError(`client ${client.client_id}: a public client cannot use client_credentials`)
    }
  }
  return clients
}

/** Writes the configured clients over the stored ones; secrets are stored as keyed hashes only (see client-secret.ts). */
export async function seedClients(storage: Storage, config: AuthServerConfig, now: number): Promise<void> {
  for (const { secret_env, ...metadata } of await readClientsFile(config.clientsFile)) {
    let secretHash: string | null = null
    if (secret_env) {
      const secret = SECRET_SOURCES[secret_env](config)
      secretHash = hashClientSecret(metadata.client_id, secret, config.keyEncryptionSecret)
    }
    await storage.clients.upsert(metadata, secretHash, now)
  }
}

const DEMO_USERS = [
  { id: 'alice', username: 'alice', name: 'Alice Example', email: 'alice@example.com' },
  { id: 'bob', username: 'bob', name: 'Bob Example', email: 'bob@example.com' },
]

/** Seeds alice and bob on first start; an existing user (and whether it is disabled) is left alone. */
export async function seedDemoUsers(storage: Storage, password: string, now: number): Promise<void> {
  for (const user of DEMO_USERS) {
    if (await storage.users.findById(user.id)) continue
    await storage.users.createIfMissing({ ...user, passwordHash: await hashSecret(password) }, now)
  }
}
