import type { Database, Queryable } from '@stateless-auth/sql'
import { invalidateStatuses } from './status-lists.js'

/** One user's authorization of one client: the root that codes, refresh tokens and access tokens hang from. */
export interface Grant {
  id: string
  userId: string
  clientId: string
  scope: string
  resources: string[]
  authTime: number
  createdAt: number
  /** Absolute end of the refresh-token family. */
  expiresAt: number
  revokedAt: number | null
}

interface GrantRow {
  id: string
  user_id: string
  client_id: string
  scope: string
  resources: string
  auth_time: number
  created_at: number
  expires_at: number
  revoked_at: number | null
}

const toGrant = (row: GrantRow): Grant => ({
  id: row.id,
  userId: row.user_id,
  clientId: row.client_id,
  scope: row.scope,
  resources: JSON.parse(row.resources) as string[],
  authTime: row.auth_time,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
})

export class GrantRepository {
  constructor(private readonly db: Database) {}

  /** `sessionId` is the hash of the login session the grant was created in (logout revokes it). */
  async create(grant: Omit<Grant, 'revokedAt'>, sessionId: string | null = null): Promise<void> {
    await this.db.execute(
      `INSERT INTO grants (id, user_id, client_id, scope, resources, auth_time, created_at, expires_at, session_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        grant.id,
        grant.userId,
        grant.clientId,
        grant.scope,
        JSON.stringify(grant.resources),
        grant.authTime,
        grant.createdAt,
        grant.expiresAt,
        sessionId,
      ],
    )
  }

  async find(id: string): Promise<Grant | undefined> {
    const row = await this.db.one<GrantRow>('SELECT * FROM grants WHERE id = $1', [id])
    return row && toGrant(row)
  }

  /**
   * Revokes the grant and everything issued from it: the answer to a replayed code (RFC 6749 §4.1.2,
   * RFC 9700 §4.5) and to a reused refresh token (RFC 9700 §4.14.2). One transaction so nothing is half-revoked.
   */
  async revoke(id: string, now: number): Promise<void> {
    await this.db.transaction((tx: Queryable) => revokeGrantTree(tx, id, now))
  }
}

/** Revokes a grant and everything issued from it, inside the caller's transaction. */
export async function revokeGrantTree(tx: Queryable, id: string, now: number): Promise<void> {
  await tx.execute('UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id])
  await tx.execute('UPDATE refresh_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL', [
    now,
    id,
  ])
  await tx.execute('UPDATE access_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL', [
    now,
    id,
  ])
  await tx.execute(
    'UPDATE authorization_codes SET consumed_at = $1 WHERE grant_id = $2 AND consumed_at IS NULL',
    [now, id],
  )
  await invalidateStatuses(tx, { grantId: id }, now)
}
