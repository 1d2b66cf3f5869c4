import type { Queryable } from '@stateless-auth/sql'

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials'
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none'

export interface ClientMetadata {
  client_id: string
  client_name: string
  /** `none` marks a public client (RFC 6749 §2.1): it cannot keep a secret and must use PKCE. */
  token_endpoint_auth_methods: TokenEndpointAuthMethod[]
  redirect_uris: string[]
  /** OpenID Connect RP-Initiated Logout §3.1: where /logout may send the browser back (exact match). */
  post_logout_redirect_uris?: string[]
  /** RFC 8252 §7.3: any port on a loopback redirect URI is accepted for native apps. */
  allow_loopback_any_port?: boolean
  grant_types: GrantType[]
  scopes: string[]
  /** RFC 8707 resources this client may ask tokens for; the first is the default. */
  resources: string[]
  /** First-party clients skip the consent screen. */
  skip_consent?: boolean
  /** A resource server's own identifier: lets it introspect tokens issued for it (RFC 7662 §4). */
  resource_server_for?: string
  /** RFC 9449 §5.2: every token request of this client must carry a DPoP proof. */
  dpop_bound_access_tokens?: boolean
}

export interface Client extends ClientMetadata {
  secretHash: string | null
}

export const isPublic = (client: ClientMetadata): boolean =>
  client.token_endpoint_auth_methods.includes('none')

export class ClientRepository {
  constructor(private readonly db: Queryable) {}

  async find(id: string): Promise<Client | undefined> {
    const row = await this.db.one<{ secret_hash: string | null; metadata: string }>(
      'SELECT secret_hash, metadata FROM clients WHERE id = $1',
      [id],
    )
    if (!row) return undefined
    return { ...(JSON.parse(row.metadata) as ClientMetadata), secretHash: row.secret_hash }
  }

  /** The configuration file is the source of truth: every start writes its clients over the stored ones. */
  async upsert(metadata: ClientMetadata, secretHash: string | null, now: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO clients (id, secret_hash, metadata, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, metadata = excluded.metadata,
         updated_at = excluded.updated_at`,
      [metadata.client_id, secretHash, JSON.stringify(metadata), now],
    )
  }

  /** Rewrites a stored secret hash (a legacy scrypt row upgraded), only if it still holds `previous`. */
  async replaceSecretHash(id: string, previous: string, next: string): Promise<void> {
    await this.db.execute('UPDATE clients SET secret_hash = $1 WHERE id = $2 AND secret_hash = $3', [
      next,
      id,
      previous,
    ])
  }
}
