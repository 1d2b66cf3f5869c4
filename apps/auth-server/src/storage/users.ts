import type { Database } from '@stateless-auth/sql'
import { invalidateStatuses } from './status-lists.js'

export interface User {
  /** The `sub` claim: stable, never reassigned (the demo users use their username). */
  id: string
  username: string
  passwordHash: string
  name: string
  email: string | null
  disabledAt: number | null
}

interface UserRow {
  id: string
  username: string
  password_hash: string
  name: string
  email: string | null
  disabled_at: number | null
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  name: row.name,
  email: row.email,
  disabledAt: row.disabled_at,
})

export class UserRepository {
  constructor(private readonly db: Database) {}

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.one<UserRow>('SELECT * FROM users WHERE id = $1', [id])
    return row && toUser(row)
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const row = await this.db.one<UserRow>('SELECT * FROM users WHERE username = $1', [username])
    return row && toUser(row)
  }

  /** Inserts the user unless one with the same id or username exists; true when inserted. */
  async createIfMissing(user: Omit<User, 'disabledAt'>, now: number): Promise<boolean> {
    const { rowCount } = await this.db.execute(
      `INSERT INTO users (id, username, password_hash, name, email, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [user.id, user.username, user.passwordHash, user.name, user.email, now],
    )
    return rowCount === 1
  }

  /**
   * Sets or clears `disabled_at`; false when no such user exists. Disabling also sets every live access token of
   * the user to INVALID in its status list, in the same transaction.
   */
  async setDisabled(username: string, disabled: boolean, now: number): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rowCount } = await tx.execute('UPDATE users SET disabled_at = $1 WHERE username = $2', [
        disabled ? now : null,
        username,
      ])
      if (disabled && rowCount === 1) {
        await invalidateStatuses(tx, { username }, now)
        // Issue 12, item 4: disabling a user ends their sessions at this server.
        await tx.execute('DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)', [
          username,
        ])
      }
      return rowCount === 1
    })
  }
}
