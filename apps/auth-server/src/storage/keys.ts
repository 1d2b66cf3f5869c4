import type { Database, Queryable } from '@stateless-auth/sql'
import { fromRow, insertRow, type Snaked } from './rows.js'

export interface StoredKey {
  kid: string
  alg: string
  publicJwk: string
  /** The private JWK as JSON, or its AES-256-GCM envelope when a key-encryption secret is set. */
  privateKey: string
  createdAt: number
  /** Signs from this moment; published in the JWKS from `createdAt`, so caches see it before it signs. */
  activatesAt: number
  /** Set when a newer key is created: this key stops signing once that one activates. */
  retiresAt: number | null
  /** Removed from the JWKS after this moment: every token it signed has expired by then. */
  dropAfter: number | null
}

export class SigningKeyRepository {
  constructor(private readonly db: Database) {}

  /** Keys not yet dropped at `now`, oldest activation first. */
  async live(now: number, db: Queryable = this.db): Promise<StoredKey[]> {
    const rows = await db.query<Snaked<StoredKey>>(
      'SELECT * FROM signing_keys WHERE drop_after IS NULL OR drop_after > $1 ORDER BY activates_at, created_at',
      [now],
    )
    return rows.map(fromRow)
  }

  /** Every stored key, dropped ones included (they are deleted a day after they drop out). */
  async all(db: Queryable = this.db): Promise<StoredKey[]> {
    return (await db.query<Snaked<StoredKey>>('SELECT * FROM signing_keys ORDER BY created_at')).map(fromRow)
  }

  /** Replaces a key's stored private part, only if it still holds `previous` (another replica may have). */
  async replacePrivateKey(
    kid: string,
    previous: string,
    next: string,
    db: Queryable = this.db,
  ): Promise<void> {
    await db.execute('UPDATE signing_keys SET private_key = $1 WHERE kid = $2 AND private_key = $3', [
      next,
      kid,
      previous,
    ])
  }

  /**
   * Runs `fn` holding the key-management lock, so replicas sharing PostgreSQL never create two first keys or
   * rotate twice at once (SQLite's BEGIN IMMEDIATE already serialises writers).
   */
  async exclusive<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      if (this.db.dialect === 'postgres') {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('stateless-auth:signing-keys'))")
      }
      return fn(tx)
    })
  }

  async insert(key: StoredKey, db: Queryable = this.db): Promise<void> {
    await insertRow(
      db,
      'signing_keys',
      ['kid', 'alg', 'publicJwk', 'privateKey', 'createdAt', 'activatesAt', 'retiresAt', 'dropAfter'],
      key,
    )
  }

  /** Schedules every older key's retirement and removal once a newer key is in place. */
  async retireOthers(
    kid: string,
    retiresAt: number,
    dropAfter: number,
    db: Queryable = this.db,
  ): Promise<void> {
    await db.execute(
      `UPDATE signing_keys SET retires_at = $1, drop_after = $2
       WHERE kid <> $3 AND drop_after IS NULL`,
      [retiresAt, dropAfter, kid],
    )
  }
}
