import type { Queryable } from '@stateless-auth/sql'

export class ConsentRepository {
  constructor(private readonly db: Queryable) {}

  /** The scopes the user has already granted to the client. */
  async find(userId: string, clientId: string): Promise<string[]> {
    const row = await this.db.one<{ scope: string }>(
      'SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2',
      [userId, clientId],
    )
    return row ? row.scope.split(' ').filter(Boolean) : []
  }

  /** Remembers the union of what was granted before and now. */
  async grant(userId: string, clientId: string, scopes: string[], now: number): Promise<void> {
    const merged = [...new Set([...(await this.find(userId, clientId)), ...scopes])].join(' ')
    await this.db.execute(
      `INSERT INTO consents (user_id, client_id, scope, updated_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at`,
      [userId, clientId, merged, now],
    )
  }
}
