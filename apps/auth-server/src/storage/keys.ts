import type { Database, Queryable } from '@stateless-auth/sql'

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

interface KeyRow {
  kid: string
  alg: string
  public_jwk: string
  private_key: string
  created_at: number
  activates_at: number
  retires_at: number | null
  drop_after: number | null
}

const toKey = (row: KeyRow): StoredKey => ({
  kid: row.kid,
  alg: row.alg,
  publicJwk: row.public_jwk,
  privateKey: row.private_key,
  createdAt: row.created_at,
  activatesAt: row.activates_at,
  retiresAt: row.retires_at,
  dropAfter: row.drop_after,
})

export class SigningKeyRepository {
  constructor(private readonly db: Database) {}

  /** Keys not yet dropped at `now`, oldest activation first. */
  async live(now: number, db: Queryable = this.db): Promise<StoredKey[]> {
    const rows = await db.query<KeyRow>(
      'SELECT * FROM signing_keys WHERE drop_after IS NULL OR drop_after > $1 ORDER BY activates_at, created_at',
      [now],
    )
    return rows.map(toKey)
  }

  /** Every stored key, dropped ones included (they are deleted a day after they drop out). */
  async all(db: Queryable = this.db): Promise<StoredKey[]> {
    return (await db.query<KeyRow>('SELECT * FROM signing_keys ORDER BY created_at')).map(toKey)
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
    await db.execute(
      `INSERT INTO signing_keys (kid, alg, public_jwk, private_key, created_at, activates_at, retires_at, drop_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        key.kid,
        key.alg,
        key.publicJwk,
        key.privateKey,
        key.createdAt,
        key.activatesAt,
        key.retiresAt,
        key.dropAfter,
      ],
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
