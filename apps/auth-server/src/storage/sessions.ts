import type { Database, Queryable } from '@stateless-auth/sql'
import { revokeGrantTree } from './grants.js'

/** A browser's login at this server. The cookie holds only a random id; this row is the session. */
export interface StoredSession {
  /** SHA-256 of the cookie's id: the table never holds a usable session id. */
  idHash: string
  userId: string
  authTime: number
  expiresAt: number
}

interface SessionRow {
  id_hash: string
  user_id: string
  auth_time: number
  expires_at: number
}

export class SessionRepository {
  constructor(private readonly db: Database) {}

  async create(session: StoredSession, now: number): Promise<void> {
    await this.db.execute(
      'INSERT INTO sessions (id_hash, user_id, auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)',
      [session.idHash, session.userId, session.authTime, now, session.expiresAt],
    )
  }

  async find(idHash: string, now: number): Promise<StoredSession | undefined> {
    const row = await this.db.one<SessionRow>(
      'SELECT id_hash, user_id, auth_time, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2',
      [idHash, now],
    )
    return (
      row && { idHash: row.id_hash, userId: row.user_id, authTime: row.auth_time, expiresAt: row.expires_at }
    )
  }

  /**
   * Ends a session (OpenID Connect RP-Initiated Logout): deletes it and revokes every grant created in it, with
   * their refresh tokens, access-token records and status-list entries, in one transaction. Returns the grants
   * revoked.
   */
  async end(idHash: string, now: number): Promise<number> {
    return this.db.transaction(async (tx: Queryable) => {
      await tx.execute('DELETE FROM sessions WHERE id_hash = $1', [idHash])
      const grants = await tx.query<{ id: string }>(
        'SELECT id FROM grants WHERE session_id = $1 AND revoked_at IS NULL',
        [idHash],
      )
      for (const grant of grants) await revokeGrantTree(tx, grant.id, now)
      return grants.length
    })
  }
}
