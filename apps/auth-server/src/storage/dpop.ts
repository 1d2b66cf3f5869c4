import type { Queryable } from '@stateless-auth/sql'

/**
 * The DPoP proof replay store of RFC 9449 §11.1 for /token, in the database so every replica agrees: a proof
 * accepted by one is a replay at all the others. Implements the verifier's `DpopReplayStore`.
 */
export class DpopReplayRepository {
  constructor(private readonly db: Queryable) {}

  /** Records `key` until `expiresAt` (epoch ms); false when it was already there (a replay). */
  async add(key: string, expiresAt: number): Promise<boolean> {
    const inserted = await this.db.execute(
      'INSERT INTO dpop_proofs (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
      [key, expiresAt],
    )
    return inserted.rowCount === 1
  }
}

/** Which key thumbprint (`jkt`) a code or a grant's refresh tokens are bound to. */
export class DpopBindingRepository {
  constructor(private readonly db: Queryable) {}

  async bind(ref: string, jkt: string, expiresAt: number): Promise<void> {
    await this.db.execute(
      `INSERT INTO dpop_bindings (ref, jkt, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (ref) DO UPDATE SET jkt = excluded.jkt, expires_at = excluded.expires_at`,
      [ref, jkt, expiresAt],
    )
  }

  async find(ref: string): Promise<string | undefined> {
    const row = await this.db.one<{ jkt: string }>('SELECT jkt FROM dpop_bindings WHERE ref = $1', [ref])
    return row?.jkt
  }
}
