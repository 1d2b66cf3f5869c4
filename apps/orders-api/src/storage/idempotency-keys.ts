import type { Database, Queryable } from '@stateless-auth/sql'

/** How long a key is remembered after its first use (the draft's "Idempotency Key Validity and Expiry"). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000

/** What a claim on a key found. */
export type Claim =
  /** The key is ours: go on and place the order under `orderId`. */
  | { status: 'claimed' }
  /** The key was used with another body. */
  | { status: 'reused' }
  /** Another request holds the key and has not finished. */
  | { status: 'in_flight' }
  /** The key already placed this order: answer with it again. */
  | { status: 'completed'; orderId: string }

export interface IdempotencyKeyStore {
  /**
   * Takes the key for one attempt at placing `orderId`, or reports who has it. An expired key is forgotten
   * first; an attempt still in flight after `leaseMs` (its process died) is taken over.
   */
  claim(input: { userSub: string; key: string; fingerprint: string; orderId: string }): Promise<Claim>
  /** Marks the key done, in the transaction that inserts the order; false when the attempt lost its claim. */
  complete(tx: Queryable, input: { userSub: string; key: string; orderId: string }): Promise<boolean>
  /** Frees the key after a failed attempt, so a retry runs again (only while `orderId` holds it). */
  abandon(input: { userSub: string; key: string; orderId: string }): Promise<void>
}

interface KeyRow {
  fingerprint: string
  order_id: string
  completed_at: number | null
  locked_until: number
}

// Expired keys are deleted as they are met, and all of them at most once a minute.
const SWEEP_INTERVAL_MS = 60_000

export function createIdempotencyKeyStore(
  db: Database,
  options: { leaseMs: number; now?: () => number },
): IdempotencyKeyStore {
  const now = options.now ?? Date.now
  let nextSweep = 0

  async function sweep(at: number) {
    if (at < nextSweep) return
    nextSweep = at + SWEEP_INTERVAL_MS
    await db.execute('DELETE FROM idempotency_keys WHERE expires_at <= $1', [at])
  }

  return {
    async claim({ userSub, key, fingerprint, orderId }) {
      const at = now()
      await sweep(at)
      // A few rounds at most: each lost race means another request changed the row in between.
      for (let round = 0; round < 3; round++) {
        await db.execute(
          'DELETE FROM idempotency_keys WHERE user_sub = $1 AND idempotency_key = $2 AND expires_at <= $3',
          [userSub, key, at],
        )
        // The primary key decides between concurrent first uses, on one replica or many.
        const inserted = await db.execute(
          `INSERT INTO idempotency_keys
             (user_sub, idempotency_key, fingerprint, order_id, completed_at, locked_until, created_at, expires_at)
           VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)
           ON CONFLICT (user_sub, idempotency_key) DO NOTHING`,
          [userSub, key, fingerprint, orderId, at + options.leaseMs, at, at + IDEMPOTENCY_KEY_TTL_MS],
        )
        if (inserted.rowCount === 1) return { status: 'claimed' }
        const row = await db.one<KeyRow>(
          `SELECT fingerprint, order_id, completed_at, locked_until FROM idempotency_keys
           WHERE user_sub = $1 AND idempotency_key = $2`,
          [userSub, key],
        )
        if (!row) continue
        if (row.fingerprint !== fingerprint) return { status: 'reused' }
        if (row.completed_at !== null) return { status: 'completed', orderId: row.order_id }
        if (row.locked_until > at) return { status: 'in_flight' }
        const taken = await db.execute(
          `UPDATE idempotency_keys SET order_id = $1, locked_until = $2
           WHERE user_sub = $3 AND idempotency_key = $4 AND order_id = $5 AND completed_at IS NULL`,
          [orderId, at + options.leaseMs, userSub, key, row.order_id],
        )
        if (taken.rowCount === 1) return { status: 'claimed' }
      }
      return { status: 'in_flight' }
    },

    async complete(tx, { userSub, key, orderId }) {
      const { rowCount } = await tx.execute(
        `UPDATE idempotency_keys SET completed_at = $1
         WHERE user_sub = $2 AND idempotency_key = $3 AND order_id = $4 AND completed_at IS NULL`,
        [now(), userSub, key, orderId],
      )
      return rowCount === 1
    },

    async abandon({ userSub, key, orderId }) {
      await db.execute(
        `DELETE FROM idempotency_keys
         WHERE user_sub = $1 AND idempotency_key = $2 AND order_id = $3 AND completed_at IS NULL`,
        [userSub, key, orderId],
      )
    },
  }
}
